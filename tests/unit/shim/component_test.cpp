// The shim as containerd meets it, without containerd: the real binary's `start` and `delete`,
// a test bundle (runc spec, busybox), a ttrpc events server standing in for containerd's, raw
// frames on its socket. As root, with runc (and rune for the enclave cases).
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/file.h"
#include "base/process.h"
#include "base/sha256.h"
#include "base/socket.h"
#include "containerd/cgroups/v1/metrics.pb.h"
#include "containerd/cgroups/v2/metrics.pb.h"
#include "containerd/events/task.pb.h"
#include "containerd/runc/v1/options.pb.h"
#include "containerd/services/events/ttrpc/v1/events.pb.h"
#include "containerd/task/v2/shim.pb.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/empty.pb.h"
#include "runtimeoptions/v1/api.pb.h"
#include "ttrpc/client.h"
#include "ttrpc/frame.h"
#include "ttrpc/server.h"
#include "ttrpc/status.h"
#include "ttrpc/ttrpc.pb.h"

namespace {

namespace taskapi = ::containerd::task::v2;
using base::Category;
const std::string kTask = "containerd.task.v2.Task";
const std::string kNs = "component";

// containerd's events service: records each forwarded envelope's topic and event type.
struct EventsServer {
  ttrpc::Services services;
  std::unique_ptr<ttrpc::Server> server;
  std::mutex mu;
  std::condition_variable cv;
  struct Seen {
    std::string topic, type, container;
  };
  std::vector<Seen> seen;

  void start(const std::string& path) {
    services
        .unary<containerd::services::events::ttrpc::v1::ForwardRequest, google::protobuf::Empty>(
            "containerd.services.events.ttrpc.v1.Events", "Forward", [this](const auto& r) {
              // Every task event has its container id as field 1 (TaskOOM has nothing else).
              containerd::events::TaskOOM id_only;
              id_only.ParseFromString(r.envelope().event().value());
              std::lock_guard lock(mu);
              seen.push_back(
                  {r.envelope().topic(), r.envelope().event().type_url(), id_only.container_id()});
              cv.notify_all();
              return base::Result<google::protobuf::Empty>(google::protobuf::Empty());
            });
    server = std::make_unique<ttrpc::Server>(services);
    auto fd = ttrpc::listen_unix(path);
    ASSERT_TRUE(fd.ok()) << fd.error().what();
    std::thread([this, f = std::move(fd).value()]() mutable {
      (void)server->serve(f.get());
    }).detach();
  }
  // "topic type" of the events of container `id`, in order, once `n` of them arrived (or 10 s).
  std::vector<std::string> topics(const std::string& id, size_t n) {
    std::unique_lock lock(mu);
    std::vector<std::string> out;
    cv.wait_for(lock, std::chrono::seconds(10), [&] {
      out.clear();
      for (auto& e : seen)
        if (e.container == id) out.push_back(e.topic + " " + e.type);
      return out.size() >= n;
    });
    return out;
  }
};

class ShimComponent : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    char t[] = "/tmp/shim-component-XXXXXX";
    ASSERT_TRUE(mkdtemp(t));
    dir_ = t;
    events_ = new EventsServer;
    events_->start(dir_ + "/events.sock");
    // The image: busybox with its applets.
    std::string img = dir_ + "/image";
    ASSERT_EQ(system(("mkdir -p " + img + "/bin " + img + "/proc " + img + "/dev " + img + "/sys " +
                      img + "/tmp && cp /bin/busybox " + img + "/bin/ && chroot " + img +
                      " /bin/busybox --install -s /bin")
                         .c_str()),
              0);
    write_config("shim.toml", "[shim]\nruntime = \"runc\"\nrune = \"" RUNE_BINARY "\"\nroot = \"" +
                                  dir_ + "/rt\"\n");
  }
  static void TearDownTestSuite() {
    if (dir_.empty()) return;
    for (pid_t p : shims_)
      if (p > 0) kill(p, SIGKILL);
    (void)system(("grep -o ' " + dir_ +
                  "/bundles/[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l")
                     .c_str());
    (void)system(("for c in $(runc --root " + dir_ + "/rt/runc/" + kNs +
                  " list -q 2>/dev/null); do runc --root " + dir_ + "/rt/runc/" + kNs +
                  " delete -f $c; done")
                     .c_str());
    (void)base::remove_all(dir_);
  }

  static void write_config(const std::string& name, const std::string& text) {
    ASSERT_TRUE(base::write_file_atomic(dir_ + "/" + name, text).ok());
  }

  // A bundle for `id`: runc's default spec, no terminal, `args`, extra env; rootfs empty (the
  // image is bind-mounted there by Create).
  std::string bundle(const std::string& id, std::vector<std::string> args,
                     std::vector<std::string> env = {},
                     std::map<std::string, std::string> annotations = {}, bool pid_ns = true) {
    std::string b = dir_ + "/bundles/" + id;
    EXPECT_EQ(system(("mkdir -p " + b + "/rootfs && cd " + b + " && runc spec").c_str()), 0);
    std::ifstream in(b + "/config.json");
    nlohmann::json j = nlohmann::json::parse(in);
    j["process"]["terminal"] = false;
    j["process"]["args"] = args;
    for (auto& e : env) j["process"]["env"].push_back(e);
    for (auto& [k, v] : annotations) j["annotations"][k] = v;
    j["root"]["readonly"] = false;
    if (!pid_ns) {
      auto& nss = j["linux"]["namespaces"];
      for (size_t i = 0; i < nss.size(); i++)
        if (nss[i]["type"] == "pid") nss.erase(i--);
    }
    EXPECT_TRUE(base::write_file_atomic(b + "/config.json", j.dump()).ok());
    return b;
  }

  // Runs the shim binary with `args` in `cwd` (TTRPC_ADDRESS the socket `events` in the test's
  // directory, stdin /dev/null): its exit status and what it wrote to stdout (and to stderr,
  // with `merge_stderr`).
  static std::pair<int, std::string> exec_shim(const std::string& cwd,
                                               std::vector<std::string> args, bool merge_stderr,
                                               const std::string& events = "events.sock") {
    int out[2];
    EXPECT_EQ(pipe(out), 0);  // not close-on-exec: the daemon must let go of it by itself
    pid_t pid = fork();
    if (pid == 0) {
      dup2(out[1], 1);
      if (merge_stderr) dup2(out[1], 2);
      int null = open("/dev/null", O_RDONLY);
      dup2(null, 0);
      if (chdir(cwd.c_str()) != 0) _exit(120);
      setenv("TTRPC_ADDRESS", (dir_ + "/" + events).c_str(), 1);
      std::vector<char*> argv = {const_cast<char*>(SHIM_BINARY)};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(SHIM_BINARY, argv.data());
      _exit(127);
    }
    close(out[1]);
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0) text.append(buf, size_t(n));
    close(out[0]);
    int ws;
    waitpid(pid, &ws, 0);
    return {WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws), text};
  }

  // `start` for `id` in `bundle`: the daemon's address (its pid is remembered for teardown).
  // `start` for `id` in `bundle`: the daemon's address (its pid is remembered for teardown).
  std::string start_shim(const std::string& id, const std::string& bundle,
                         const std::string& events = "events.sock") {
    auto [status, text] =
        exec_shim(bundle,
                  {"-namespace", kNs, "-id", id, "-address", dir_ + "/containerd.sock",
                   "-publish-binary", "/bin/true", "start"},
                  true, events);
    EXPECT_EQ(status, 0) << text;
    EXPECT_EQ(text.rfind("unix://", 0), 0u) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << "start printed more than the address";
    std::string path = text.substr(7);
    shims_.push_back(shim_pid(path));
    return path;
  }

  // The daemon's pid, as Connect reports it (SO_PEERCRED names `start`, which made the socket).
  static pid_t shim_pid(const std::string& path) {
    auto c = ttrpc::Client::connect(path);
    if (!c.ok()) return 0;
    taskapi::ConnectRequest req;
    auto r = c->call(kTask, "Connect", req.SerializeAsString(), 5000);
    taskapi::ConnectResponse resp;
    if (!r.ok() || !resp.ParseFromString(*r)) return 0;
    return pid_t(resp.shim_pid());
  }

  static ttrpc::Client client(const std::string& path) {
    auto c = ttrpc::Client::connect(path);
    EXPECT_TRUE(c.ok()) << c.error().what();
    return std::move(c).value();
  }

  template <class Resp, class Req>
  static base::Result<Resp> call(ttrpc::Client& c, const std::string& method, const Req& req,
                                 int timeout_ms = 20000) {
    auto r = c.call(kTask, method, req.SerializeAsString(), timeout_ms);
    if (!r.ok()) return std::move(r).error();
    Resp resp;
    if (!resp.ParseFromString(*r)) return base::Error(Category::internal, "bad response");
    return resp;
  }

  taskapi::CreateTaskRequest create_request(const std::string& id, const std::string& b,
                                            const std::string& config = "shim.toml") {
    taskapi::CreateTaskRequest r;
    r.set_id(id);
    r.set_bundle(b);
    auto* m = r.add_rootfs();
    m->set_type("bind");
    m->set_source(dir_ + "/image");
    m->add_options("rbind");
    m->add_options("rw");
    runtimeoptions::v1::Options o;
    o.set_config_path(dir_ + "/" + config);
    r.mutable_options()->set_type_url("runtimeoptions.v1.Options");
    r.mutable_options()->set_value(o.SerializeAsString());
    return r;
  }

  static bool mounted_under(const std::string& path) {
    auto m = base::read_file("/proc/self/mountinfo");
    return m.ok() && m->find(" " + path) != std::string::npos;
  }

  static std::string dir_;
  static EventsServer* events_;
  static std::vector<pid_t> shims_;
};
std::string ShimComponent::dir_;
EventsServer* ShimComponent::events_ = nullptr;
std::vector<pid_t> ShimComponent::shims_;

