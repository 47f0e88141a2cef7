#include "shim/shim.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

#include "base/file.h"
#include "base/json_reader.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/socket.h"
#include "base/words.h"
#include "containerd/task/v2/shim.pb.h"
#include "shim/config.h"
#include "shim/events.h"
#include "shim/reaper.h"
#include "shim/rootfs.h"
#include "shim/runtime.h"
#include "shim/task.h"
#include "ttrpc/server.h"

namespace shim {
namespace {

constexpr size_t kMaxSocketPath = 106;

std::string strip_unix(const std::string& address) {
  return address.rfind("unix://", 0) == 0 ? address.substr(7) : address;
}

// Whether something accepts connections on the socket at `path`.
bool accepting(const std::string& path) {
  auto fd = base::connect_unix(path, "shim socket");
  return fd.ok();
}

base::Result<std::string> read_stdin() {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EBADF) return out;  // no stdin at all
      return base::sys_error("reading the options on stdin");
    }
    if (n == 0) return out;
    out.append(buf, size_t(n));
    if (out.size() > (1 << 20)) return base::invalid("the options on stdin exceed 1 MiB");
  }
}

void fail_line(const std::string& msg) {
  // containerd shows stdout and stderr together: one line.
  fprintf(stderr, "containerd-shim-rune-v2: %s\n", msg.c_str());
}

// oom_score_adj of containerd (our parent) + 1, as the runc shim: the shim dies before containerd.
void adjust_oom_score(pid_t containerd) {
  auto text = base::read_file("/proc/" + std::to_string(containerd) + "/oom_score_adj", 32);
  if (!text.ok()) return;
  int v = atoi(text->c_str());
  if (v < 1000) v++;
  (void)base::write_file("/proc/self/oom_score_adj", std::to_string(v));
}

// Moves this process into `cgroup` in every hierarchy where that cgroup exists.
void join_cgroup(const std::string& cgroup) {
  auto mounts = base::read_file("/proc/self/mountinfo");
  if (!mounts.ok()) return;
  bool joined = false;
  for (auto line : base::split_lines(*mounts)) {
    auto f = base::split_words(line);
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") dash++;
    if (dash + 1 >= f.size() || (f[dash + 1] != "cgroup" && f[dash + 1] != "cgroup2")) continue;
    std::string procs = std::string(f[4]) + "/" + cgroup + "/cgroup.procs";
    if (base::write_file(procs, std::to_string(getpid())).ok()) joined = true;
  }
  if (!joined) base::log::warn("shim_cgroup `" + cgroup + "`: joined no cgroup hierarchy");
}

[[noreturn]] void run_daemon(base::UniqueFd listen_fd, const ShimArgs& args, Config config,
                             std::string address) {
  std::string path = strip_unix(address);
  signal(SIGPIPE, SIG_IGN);
  base::log::configure("", base::log::Format::text, args.debug);
  base::log::set_min_level(args.debug                      ? base::log::Level::debug
                           : config.log_level == "error"   ? base::log::Level::error
                           : config.log_level == "warning" ? base::log::Level::warning
                           : config.log_level == "debug"   ? base::log::Level::debug
                                                           : base::log::Level::info);
  for (const auto& k : config.unused)
    base::log::info("config: `" + k + "` is not used by shim-rune");
  auto reaper = start_reaper();
  if (!reaper.ok()) {
    base::log::error("shim: " + reaper.error().what());
    _exit(1);
  }
  const char* ttrpc_address = getenv("TTRPC_ADDRESS");
  Publisher events(ttrpc_address ? ttrpc_address : "", args.ns);
  if (auto st = events.start(); !st.ok()) {
    base::log::error("shim: " + st.error().what());
    _exit(1);
  }
  ttrpc::Services services;
  ttrpc::Server* server_ptr = nullptr;
  ServiceContext ctx{args.ns, address, config, &events, [&server_ptr] {
                       if (server_ptr) server_ptr->stop();
                     }};
  TaskService tasks(std::move(ctx));
  tasks.register_with(services);
  ttrpc::Server server(services);
  server_ptr = &server;
  auto served = server.serve(listen_fd.get());
  if (!served.ok()) base::log::error("shim: " + served.error().what());
  unlink(path.c_str());
  events.flush(2000);
  base::log::debug("shim: exiting");
  _exit(served.ok() ? 0 : 1);
}

}  // namespace

std::string socket_address(const std::string& containerd_address, const std::string& ns,
                           const std::string& group) {
  std::string key = containerd_address + "/" + ns + "/" + group;
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256(key.data(), key.size(), digest);
  char hex[2 * SHA256_DIGEST_SIZE + 1];
  sha256_hex(digest, hex);
  std::string addr = strip_unix(containerd_address);
  std::string dir = addr.substr(0, addr.rfind('/') == std::string::npos ? 0 : addr.rfind('/'));
  if (dir.empty()) dir = "/run/containerd";
  std::string path = dir + "/s/" + hex;
  if (path.size() > kMaxSocketPath) path = std::string("/run/containerd/s/") + hex;
  return "unix://" + path;
}

std::string group_of(const std::string& bundle, const std::string& id) {
  auto text = base::read_file(bundle + "/config.json");
  if (!text.ok()) return id;
  base::Json j = base::Json::parse(*text, nullptr, false);
  if (!j.is_object()) return id;
  auto ann = j.find("annotations");
  if (ann == j.end() || !ann->is_object()) return id;
  for (const char* key : {"io.containerd.rune.v2.group", "io.kubernetes.cri.sandbox-id"}) {
    auto it = ann->find(key);
    if (it != ann->end() && it->is_string() && !it->get<std::string>().empty())
      return it->get<std::string>();
  }
  return id;
}