// Raw frames on one connection; the response to stream `id`.
struct Raw {
  base::UniqueFd fd;
  ttrpc::FrameReader reader;
  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size()));
  }
  ::ttrpc::Response response(uint32_t* id = nullptr) {
    for (;;) {
      auto it = reader.next();
      if (it.kind == ttrpc::FrameReader::Kind::frame) {
        if (id) *id = it.header.stream_id;
        ::ttrpc::Response r;
        EXPECT_TRUE(r.ParseFromString(it.payload));
        return r;
      }
      char buf[65536];
      ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
      if (n <= 0) {
        ADD_FAILURE() << "connection closed";
        return {};
      }
      reader.feed(buf, size_t(n));
    }
  }
};

TEST_F(ShimComponent, FrameCasesAnswerAndTheConnectionGoesOn) {
  std::string b = bundle("frames", {"true"});
  std::string sock = start_shim("frames", b);
  Raw raw{base::connect_unix(sock, "shim").value(), {}};
  auto req = [](uint32_t id, const std::string& svc, const std::string& m, const std::string& p) {
    return ttrpc::encode_frame(id, ttrpc::kRequest, ttrpc::Client::request_payload(svc, m, p));
  };
  uint32_t id = 0;
  // Oversized: discarded, ResourceExhausted, then a valid call on the same connection.
  uint8_t h[ttrpc::kHeaderSize];
  ttrpc::encode_header({ttrpc::kMaxMessage + 1, 1, ttrpc::kRequest, 0}, h);
  raw.send(std::string(reinterpret_cast<char*>(h), sizeof h));
  raw.send(std::string(ttrpc::kMaxMessage + 1, 'x'));
  EXPECT_EQ(raw.response(&id).status().code(), ttrpc::kResourceExhausted);
  EXPECT_EQ(id, 1u);
  taskapi::ConnectRequest conn;
  raw.send(req(3, kTask, "Connect", conn.SerializeAsString()));
  auto r = raw.response(&id);
  EXPECT_EQ(id, 3u);
  EXPECT_EQ(r.status().code(), 0) << r.status().message();
  taskapi::ConnectResponse cr;
  ASSERT_TRUE(cr.ParseFromString(r.payload()));
  EXPECT_GT(cr.shim_pid(), 0u);
  // Even stream id, bad request, unknown service and method, bad payload.
  raw.send(req(4, kTask, "Connect", ""));
  EXPECT_EQ(raw.response().status().code(), ttrpc::kInvalidArgument);
  raw.send(ttrpc::encode_frame(5, ttrpc::kRequest, "\x0a\x7f"));
  EXPECT_EQ(raw.response().status().code(), ttrpc::kInvalidArgument);
  raw.send(req(7, "no.Such", "Connect", ""));
  r = raw.response();
  EXPECT_EQ(r.status().code(), ttrpc::kUnimplemented);
  EXPECT_NE(r.status().message().find("no.Such"), std::string::npos);
  raw.send(req(9, kTask, "Frobnicate", ""));
  r = raw.response();
  EXPECT_EQ(r.status().code(), ttrpc::kUnimplemented);
  EXPECT_NE(r.status().message().find("Frobnicate"), std::string::npos);
  raw.send(req(11, kTask, "State", "\xff\xff"));
  r = raw.response();
  EXPECT_EQ(r.status().code(), ttrpc::kInvalidArgument);
  EXPECT_NE(r.status().message().find("State"), std::string::npos);
  // What the shim does not do says why.
  raw.send(req(13, kTask, "Checkpoint", ""));
  r = raw.response();
  EXPECT_EQ(r.status().code(), ttrpc::kUnimplemented);
  EXPECT_NE(r.status().message().find("CRIU"), std::string::npos);
  // A stream frame (type 3) is ignored; the next call is answered.
  raw.send(ttrpc::encode_frame(15, ttrpc::MessageType(3), "zz"));
  raw.send(req(17, kTask, "Connect", ""));
  raw.response(&id);
  EXPECT_EQ(id, 17u);
  // EOF in the middle of a frame closes that connection only.
  {
    Raw half{base::connect_unix(sock, "shim").value(), {}};
    std::string f = req(1, kTask, "Connect", "");
    half.send(f.substr(0, f.size() - 2));
  }
  auto c = client(sock);
  EXPECT_TRUE(call<taskapi::ConnectResponse>(c, "Connect", conn).ok());
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

TEST_F(ShimComponent, BadCreatesNameTheInputAndLeaveNothingBehind) {
  std::string b = bundle("bad", {"true"});
  std::string sock = start_shim("bad", b);
  auto c = client(sock);
  auto expect = [&](taskapi::CreateTaskRequest r, Category cat, const std::string& needle) {
    auto res = call<taskapi::CreateTaskResponse>(c, "Create", r);
    ASSERT_FALSE(res.ok()) << needle;
    EXPECT_EQ(res.error().category(), cat) << res.error().what();
    EXPECT_NE(res.error().what().find(needle), std::string::npos) << res.error().what();
    EXPECT_FALSE(mounted_under(r.bundle() + "/rootfs")) << r.bundle();
  };
  expect(create_request("../x", b), Category::invalid_argument, "../x");
  expect(create_request("nob", dir_ + "/no/such/bundle"), Category::not_found, "/no/such/bundle");
  std::string empty = dir_ + "/bundles/empty";
  ASSERT_EQ(system(("mkdir -p " + empty).c_str()), 0);
  expect(create_request("empty", empty), Category::not_found, "config.json");
  auto r = create_request("bad", b);
  r.mutable_options()->set_type_url("containerd.linux.runc.RuncOptions");
  expect(r, Category::invalid_argument, "containerd.linux.runc.RuncOptions");
  write_config("unknown.toml", "[shim]\nruntime = \"runc\"\nfrobnicate = 1\n");
  expect(create_request("bad", b, "unknown.toml"), Category::invalid_argument, "unknown.toml:3");
  write_config("syntax.toml", "[shim\n");
  expect(create_request("bad", b, "syntax.toml"), Category::invalid_argument, "syntax.toml:1");
  expect(create_request("bad", b, "missing.toml"), Category::not_found, "missing.toml");
  std::string occlum = bundle("occlum", {"true"}, {"RUNE_CARRIER=occlum"});
  expect(create_request("occlum", occlum), Category::failed_precondition, "RUNE_CARRIER=occlum");
  // rune missing: the enclave container is refused naming the path and the key; an ordinary one
  // runs with the same configuration.
  write_config(
      "norune.toml",
      "[shim]\nruntime = \"runc\"\nrune = \"/nonexistent/rune\"\nroot = \"" + dir_ + "/rt\"\n");
  std::string enc = bundle("enc", {"true"}, {"ENCLAVE_TYPE=sim", "ENCLAVE_RUNTIME_PATH=/x.so"});
  auto res =
      call<taskapi::CreateTaskResponse>(c, "Create", create_request("enc", enc, "norune.toml"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category(), Category::failed_precondition);
  EXPECT_NE(res.error().what().find("/nonexistent/rune"), std::string::npos) << res.error().what();
  EXPECT_NE(res.error().what().find("shim.rune"), std::string::npos) << res.error().what();
  auto ok = call<taskapi::CreateTaskResponse>(c, "Create", create_request("bad", b, "norune.toml"));
  ASSERT_TRUE(ok.ok()) << ok.error().what();
  // Duplicate id.
  auto dup = call<taskapi::CreateTaskResponse>(c, "Create", create_request("bad", b));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().category(), Category::already_exists);
  // The runtime's own failure: its logged error is the message; nothing stays mounted.
  std::string broken = bundle("broken", {"/no/such/binary"});
  auto br = call<taskapi::CreateTaskResponse>(c, "Create", create_request("broken", broken));
  if (br.ok()) {  // runc reports a missing binary at start, not create
    taskapi::StartRequest s;
    s.set_id("broken");
    auto st = call<taskapi::StartResponse>(c, "Start", s);
    EXPECT_FALSE(st.ok());
    taskapi::DeleteRequest d;
    d.set_id("broken");
    EXPECT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  }
  EXPECT_FALSE(mounted_under(broken + "/rootfs"));
  taskapi::DeleteRequest d;
  d.set_id("bad");
  EXPECT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  EXPECT_FALSE(mounted_under(b + "/rootfs"));
}

TEST_F(ShimComponent, LifecycleEventsAndErrors) {
  std::string b = bundle("life", {"sh", "-c", "trap 'exit 5' TERM; while :; do sleep 0.05; done"});
  std::string sock = start_shim("life", b);
  auto c = client(sock);
  taskapi::StartRequest unknown;
  unknown.set_id("nope");
  auto st = call<taskapi::StartResponse>(c, "Start", unknown);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().category(), Category::not_found);
  taskapi::KillRequest kill_unknown;
  kill_unknown.set_id("nope");
  kill_unknown.set_signal(15);
  EXPECT_EQ(call<google::protobuf::Empty>(c, "Kill", kill_unknown).error().category(),
            Category::not_found);

  auto created = call<taskapi::CreateTaskResponse>(c, "Create", create_request("life", b));
  ASSERT_TRUE(created.ok()) << created.error().what();
  taskapi::StateRequest sr;
  sr.set_id("life");
  EXPECT_EQ(call<taskapi::StateResponse>(c, "State", sr)->status(), containerd::v1::types::CREATED);
  taskapi::StartRequest s;
  s.set_id("life");
  auto started = call<taskapi::StartResponse>(c, "Start", s);
  ASSERT_TRUE(started.ok()) << started.error().what();
  EXPECT_EQ(started->pid(), created->pid());
  // A pending Wait on its own connection stalls nothing.
  std::thread waiter;
  base::Result<taskapi::WaitResponse> waited = base::Error(Category::internal, "not yet");
  waiter = std::thread([&] {
    auto wc = client(sock);
    taskapi::WaitRequest w;
    w.set_id("life");
    waited = call<taskapi::WaitResponse>(wc, "Wait", w, 30000);
  });
  auto state = call<taskapi::StateResponse>(c, "State", sr);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status(), containerd::v1::types::RUNNING);
  taskapi::PidsRequest pr;
  pr.set_id("life");
  auto pids = call<taskapi::PidsResponse>(c, "Pids", pr);
  ASSERT_TRUE(pids.ok()) << pids.error().what();
  bool found = false;
  for (const auto& p : pids->processes()) found |= p.pid() == created->pid();
  EXPECT_TRUE(found);
  taskapi::DeleteRequest d;
  d.set_id("life");
  auto running_delete = call<taskapi::DeleteResponse>(c, "Delete", d);
  ASSERT_FALSE(running_delete.ok());
  EXPECT_EQ(running_delete.error().category(), Category::failed_precondition);
  taskapi::KillRequest k;
  k.set_id("life");
  k.set_signal(SIGTERM);
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Kill", k).ok());
  waiter.join();
  ASSERT_TRUE(waited.ok()) << waited.error().what();
  EXPECT_EQ(waited->exit_status(), 5u);
  auto after = call<google::protobuf::Empty>(c, "Kill", k);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().category(), Category::not_found);
  EXPECT_NE(after.error().what().find("process already finished"), std::string::npos);
  // Shutdown with the container still there: the shim keeps serving.
  taskapi::ShutdownRequest sd;
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
  ASSERT_TRUE(call<taskapi::StateResponse>(c, "State", sr).ok());
  auto del = call<taskapi::DeleteResponse>(c, "Delete", d);
  ASSERT_TRUE(del.ok()) << del.error().what();
  EXPECT_EQ(del->exit_status(), 5u);
  EXPECT_FALSE(mounted_under(b + "/rootfs"));
  EXPECT_EQ(
      events_->topics("life", 4),
      (std::vector<std::string>{
          "/tasks/create containerd.events.TaskCreate", "/tasks/start containerd.events.TaskStart",
          "/tasks/exit containerd.events.TaskExit", "/tasks/delete containerd.events.TaskDelete"}));
  // Now Shutdown ends the daemon and removes its socket.
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
  for (int i = 0; i < 50 && access(sock.c_str(), F_OK) == 0; i++) usleep(100000);
  EXPECT_NE(access(sock.c_str(), F_OK), 0) << "socket left: " << sock;
}

TEST_F(ShimComponent, DeleteActionCleansUpWithoutTheDaemon) {
  std::string b = bundle("orphan", {"sleep", "100"});
  std::string sock = start_shim("orphan", b);
  auto c = client(sock);
  auto created = call<taskapi::CreateTaskResponse>(c, "Create", create_request("orphan", b));
  ASSERT_TRUE(created.ok()) << created.error().what();
  // The daemon dies (containerd then runs `delete`).
  pid_t daemon = shim_pid(sock);
  ASSERT_GT(daemon, 0);
  ASSERT_EQ(kill(daemon, SIGKILL), 0);
  for (int i = 0; i < 50 && base::process_alive(daemon, 0); i++) usleep(50000);
  auto [status, text] =
      exec_shim(b,
                {"-namespace", kNs, "-address", dir_ + "/containerd.sock", "-publish-binary",
                 "/bin/true", "-id", "orphan", "-bundle", b, "delete"},
                false);
  ASSERT_EQ(status, 0);
  taskapi::DeleteResponse resp;
  ASSERT_TRUE(resp.ParseFromString(text));
  EXPECT_EQ(resp.pid(), created->pid());
  EXPECT_EQ(resp.exit_status(), 137u);
  EXPECT_GT(resp.exited_at().seconds(), 0);
  EXPECT_FALSE(mounted_under(b + "/rootfs"));
  EXPECT_NE(access((dir_ + "/rt/runc/" + kNs + "/orphan").c_str(), F_OK), 0);
  EXPECT_NE(access(sock.c_str(), F_OK), 0);
  for (int i = 0; i < 50 && base::process_alive(pid_t(created->pid()), 0); i++) usleep(50000);
  EXPECT_FALSE(base::process_alive(pid_t(created->pid()), 0))
      << "the container's init survived delete";
}