int start_action(const ShimArgs& args) {
  auto run = [&]() -> base::Result<std::string> {
    if (args.ns.empty()) return base::invalid("-namespace is required");
    if (args.id.empty()) return base::invalid("-id is required");
    if (args.address.empty()) return base::invalid("-address is required");
    ASSIGN_OR_RETURN(std::string stdin_bytes, read_stdin());
    ASSIGN_OR_RETURN(ContainerOptions opts, parse_options_bytes(stdin_bytes));
    Config config;
    if (!opts.config_path.empty()) {
      ASSIGN_OR_RETURN(config, load_config(opts.config_path, true));
    } else {
      ASSIGN_OR_RETURN(config, load_config(kDefaultConfigPath, false));
    }
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return base::sys_error("getcwd");
    std::string bundle = cwd;
    std::string address = socket_address(args.address, args.ns, group_of(bundle, args.id));
    std::string path = strip_unix(address);
    if (accepting(path)) {
      TRY(base::write_file_atomic(bundle + "/address", address, 0600));
      return address;
    }
    unlink(path.c_str());  // a stale socket of a shim that died
    std::string dir = path.substr(0, path.rfind('/'));
    TRY(base::mkdir_all(dir, 0700));
    chmod(dir.c_str(), 0700);
    ASSIGN_OR_RETURN(base::UniqueFd listener, ttrpc::listen_unix(path));
    std::string shim_cgroup = opts.shim_cgroup.empty() ? config.shim_cgroup : opts.shim_cgroup;
    pid_t containerd = getppid();
    pid_t pid = fork();
    if (pid < 0) {
      unlink(path.c_str());
      return base::sys_error("fork");
    }
    if (pid == 0) {
      setsid();
      int null = open("/dev/null", O_RDWR | O_CLOEXEC);
      // containerd reads the bundle's `log` FIFO; without a reader, nothing is logged.
      int log = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (log >= 0) fcntl(log, F_SETFL, O_WRONLY);
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(log >= 0 ? log : null, STDERR_FILENO);
      if (log >= 0) close(log);
      close(null);
      // Nothing else of the caller's: its pipes (containerd's, a test's) must see EOF when
      // `start` exits.
      if (listener.get() != 3) {
        if (dup3(listener.get(), 3, O_CLOEXEC) < 0) _exit(1);
        listener.reset(3);
      }
      close_range(4, ~0U, 0);
      adjust_oom_score(containerd);
      if (!shim_cgroup.empty()) join_cgroup(shim_cgroup);
      run_daemon(std::move(listener), args, std::move(config), address);
    }
    auto w = base::write_file_atomic(bundle + "/address", address, 0600);
    if (!w.ok()) {
      kill(pid, SIGKILL);
      unlink(path.c_str());
      return std::move(w).error();
    }
    return address;
  };
  auto r = run();
  if (!r.ok()) {
    fail_line("start: " + r.error().what());
    return 1;
  }
  fputs(r->c_str(), stdout);
  fflush(stdout);
  return 0;
}

int delete_action(const ShimArgs& args) {
  char cwd[4096];
  std::string bundle = !args.bundle.empty() ? args.bundle : (getcwd(cwd, sizeof cwd) ? cwd : ".");
  if (args.id.empty()) {
    fail_line("delete: -id is required");
    return 1;
  }
  auto saved_text = base::read_file(bundle + "/shim-rune.json");
  if (saved_text.ok()) {
    base::Json saved = base::Json::parse(*saved_text, nullptr, false);
    if (saved.is_object()) {
      Runtime rt;
      rt.path = saved.value("runtime", "");
      rt.root = saved.value("root", "");
      rt.systemd_cgroup = saved.value("systemd_cgroup", false);
      rt.log = bundle + "/log.json";
      struct stat st;
      if (!rt.path.empty() && !rt.root.empty() &&
          stat((rt.root + "/" + args.id).c_str(), &st) == 0) {
        Command cmd;
        cmd.timeout_ms = 4000;
        auto r = rt.run({"delete", "--force", args.id}, cmd);
        if (!r.ok() || r->status != 0)
          fprintf(stderr, "delete --force %s failed: %s\n", args.id.c_str(),
                  r.ok() ? last_logged_error(r->err).c_str() : r.error().what().c_str());
      }
    }
  }
  (void)unmount_all(bundle + "/rootfs");
  auto addr = base::read_file(bundle + "/address", 4096);
  if (addr.ok()) {
    std::string path = strip_unix(*addr);
    if (!path.empty() && !accepting(path)) unlink(path.c_str());
  }
  containerd::task::v2::DeleteResponse resp;
  auto pid = base::read_file(bundle + "/init.pid", 64);
  if (pid.ok()) resp.set_pid(uint32_t(atoi(pid->c_str())));
  resp.set_exit_status(128 + SIGKILL);
  timespec now = now_realtime();
  resp.mutable_exited_at()->set_seconds(now.tv_sec);
  resp.mutable_exited_at()->set_nanos(int32_t(now.tv_nsec));
  std::string out = resp.SerializeAsString();
  fwrite(out.data(), 1, out.size(), stdout);
  fflush(stdout);
  return 0;
}

}  // namespace shim