TEST_F(ShimComponent, OtherUsersAreDisconnectedUnanswered) {
  std::string b = bundle("peer", {"true"});
  std::string sock = start_shim("peer", b);
  std::string sdir = sock.substr(0, sock.rfind('/'));
  // The socket and its directory as the shim made them.
  struct stat st;
  ASSERT_EQ(stat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(sdir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Let another user reach the socket, so that the shim's own check (SO_PEERCRED) is what refuses.
  ASSERT_EQ(chmod(dir_.c_str(), 0711), 0);
  ASSERT_EQ(chmod(sdir.c_str(), 0711), 0);
  ASSERT_EQ(chmod(sock.c_str(), 0666), 0);
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    auto fd = base::connect_unix(sock, "shim");
    if (!fd.ok()) _exit(4);
    std::string f = ttrpc::encode_frame(1, ttrpc::kRequest,
                                        ttrpc::Client::request_payload(kTask, "Connect", ""));
    (void)::send(fd->get(), f.data(), f.size(), MSG_NOSIGNAL);
    char buf[64];
    ssize_t n = recv(fd->get(), buf, sizeof buf, 0);
    _exit(n <= 0 ? 0 : 5);  // closed without an answer
  }
  int ws;
  waitpid(pid, &ws, 0);
  ASSERT_TRUE(WIFEXITED(ws));
  EXPECT_EQ(WEXITSTATUS(ws), 0) << "3: setuid, 4: connect refused, 5: answered";
  ASSERT_EQ(chmod(dir_.c_str(), 0700), 0);
  ASSERT_EQ(chmod(sdir.c_str(), 0700), 0);
  ASSERT_EQ(chmod(sock.c_str(), 0600), 0);
  auto c = client(sock);
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

TEST_F(ShimComponent, AStaleSocketIsReplaced) {
  std::string b = bundle("stale", {"true"});
  // Where the shim of group "stale" listens: a socket nobody accepts on is there already.
  std::string key = dir_ + "/containerd.sock/" + kNs + "/stale";
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256(key.data(), key.size(), d);
  char hex[2 * SHA256_DIGEST_SIZE + 1];
  sha256_hex(d, hex);
  std::string path = dir_ + "/s/" + hex;
  ASSERT_EQ(system(("mkdir -p " + dir_ + "/s").c_str()), 0);
  {
    base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  std::string sock = start_shim("stale", b);
  EXPECT_EQ(sock, path);
  auto c = client(sock);
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

TEST_F(ShimComponent, InitWithoutItsOwnPidNamespaceTakesTheRestAlong) {
  std::string b = bundle("nopidns", {"sh", "-c", "sleep 1000 & echo $! > /tmp/bg.pid; sleep 0.3"},
                         {}, {}, /*pid_ns=*/false);
  std::string sock = start_shim("nopidns", b);
  auto c = client(sock);
  ASSERT_TRUE(call<taskapi::CreateTaskResponse>(c, "Create", create_request("nopidns", b)).ok());
  taskapi::StartRequest s;
  s.set_id("nopidns");
  ASSERT_TRUE(call<taskapi::StartResponse>(c, "Start", s).ok());
  taskapi::WaitRequest w;
  w.set_id("nopidns");
  ASSERT_TRUE(call<taskapi::WaitResponse>(c, "Wait", w).ok());
  auto text = base::read_file(dir_ + "/image/tmp/bg.pid");
  ASSERT_TRUE(text.ok());
  pid_t bg = atoi(text->c_str());  // the host's pid: no PID namespace
  ASSERT_GT(bg, 0);
  for (int i = 0; i < 60 && base::process_alive(bg, 0); i++) usleep(50000);
  EXPECT_FALSE(base::process_alive(bg, 0)) << "the init's background process survived it";
  taskapi::DeleteRequest d;
  d.set_id("nopidns");
  EXPECT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

TEST_F(ShimComponent, OverlayOptionsLongerThanAPageAreShortened) {
  // 90 lower layers with long names: over 7 KB of mount options, more than a page; relative to
  // their common parent they fit.
  std::string layers = dir_ + "/layers/" + std::string(48, 'L');
  ASSERT_EQ(
      system(("mkdir -p " + layers + " && cp -a " + dir_ + "/image " + layers + "/image").c_str()),
      0);
  std::string lower;
  for (int i = 0; i < 90; i++) {
    std::string d = layers + "/layer-" + std::string(24, 'x') + std::to_string(i);
    ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
    lower += d + ":";
  }
  lower += layers + "/image";
  ASSERT_GT(lower.size(), size_t(sysconf(_SC_PAGESIZE)));
  ASSERT_EQ(system(("mkdir -p " + dir_ + "/ovl/upper " + dir_ + "/ovl/work").c_str()), 0);
  std::string b = bundle("overlay", {"sh", "-c", "test -x /bin/busybox && exit 3"});
  std::string sock = start_shim("overlay", b);
  auto c = client(sock);
  auto req = create_request("overlay", b);
  req.clear_rootfs();
  auto* m = req.add_rootfs();
  m->set_type("overlay");
  m->set_source("overlay");
  m->add_options("index=off");
  m->add_options("workdir=" + dir_ + "/ovl/work");
  m->add_options("upperdir=" + dir_ + "/ovl/upper");
  m->add_options("lowerdir=" + lower);
  auto created = call<taskapi::CreateTaskResponse>(c, "Create", req);
  ASSERT_TRUE(created.ok()) << created.error().what();
  EXPECT_TRUE(mounted_under(b + "/rootfs"));
  taskapi::StartRequest s;
  s.set_id("overlay");
  ASSERT_TRUE(call<taskapi::StartResponse>(c, "Start", s).ok());
  taskapi::WaitRequest w;
  w.set_id("overlay");
  auto waited = call<taskapi::WaitResponse>(c, "Wait", w);
  ASSERT_TRUE(waited.ok());
  EXPECT_EQ(waited->exit_status(), 3u);  // the image's busybox, seen through the overlay
  taskapi::DeleteRequest d;
  d.set_id("overlay");
  EXPECT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  EXPECT_FALSE(mounted_under(b + "/rootfs"));
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

// An exec's request as containerd builds it: the process as JSON in an Any.
taskapi::ExecProcessRequest exec_request(const std::string& id, const std::string& exec_id,
                                         const std::vector<std::string>& args,
                                         const std::string& stdout_path = "") {
  taskapi::ExecProcessRequest r;
  r.set_id(id);
  r.set_exec_id(exec_id);
  r.set_stdout(stdout_path);
  nlohmann::json proc = {{"terminal", false},
                         {"user", {{"uid", 0}, {"gid", 0}}},
                         {"args", args},
                         {"env", {"PATH=/bin"}},
                         {"cwd", "/"}};
  r.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
  r.mutable_spec()->set_value(proc.dump());
  return r;
}

TEST_F(ShimComponent, ExecRunsReportsAndRefusesBadInput) {
  std::string b = bundle("execs", {"sleep", "100"});
  std::string sock = start_shim("execs", b);
  auto c = client(sock);
  // Exec into an unknown container, and before the init runs.
  auto unknown = call<google::protobuf::Empty>(c, "Exec", exec_request("nope", "e1", {"true"}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category(), Category::not_found);
  ASSERT_TRUE(call<taskapi::CreateTaskResponse>(c, "Create", create_request("execs", b)).ok());
  auto early = call<google::protobuf::Empty>(c, "Exec", exec_request("execs", "e0", {"true"}));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().category(), Category::failed_precondition);
  taskapi::StartRequest s;
  s.set_id("execs");
  ASSERT_TRUE(call<taskapi::StartResponse>(c, "Start", s).ok());

  // An exec with its output on a FIFO, its exit code through Wait.
  std::string out = dir_ + "/execs-out";
  ASSERT_EQ(mkfifo(out.c_str(), 0600), 0);
  base::UniqueFd reader(open(out.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(
      call<google::protobuf::Empty>(
          c, "Exec", exec_request("execs", "e1", {"sh", "-c", "echo from-exec; exit 6"}, out))
          .ok());
  auto dup = call<google::protobuf::Empty>(c, "Exec", exec_request("execs", "e1", {"true"}));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().category(), Category::already_exists);
  s.set_exec_id("e1");
  auto started = call<taskapi::StartResponse>(c, "Start", s);
  ASSERT_TRUE(started.ok()) << started.error().what();
  EXPECT_GT(started->pid(), 0u);
  taskapi::WaitRequest w;
  w.set_id("execs");
  w.set_exec_id("e1");
  auto waited = call<taskapi::WaitResponse>(c, "Wait", w);
  ASSERT_TRUE(waited.ok()) << waited.error().what();
  EXPECT_EQ(waited->exit_status(), 6u);
  taskapi::DeleteRequest d;
  d.set_id("execs");
  d.set_exec_id("e1");
  auto del = call<taskapi::DeleteResponse>(c, "Delete", d);
  ASSERT_TRUE(del.ok()) << del.error().what();
  EXPECT_EQ(del->exit_status(), 6u);
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = read(reader.get(), buf, sizeof buf)) > 0) text.append(buf, size_t(n));
  EXPECT_EQ(text, "from-exec\n");
  taskapi::StateRequest st;
  st.set_id("execs");
  st.set_exec_id("e1");
  EXPECT_EQ(call<taskapi::StateResponse>(c, "State", st).error().category(), Category::not_found);

  // A long exec: Pids names it; SIGKILL ends it with 137; a later kill is NotFound.
  ASSERT_TRUE(
      call<google::protobuf::Empty>(c, "Exec", exec_request("execs", "e2", {"sleep", "50"})).ok());
  s.set_exec_id("e2");
  auto s2 = call<taskapi::StartResponse>(c, "Start", s);
  ASSERT_TRUE(s2.ok()) << s2.error().what();
  taskapi::PidsRequest pr;
  pr.set_id("execs");
  auto pids = call<taskapi::PidsResponse>(c, "Pids", pr);
  ASSERT_TRUE(pids.ok()) << pids.error().what();
  bool named = false;
  for (const auto& p : pids->processes()) {
    if (p.pid() != s2->pid()) continue;
    containerd::runc::v1::ProcessDetails details;
    EXPECT_EQ(p.info().type_url(), "containerd.runc.v1.ProcessDetails");
    ASSERT_TRUE(details.ParseFromString(p.info().value()));
    named = details.exec_id() == "e2";
  }
  EXPECT_TRUE(named) << "Pids does not list the exec's pid with its exec id";
  st.set_exec_id("e2");
  auto st2 = call<taskapi::StateResponse>(c, "State", st);
  ASSERT_TRUE(st2.ok());
  EXPECT_EQ(st2->status(), containerd::v1::types::RUNNING);
  EXPECT_EQ(st2->exec_id(), "e2");
  taskapi::KillRequest k;
  k.set_id("execs");
  k.set_exec_id("e2");
  k.set_signal(SIGKILL);
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Kill", k).ok());
  w.set_exec_id("e2");
  auto w2 = call<taskapi::WaitResponse>(c, "Wait", w);
  ASSERT_TRUE(w2.ok());
  EXPECT_EQ(w2->exit_status(), 137u);
  auto again = call<google::protobuf::Empty>(c, "Kill", k);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().category(), Category::not_found);
  EXPECT_NE(again.error().what().find("process already finished"), std::string::npos);

  // Bad specs, unknown exec ids.
  auto bad_type = exec_request("execs", "e3", {"true"});
  bad_type.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Spec");
  auto r = call<google::protobuf::Empty>(c, "Exec", bad_type);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category(), Category::invalid_argument);
  EXPECT_NE(r.error().what().find("runtime-spec/1/Spec"), std::string::npos);
  auto bad_json = exec_request("execs", "e3", {"true"});
  bad_json.mutable_spec()->set_value("{not json");
  r = call<google::protobuf::Empty>(c, "Exec", bad_json);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category(), Category::invalid_argument);
  s.set_exec_id("nope");
  EXPECT_EQ(call<taskapi::StartResponse>(c, "Start", s).error().category(), Category::not_found);
  k.set_exec_id("nope");
  EXPECT_EQ(call<google::protobuf::Empty>(c, "Kill", k).error().category(), Category::not_found);

  EXPECT_EQ(events_->topics("execs", 8),
            (std::vector<std::string>{"/tasks/create containerd.events.TaskCreate",
                                      "/tasks/start containerd.events.TaskStart",
                                      "/tasks/exec-added containerd.events.TaskExecAdded",
                                      "/tasks/exec-started containerd.events.TaskExecStarted",
                                      "/tasks/exit containerd.events.TaskExit",
                                      "/tasks/exec-added containerd.events.TaskExecAdded",
                                      "/tasks/exec-started containerd.events.TaskExecStarted",
                                      "/tasks/exit containerd.events.TaskExit"}));
  k.set_exec_id("");
  k.set_signal(SIGKILL);
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Kill", k).ok());
  w.set_exec_id("");
  ASSERT_TRUE(call<taskapi::WaitResponse>(c, "Wait", w).ok());
  d.set_exec_id("");
  ASSERT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

// The v1 file of a process's cgroup for `controller` (this host: hybrid, v1 controllers).
std::string cgroup_file(pid_t pid, const std::string& controller, const std::string& file) {
  auto text = base::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text.ok()) return "";
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    std::string list = line.substr(a + 1, b - a - 1);
    if (("," + list + ",").find("," + controller + ",") != std::string::npos)
      return "/sys/fs/cgroup/" + controller + line.substr(b + 1) + "/" + file;
  }
  return "";
}

TEST_F(ShimComponent, PauseResumeAndUpdate) {
  std::string b = bundle("pru", {"sleep", "100"});
  std::string sock = start_shim("pru", b);
  auto c = client(sock);
  auto created = call<taskapi::CreateTaskResponse>(c, "Create", create_request("pru", b));
  ASSERT_TRUE(created.ok()) << created.error().what();
  taskapi::PauseRequest pr;
  pr.set_id("pru");
  auto early = call<google::protobuf::Empty>(c, "Pause", pr);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().category(), Category::failed_precondition);
  taskapi::StartRequest s;
  s.set_id("pru");
  ASSERT_TRUE(call<taskapi::StartResponse>(c, "Start", s).ok());
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Pause", pr).ok());
  taskapi::StateRequest sr;
  sr.set_id("pru");
  EXPECT_EQ(call<taskapi::StateResponse>(c, "State", sr)->status(), containerd::v1::types::PAUSED);
  auto twice = call<google::protobuf::Empty>(c, "Pause", pr);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().what().find("paused"), std::string::npos);
  taskapi::ResumeRequest rr;
  rr.set_id("pru");
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Resume", rr).ok());
  EXPECT_EQ(call<taskapi::StateResponse>(c, "State", sr)->status(), containerd::v1::types::RUNNING);

  taskapi::UpdateTaskRequest ur;
  ur.set_id("pru");
  ur.mutable_resources()->set_type_url(
      "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources");
  ur.mutable_resources()->set_value(R"({"memory":{"limit":33554432}})");
  auto up = call<google::protobuf::Empty>(c, "Update", ur);
  ASSERT_TRUE(up.ok()) << up.error().what();
  std::string limit_file = cgroup_file(pid_t(created->pid()), "memory", "memory.limit_in_bytes");
  auto limit = base::read_file(limit_file);
  ASSERT_TRUE(limit.ok()) << limit_file;
  EXPECT_EQ(*limit, "33554432\n");

  // Stats: containerd's cgroups Metrics of the container, with the limit just set.
  taskapi::StatsRequest st;
  st.set_id("pru");
  auto stats = call<taskapi::StatsResponse>(c, "Stats", st);
  ASSERT_TRUE(stats.ok()) << stats.error().what();
  struct statfs fs {};
  ASSERT_EQ(statfs("/sys/fs/cgroup", &fs), 0);
  if (fs.f_type == CGROUP2_SUPER_MAGIC) {
    EXPECT_EQ(stats->stats().type_url(), "io.containerd.cgroups.v2.Metrics");
    io::containerd::cgroups::v2::Metrics m;
    ASSERT_TRUE(m.ParseFromString(stats->stats().value()));
    EXPECT_EQ(m.memory().usage_limit(), 33554432u);
    EXPECT_EQ(m.pids().current(), 1u);
  } else {
    EXPECT_EQ(stats->stats().type_url(), "io.containerd.cgroups.v1.Metrics");
    io::containerd::cgroups::v1::Metrics m;
    ASSERT_TRUE(m.ParseFromString(stats->stats().value()));
    EXPECT_EQ(m.memory().usage().limit(), 33554432u);
    EXPECT_GT(m.memory().usage().usage(), 0u);
    EXPECT_EQ(m.pids().current(), 1u);
  }
  st.set_id("nope");
  auto unknown = call<taskapi::StatsResponse>(c, "Stats", st);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category(), Category::not_found);
  ur.mutable_resources()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Spec");
  auto bad = call<google::protobuf::Empty>(c, "Update", ur);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category(), Category::invalid_argument);
  EXPECT_NE(bad.error().what().find("runtime-spec/1/Spec"), std::string::npos);

  EXPECT_EQ(events_->topics("pru", 4),
            (std::vector<std::string>{"/tasks/create containerd.events.TaskCreate",
                                      "/tasks/start containerd.events.TaskStart",
                                      "/tasks/paused containerd.events.TaskPaused",
                                      "/tasks/resumed containerd.events.TaskResumed"}));
  taskapi::KillRequest k;
  k.set_id("pru");
  k.set_signal(SIGKILL);
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Kill", k).ok());
  taskapi::WaitRequest w;
  w.set_id("pru");
  ASSERT_TRUE(call<taskapi::WaitResponse>(c, "Wait", w).ok());
  taskapi::DeleteRequest d;
  d.set_id("pru");
  ASSERT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

TEST_F(ShimComponent, EventsWaitForContainerdAndKeepTheirOrder) {
  // Nothing listens at the events address yet (containerd restarting): the sender keeps the
  // events and sends them, in order, once it can connect.
  std::string b = bundle("recon", {"sleep", "100"});
  std::string sock = start_shim("recon", b, "events-later.sock");
  auto c = client(sock);
  ASSERT_TRUE(call<taskapi::CreateTaskResponse>(c, "Create", create_request("recon", b)).ok());
  taskapi::StartRequest s;
  s.set_id("recon");
  ASSERT_TRUE(call<taskapi::StartResponse>(c, "Start", s).ok());
  usleep(1500 * 1000);
  auto* later = new EventsServer;  // lives as long as the test binary (its thread serves on)
  later->start(dir_ + "/events-later.sock");
  EXPECT_EQ(later->topics("recon", 2),
            (std::vector<std::string>{"/tasks/create containerd.events.TaskCreate",
                                      "/tasks/start containerd.events.TaskStart"}));
  taskapi::KillRequest k;
  k.set_id("recon");
  k.set_signal(SIGKILL);
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Kill", k).ok());
  taskapi::WaitRequest w;
  w.set_id("recon");
  ASSERT_TRUE(call<taskapi::WaitResponse>(c, "Wait", w).ok());
  taskapi::DeleteRequest d;
  d.set_id("recon");
  ASSERT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  EXPECT_EQ(later->topics("recon", 4).size(), 4u);
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

std::string slurp(const std::string& path) {
  auto r = base::read_file(path);
  return r.ok() ? *r : "";
}

TEST_F(ShimComponent, BinaryAndFileLoggersCaptureTheOutput) {
  std::string b = bundle("logged", {"sh", "-c", "echo to-out; echo to-err >&2"});
  std::string sock = start_shim("logged", b);
  auto c = client(sock);
  std::string log = dir_ + "/logger-out";
  auto req = create_request("logged", b);
  std::string uri = std::string("binary://") + SHIM_LOGGER + "?out=" + log;
  req.set_stdout(uri);
  req.set_stderr(uri);
  auto created = call<taskapi::CreateTaskResponse>(c, "Create", req);
  ASSERT_TRUE(created.ok()) << created.error().what();
  taskapi::StartRequest s;
  s.set_id("logged");
  ASSERT_TRUE(call<taskapi::StartResponse>(c, "Start", s).ok());
  taskapi::WaitRequest w;
  w.set_id("logged");
  ASSERT_TRUE(call<taskapi::WaitResponse>(c, "Wait", w).ok());
  taskapi::DeleteRequest d;
  d.set_id("logged");
  ASSERT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());  // waits for the logger
  EXPECT_EQ(slurp(log), "CONTAINER_ID=logged CONTAINER_NAMESPACE=" + kNs + " env=2\nto-out\n");
  EXPECT_EQ(slurp(log + ".err"), "to-err\n");

  // file://: both streams appended to one file (created with its directory).
  std::string file = dir_ + "/logs/file-out";
  ASSERT_TRUE(base::mkdir_all(dir_ + "/logs").ok());
  ASSERT_TRUE(base::write_file_atomic(file, "before\n").ok());
  req.set_stdout("file://" + file);
  req.set_stderr("file://" + file);
  ASSERT_TRUE(call<taskapi::CreateTaskResponse>(c, "Create", req).ok());
  ASSERT_TRUE(call<taskapi::StartResponse>(c, "Start", s).ok());
  ASSERT_TRUE(call<taskapi::WaitResponse>(c, "Wait", w).ok());
  ASSERT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  auto text = slurp(file);
  EXPECT_TRUE(text == "before\nto-out\nto-err\n" || text == "before\nto-err\nto-out\n") << text;

  // Other schemes and relative logger paths are refused, naming them.
  req.set_stdout("tcp://127.0.0.1:9");
  auto bad = call<taskapi::CreateTaskResponse>(c, "Create", req);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category(), Category::invalid_argument);
  EXPECT_NE(bad.error().what().find("tcp"), std::string::npos) << bad.error().what();
  req.set_stdout("binary://relative/logger");
  bad = call<taskapi::CreateTaskResponse>(c, "Create", req);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().what().find("relative/logger"), std::string::npos) << bad.error().what();
  EXPECT_FALSE(mounted_under(b + "/rootfs"));
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

// Reads `fd` (non-blocking) until `want` has appeared or 10 s have passed; what was read.
std::string read_until(int fd, const std::string& want) {
  std::string text;
  for (int i = 0; i < 1000 && text.find(want) == std::string::npos; i++) {
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0)
      text.append(buf, size_t(n));
    else
      usleep(10000);
  }
  return text;
}

TEST_F(ShimComponent, TerminalsThroughTheConsoleSocket) {
  std::string b = bundle("tty", {"sh", "-c", "read x; stty size; echo got-$x; read y; exit 5"});
  {
    auto j = nlohmann::json::parse(slurp(b + "/config.json"));
    j["process"]["terminal"] = true;
    ASSERT_TRUE(base::write_file_atomic(b + "/config.json", j.dump()).ok());
  }
  std::string sock = start_shim("tty", b);
  auto c = client(sock);
  std::string in = dir_ + "/tty-in", out = dir_ + "/tty-out";
  ASSERT_EQ(mkfifo(in.c_str(), 0600), 0);
  ASSERT_EQ(mkfifo(out.c_str(), 0600), 0);
  base::UniqueFd reader(open(out.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  auto req = create_request("tty", b);
  req.set_terminal(true);
  req.set_stdin(in);
  req.set_stdout(out);
  auto created = call<taskapi::CreateTaskResponse>(c, "Create", req);
  ASSERT_TRUE(created.ok()) << created.error().what();
  taskapi::StartRequest s;
  s.set_id("tty");
  ASSERT_TRUE(call<taskapi::StartResponse>(c, "Start", s).ok());
  taskapi::ResizePtyRequest rz;
  rz.set_id("tty");
  rz.set_width(61);
  rz.set_height(17);
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "ResizePty", rz).ok());
  base::UniqueFd writer(open(in.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer.valid());
  ASSERT_TRUE(base::write_all(writer.get(), "hello\n"));
  // The pty echoes the input, then the process writes (with the pty's CR LF).
  std::string text = read_until(reader.get(), "got-hello");
  EXPECT_NE(text.find("17 61\r\ngot-hello"), std::string::npos) << text;

  // An exec with a terminal of its own, resized before it reads.
  std::string xin = dir_ + "/tty-xin", xout = dir_ + "/tty-xout";
  ASSERT_EQ(mkfifo(xin.c_str(), 0600), 0);
  ASSERT_EQ(mkfifo(xout.c_str(), 0600), 0);
  base::UniqueFd xreader(open(xout.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  auto x = exec_request("tty", "x1", {"sh", "-c", "read z; stty size; tty; exit 2"}, xout);
  x.set_stdin(xin);
  x.set_terminal(true);
  {
    auto j = nlohmann::json::parse(x.spec().value());
    j["terminal"] = true;
    x.mutable_spec()->set_value(j.dump());
  }
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "Exec", x).ok());
  s.set_exec_id("x1");
  auto xs = call<taskapi::StartResponse>(c, "Start", s);
  ASSERT_TRUE(xs.ok()) << xs.error().what();
  rz.set_exec_id("x1");
  rz.set_width(33);
  rz.set_height(9);
  ASSERT_TRUE(call<google::protobuf::Empty>(c, "ResizePty", rz).ok());
  base::UniqueFd xwriter(open(xin.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(base::write_all(xwriter.get(), "go\n"));
  taskapi::WaitRequest w;
  w.set_id("tty");
  w.set_exec_id("x1");
  auto xw = call<taskapi::WaitResponse>(c, "Wait", w);
  ASSERT_TRUE(xw.ok()) << xw.error().what();
  EXPECT_EQ(xw->exit_status(), 2u);
  text = read_until(xreader.get(), "/dev/pts/");
  EXPECT_NE(text.find("9 33\r\n/dev/pts/"), std::string::npos) << text;
  rz.set_exec_id("nope");
  auto unknown = call<google::protobuf::Empty>(c, "ResizePty", rz);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category(), Category::not_found);

  ASSERT_TRUE(base::write_all(writer.get(), "bye\n"));
  w.set_exec_id("");
  auto waited = call<taskapi::WaitResponse>(c, "Wait", w);
  ASSERT_TRUE(waited.ok()) << waited.error().what();
  EXPECT_EQ(waited->exit_status(), 5u);
  taskapi::DeleteRequest d;
  d.set_id("tty");
  ASSERT_TRUE(call<taskapi::DeleteResponse>(c, "Delete", d).ok());
  // The console sockets (and their directories) went once the masters had come.
  EXPECT_EQ(system("ls -d /tmp/pty-* >/dev/null 2>&1"), 512);
  taskapi::ShutdownRequest sd;
  EXPECT_TRUE(call<google::protobuf::Empty>(c, "Shutdown", sd).ok());
}

}  // namespace
