#include "shim/task.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json_reader.h"
#include "base/log.h"
#include "base/thread.h"
#include "containerd/events/task.pb.h"
#include "containerd/runc/v1/options.pb.h"
#include "containerd/types/task.pb.h"
#include "enclave/config.h"
#include "google/protobuf/empty.pb.h"
#include "runtimeoptions/v1/api.pb.h"
#include "shim/options.h"

namespace shim {
namespace {

namespace types = ::containerd::v1::types;
namespace events = ::containerd::events;

base::Error refused(const char* what) {
  return base::Error(base::Category::failed_precondition, what);
}

class Created : public ProcessState {
  const char* name() const override { return "created"; }
  int status() const override { return types::CREATED; }
  base::Status can_start() const override { return base::ok(); }
  base::Status can_kill() const override { return base::ok(); }
  base::Status can_delete() const override { return base::ok(); }
};
class Running : public ProcessState {
  const char* name() const override { return "running"; }
  int status() const override { return types::RUNNING; }
  base::Status can_start() const override { return refused("cannot start a running process"); }
  base::Status can_kill() const override { return base::ok(); }
  base::Status can_delete() const override { return refused("cannot delete a running process"); }
};
class Stopped : public ProcessState {
  const char* name() const override { return "stopped"; }
  int status() const override { return types::STOPPED; }
  base::Status can_start() const override { return refused("cannot start a stopped process"); }
  base::Status can_kill() const override {
    return base::Error(base::Category::not_found, "process already finished");
  }
  base::Status can_delete() const override { return base::ok(); }
};
class Deleted : public ProcessState {
  const char* name() const override { return "deleted"; }
  int status() const override { return types::STOPPED; }
  base::Status can_start() const override { return refused("cannot start a deleted process"); }
  base::Status can_kill() const override {
    return base::Error(base::Category::not_found, "process already finished");
  }
  base::Status can_delete() const override {
    return base::Error(base::Category::not_found, "process already deleted");
  }
};

void set_time(google::protobuf::Timestamp* t, const timespec& ts) {
  t->set_seconds(ts.tv_sec);
  t->set_nanos(int32_t(ts.tv_nsec));
}

base::Error unimplemented(const std::string& what) {
  return base::Error(base::Category::unimplemented,
                     what + " is not implemented by shim-rune yet (part 1b)");
}

// What Create reads of config.json: the process env, the annotations, the PID namespace.
struct BundleFacts {
  std::vector<std::string> env;
  std::map<std::string, std::string> annotations;
  bool own_pid_ns = false;
};

base::Result<BundleFacts> read_bundle(const std::string& bundle) {
  std::string path = bundle + "/config.json";
  auto text = base::read_file(path);
  if (!text.ok()) {
    if (text.error().err() == ENOENT)
      return base::Error(base::Category::not_found, "bundle `" + bundle + "` has no config.json");
    return std::move(text).error();
  }
  ASSIGN_OR_RETURN(base::Json j, base::parse_json(*text, path));
  BundleFacts f;
  if (!j.is_object()) return base::invalid(path + ": not a JSON object");
  auto proc = j.find("process");
  if (proc != j.end() && proc->is_object()) {
    auto env = proc->find("env");
    if (env != proc->end() && env->is_array())
      for (const auto& e : *env)
        if (e.is_string()) f.env.push_back(e.get<std::string>());
  }
  auto ann = j.find("annotations");
  if (ann != j.end() && ann->is_object())
    for (const auto& [k, v] : ann->items())
      if (v.is_string()) f.annotations[k] = v.get<std::string>();
  auto lin = j.find("linux");
  if (lin != j.end() && lin->is_object()) {
    auto nss = lin->find("namespaces");
    if (nss != lin->end() && nss->is_array())
      for (const auto& ns : *nss)
        if (ns.is_object() && ns.value("type", "") == "pid" && ns.value("path", "").empty())
          f.own_pid_ns = true;
  }
  return f;
}

std::string env_value(const std::vector<std::string>& env, const std::string& name,
                      bool* set = nullptr) {
  std::string prefix = name + "=";
  std::string v;
  if (set) *set = false;
  for (const auto& e : env)
    if (e.compare(0, prefix.size(), prefix) == 0) {
      v = e.substr(prefix.size());
      if (set) *set = true;
    }
  return v;
}

base::Result<pid_t> read_pid_file(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, base::read_file(path, 64));
  char* end = nullptr;
  long v = strtol(text.c_str(), &end, 10);
  if (v <= 0 || v > INT32_MAX || (end && *end && *end != '\n'))
    return base::Error(base::Category::internal, "pid file `" + path + "` holds no pid");
  return pid_t(v);
}

}  // namespace

const ProcessState& created_state() {
  static const Created s;
  return s;
}
const ProcessState& running_state() {
  static const Running s;
  return s;
}
const ProcessState& stopped_state() {
  static const Stopped s;
  return s;
}
const ProcessState& deleted_state() {
  static const Deleted s;
  return s;
}

base::Status check_id(const std::string& id) {
  if (id.empty()) return base::invalid("container id is empty");
  if (id.size() > 76)
    return base::invalid("container id `" + base::clip(id) + "` is longer than 76 characters");
  bool prev_sep = true;
  for (char ch : id) {
    bool alnum = isalnum(static_cast<unsigned char>(ch));
    bool sep = ch == '.' || ch == '_' || ch == '-';
    if (!alnum && !sep)
      return base::invalid(
          "container id `" + base::clip(id) +
          "` may hold only letters, digits and single '.', '_' or '-' between them");
    if (sep && prev_sep)
      return base::invalid("container id `" + base::clip(id) +
                           "` must start with a letter or digit and not repeat '.', '_' or '-'");
    prev_sep = sep;
  }
  if (prev_sep) return base::invalid("container id `" + base::clip(id) + "` ends with a separator");
  return base::ok();
}

base::Result<std::shared_ptr<Container>> TaskService::get(const std::string& id,
                                                          const std::string& exec_id) {
  std::shared_ptr<Container> c;
  {
    std::lock_guard lock(mu_);
    auto it = containers_.find(id);
    if (it != containers_.end()) c = it->second;
  }
  if (!c)
    return base::Error(base::Category::not_found, "container `" + base::clip(id) + "` not found");
  if (!exec_id.empty())
    return base::Error(base::Category::not_found,
                       "exec `" + base::clip(exec_id) + "` of container `" + id + "` not found");
  return c;
}

base::Result<taskapi::CreateTaskResponse> TaskService::create(const taskapi::CreateTaskRequest& r) {
  std::lock_guard create_lock(create_mu_);
  TRY(check_id(r.id()));
  if (r.bundle().empty() || r.bundle()[0] != '/')
    return base::invalid("bundle `" + base::clip(r.bundle()) + "` is not an absolute path");
  struct stat st;
  if (stat(r.bundle().c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return base::Error(base::Category::not_found,
                       "bundle `" + base::clip(r.bundle(), 256) + "` is not a directory");
  if (!r.checkpoint().empty()) return unimplemented("restoring from a checkpoint");
  {
    std::lock_guard lock(mu_);
    if (containers_.count(r.id()))
      return base::Error(base::Category::already_exists,
                         "container `" + r.id() + "` already exists");
  }

  // Options: the file first, then the container's own.
  ASSIGN_OR_RETURN(ContainerOptions opts, parse_options(r.options()));
  Config cfg = ctx_.config;
  if (!opts.config_path.empty()) {
    ASSIGN_OR_RETURN(cfg, load_config(opts.config_path, true));
    for (const auto& k : cfg.unused)
      base::log::info("config: `" + k + "` (" + opts.config_path + ") is not used by shim-rune");
  }
  ASSIGN_OR_RETURN(BundleFacts facts, read_bundle(r.bundle()));
  bool carrier_set = false;
  std::string carrier = env_value(facts.env, "RUNE_CARRIER", &carrier_set);
  if (carrier_set && !carrier.empty() && carrier != "empty")
    return base::Error(base::Category::failed_precondition,
                       "process.env `RUNE_CARRIER=" + base::clip(carrier) +
                           "`: the carrier is not supported (unset, empty or `empty` only)");
  ASSIGN_OR_RETURN(std::optional<enclave::Config> enc,
                   enclave::classify(facts.env, facts.annotations));

  auto c = std::make_shared<Container>();
  c->id = r.id();
  c->bundle = r.bundle();
  c->enclave = enc.has_value();
  c->own_pid_ns = facts.own_pid_ns;
  c->stdio = {r.stdin(), r.stdout(), r.stderr(), r.terminal()};
  if (c->enclave) {
    auto p = resolve_runtime(cfg.rune, "shim.rune");
    if (!p.ok())
      return base::Error(base::Category::failed_precondition,
                         "enclave container `" + c->id + "` needs rune: " + p.error().what());
    c->runtime.path = *p;
  } else {
    std::string name = opts.binary_name.empty() ? cfg.runtime : opts.binary_name;
    ASSIGN_OR_RETURN(
        c->runtime.path,
        resolve_runtime(name, opts.binary_name.empty() ? "shim.runtime" : "options BinaryName"));
  }
  std::string root = opts.root.empty() ? cfg.root : opts.root;
  std::string runtime_name = c->runtime.path.substr(c->runtime.path.rfind('/') + 1);
  c->runtime.root = root + "/" + runtime_name + "/" + ctx_.ns;
  c->runtime.log = c->bundle + "/log.json";
  c->runtime.systemd_cgroup = opts.systemd_cgroup || cfg.systemd_cgroup;
  TRY(base::mkdir_all(c->runtime.root, 0711));
  for (const auto& m : r.rootfs()) {
    MountSpec s{m.type(), m.source(), {}};
    for (const auto& o : m.options()) s.options.push_back(o);
    c->rootfs.push_back(std::move(s));
  }

  ASSIGN_OR_RETURN(c->io, ProcessIO::open(c->stdio, opts.io_uid, opts.io_gid));
  std::string rootfs_dir = c->bundle + "/rootfs";
  if (!c->rootfs.empty()) {
    if (mkdir(rootfs_dir.c_str(), 0711) != 0 && errno != EEXIST)
      return base::sys_error("cannot create `" + rootfs_dir + "`");
    TRY(mount_rootfs(c->rootfs, rootfs_dir));
  }
  std::vector<std::string> args = {"create", "--bundle", c->bundle, "--pid-file",
                                   c->bundle + "/init.pid"};
  if (opts.no_pivot_root) args.push_back("--no-pivot");
  if (opts.no_new_keyring) args.push_back("--no-new-keyring");
  args.push_back(c->id);
  Command cmd;
  cmd.stdin_fd = c->io->child_stdin();
  cmd.stdout_fd = c->io->child_stdout();
  cmd.stderr_fd = c->io->child_stderr();
  auto created = c->runtime.check(args, cmd);
  c->io->close_child_ends();
  base::Result<pid_t> pid =
      created.ok() ? read_pid_file(c->bundle + "/init.pid") : base::Result<pid_t>(created.error());
  if (!pid.ok()) {
    if (created.ok()) (void)c->runtime.run({"delete", "--force", c->id});
    if (!c->rootfs.empty()) (void)unmount_all(rootfs_dir);
    return std::move(pid).error();
  }
  c->pid = *pid;

  // What `delete` needs when this daemon is gone.
  base::Json saved = {{"runtime", c->runtime.path},
                      {"root", c->runtime.root},
                      {"systemd_cgroup", c->runtime.systemd_cgroup},
                      {"address", ctx_.socket_address}};
  auto w = base::write_file_atomic(c->bundle + "/shim-rune.json", saved.dump(), 0600);
  if (!w.ok()) base::log::warn("create: " + w.error().what());

  {
    std::lock_guard lock(mu_);
    containers_[c->id] = c;
  }
  events::TaskCreate ev;
  ev.set_container_id(c->id);
  ev.set_bundle(c->bundle);
  *ev.mutable_rootfs() = r.rootfs();
  ev.mutable_io()->set_stdin(r.stdin());
  ev.mutable_io()->set_stdout(r.stdout());
  ev.mutable_io()->set_stderr(r.stderr());
  ev.mutable_io()->set_terminal(r.terminal());
  ev.set_checkpoint(r.checkpoint());
  ev.set_pid(uint32_t(c->pid));
  ctx_.events->publish("/tasks/create", "containerd.events.TaskCreate", ev);
  std::weak_ptr<Container> weak = c;
  watch(c->pid, [this, weak](const Exit& e) {
    if (auto c = weak.lock()) on_exit(c, e);
  });
  base::log::debug("created `" + c->id + "` with " + c->runtime.path + " (pid " +
                   std::to_string(c->pid) + ")");
  taskapi::CreateTaskResponse resp;
  resp.set_pid(uint32_t(c->pid));
  return resp;
}

std::vector<std::function<void()>> TaskService::apply_exit(Container& c, const Exit& e) {
  c.state = &stopped_state();
  c.exit_status = e.status;
  c.exited_at = e.at;
  events::TaskExit ev;
  ev.set_container_id(c.id);
  ev.set_id(c.id);
  ev.set_pid(uint32_t(e.pid));
  ev.set_exit_status(uint32_t(e.status));
  set_time(ev.mutable_exited_at(), e.at);
  ctx_.events->publish("/tasks/exit", "containerd.events.TaskExit", ev);
  return std::move(c.waiters);
}

void TaskService::on_exit(const std::shared_ptr<Container>& c, const Exit& e) {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(c->mu);
    if (c->state == &deleted_state()) return;
    if (c->starting) {
      c->held_exit = e;
      return;
    }
    waiters = apply_exit(*c, e);
  }
  for (auto& w : waiters) w();
  if (!c->own_pid_ns) {
    // Without its own PID namespace the container's other processes outlive its init: end them
    // (off the reaper's thread, which must reap the runtime command).
    Runtime rt = c->runtime;
    std::string id = c->id;
    (void)base::start_detached([rt, id] { (void)rt.run({"kill", "--all", id, "9"}); });
  }
}

base::Result<taskapi::StartResponse> TaskService::start(const taskapi::StartRequest& r) {
  ASSIGN_OR_RETURN(auto c, get(r.id(), r.exec_id()));
  {
    std::lock_guard lock(c->mu);
    TRY(c->state->can_start());
    if (c->starting) return refused("the container is being started already");
    c->starting = true;
  }
  auto started = c->runtime.check({"start", c->id});
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(c->mu);
    c->starting = false;
    if (started.ok()) {
      c->state = &running_state();
      events::TaskStart ev;
      ev.set_container_id(c->id);
      ev.set_pid(uint32_t(c->pid));
      ctx_.events->publish("/tasks/start", "containerd.events.TaskStart", ev);
    }
    if (c->held_exit) {
      waiters = apply_exit(*c, *c->held_exit);
      c->held_exit.reset();
    }
  }
  for (auto& w : waiters) w();
  if (!started.ok()) return std::move(started).error();
  taskapi::StartResponse resp;
  resp.set_pid(uint32_t(c->pid));
  return resp;
}

base::Result<taskapi::DeleteResponse> TaskService::remove(const taskapi::DeleteRequest& r) {
  ASSIGN_OR_RETURN(auto c, get(r.id(), r.exec_id()));
  {
    std::lock_guard lock(c->mu);
    TRY(c->state->can_delete());
    if (c->starting) return refused("cannot delete a process that is being started");
  }
  auto deleted = c->runtime.check({"delete", c->id});
  if (!deleted.ok() && deleted.error().message().find("does not exist") == std::string::npos &&
      deleted.error().message().find("not found") == std::string::npos)
    return std::move(deleted).error();
  if (!c->io->wait_copied(2000))
    base::log::warn("delete `" + c->id + "`: its output was still being copied after 2 s");
  c->io->close_stdin();
  if (!c->rootfs.empty()) {
    auto u = unmount_all(c->bundle + "/rootfs");
    if (!u.ok()) base::log::warn("delete `" + c->id + "`: " + u.error().what());
  }
  taskapi::DeleteResponse resp;
  {
    std::lock_guard lock(c->mu);
    c->state = &deleted_state();
    resp.set_pid(uint32_t(c->pid));
    resp.set_exit_status(uint32_t(c->exit_status));
    set_time(resp.mutable_exited_at(), c->exited_at);
    events::TaskDelete ev;
    ev.set_container_id(c->id);
    ev.set_pid(uint32_t(c->pid));
    ev.set_exit_status(uint32_t(c->exit_status));
    set_time(ev.mutable_exited_at(), c->exited_at);
    ctx_.events->publish("/tasks/delete", "containerd.events.TaskDelete", ev);
  }
  std::lock_guard lock(mu_);
  containers_.erase(c->id);
  return resp;
}

base::Result<taskapi::StateResponse> TaskService::state(const taskapi::StateRequest& r) {
  ASSIGN_OR_RETURN(auto c, get(r.id(), r.exec_id()));
  taskapi::StateResponse resp;
  std::lock_guard lock(c->mu);
  resp.set_id(c->id);
  resp.set_bundle(c->bundle);
  resp.set_pid(uint32_t(c->pid));
  resp.set_status(types::Status(c->state->status()));
  resp.set_stdin(c->stdio.stdin);
  resp.set_stdout(c->stdio.stdout);
  resp.set_stderr(c->stdio.stderr);
  resp.set_terminal(c->stdio.terminal);
  resp.set_exit_status(uint32_t(c->exit_status));
  set_time(resp.mutable_exited_at(), c->exited_at);
  return resp;
}

base::Status TaskService::kill(const taskapi::KillRequest& r) {
  ASSIGN_OR_RETURN(auto c, get(r.id(), r.exec_id()));
  {
    std::lock_guard lock(c->mu);
    TRY(c->state->can_kill());
  }
  if (r.signal() == 0 || r.signal() >= 65)
    return base::invalid("signal " + std::to_string(r.signal()) + " is not a signal number");
  std::vector<std::string> args = {"kill"};
  if (r.all()) args.push_back("--all");
  args.push_back(c->id);
  args.push_back(std::to_string(r.signal()));
  auto k = c->runtime.check(args);
  if (!k.ok()) {
    const std::string& m = k.error().message();
    if (m.find("not running") != std::string::npos ||
        m.find("does not exist") != std::string::npos ||
        m.find("already finished") != std::string::npos || m.find("not found") != std::string::npos)
      return base::Error(base::Category::not_found, "process already finished");
    return std::move(k).error();
  }
  return base::ok();
}

void TaskService::wait(const taskapi::WaitRequest& r,
                       std::function<void(base::Result<taskapi::WaitResponse>)> reply) {
  auto c = get(r.id(), r.exec_id());
  if (!c.ok()) return reply(std::move(c).error());
  auto answer = [c = *c, reply] {
    taskapi::WaitResponse resp;
    {
      std::lock_guard lock(c->mu);
      resp.set_exit_status(uint32_t(c->exit_status));
      set_time(resp.mutable_exited_at(), c->exited_at);
    }
    reply(resp);
  };
  {
    std::lock_guard lock((*c)->mu);
    if ((*c)->state != &stopped_state() && (*c)->state != &deleted_state()) {
      (*c)->waiters.push_back(answer);
      return;
    }
  }
  answer();
}

base::Result<taskapi::PidsResponse> TaskService::pids(const taskapi::PidsRequest& r) {
  ASSIGN_OR_RETURN(auto c, get(r.id(), ""));
  ASSIGN_OR_RETURN(Output o, c->runtime.check({"ps", "--format", "json", c->id}));
  base::Json list = base::Json::parse(o.out, nullptr, false);
  if (!list.is_array())
    return base::Error(base::Category::internal,
                       "`ps --format json` printed no JSON list: " + base::clip(o.out));
  taskapi::PidsResponse resp;
  for (const auto& p : list)
    if (p.is_number_integer()) resp.add_processes()->set_pid(p.get<uint32_t>());
  return resp;
}

base::Status TaskService::close_io(const taskapi::CloseIORequest& r) {
  ASSIGN_OR_RETURN(auto c, get(r.id(), r.exec_id()));
  if (r.stdin()) c->io->close_stdin();
  return base::ok();
}

base::Result<taskapi::ConnectResponse> TaskService::connect(const taskapi::ConnectRequest& r) {
  taskapi::ConnectResponse resp;
  resp.set_shim_pid(uint32_t(getpid()));
  std::lock_guard lock(mu_);
  auto it = containers_.find(r.id());
  if (it != containers_.end()) resp.set_task_pid(uint32_t(it->second->pid));
  return resp;
}

bool TaskService::shutdown_requested(const taskapi::ShutdownRequest&) {
  std::lock_guard lock(mu_);
  return containers_.empty();
}

void TaskService::register_with(ttrpc::Services& s) {
  const std::string svc = "containerd.task.v2.Task";
  using google::protobuf::Empty;
  s.unary<taskapi::CreateTaskRequest, taskapi::CreateTaskResponse>(
      svc, "Create", [this](const auto& r) { return create(r); });
  s.unary<taskapi::StartRequest, taskapi::StartResponse>(
      svc, "Start", [this](const auto& r) { return start(r); });
  s.unary<taskapi::DeleteRequest, taskapi::DeleteResponse>(
      svc, "Delete", [this](const auto& r) { return remove(r); });
  s.unary<taskapi::StateRequest, taskapi::StateResponse>(
      svc, "State", [this](const auto& r) { return state(r); });
  s.unary<taskapi::KillRequest, Empty>(svc, "Kill", [this](const auto& r) -> base::Result<Empty> {
    TRY(kill(r));
    return Empty();
  });
  s.later<taskapi::WaitRequest, taskapi::WaitResponse>(
      svc, "Wait", [this](const auto& r, auto reply) { wait(r, std::move(reply)); });
  s.unary<taskapi::PidsRequest, taskapi::PidsResponse>(svc, "Pids",
                                                       [this](const auto& r) { return pids(r); });
  s.unary<taskapi::CloseIORequest, Empty>(svc, "CloseIO",
                                          [this](const auto& r) -> base::Result<Empty> {
                                            TRY(close_io(r));
                                            return Empty();
                                          });
  s.unary<taskapi::ConnectRequest, taskapi::ConnectResponse>(
      svc, "Connect", [this](const auto& r) { return connect(r); });
  s.later<taskapi::ShutdownRequest, Empty>(svc, "Shutdown", [this](const auto& r, auto reply) {
    bool exit = shutdown_requested(r);
    reply(Empty());
    if (exit && ctx_.shutdown) ctx_.shutdown();
  });
  s.unary<taskapi::CheckpointTaskRequest, Empty>(
      svc, "Checkpoint", [](const auto&) -> base::Result<Empty> {
        return base::Error(
            base::Category::unimplemented,
            "Checkpoint: shim-rune does not checkpoint containers (no CRIU support)");
      });
  auto later_part = [&](const char* method) {
    std::string what = std::string("`") + method + "`";
    s.add(svc, method, [what](std::string, ttrpc::Reply reply) { reply(unimplemented(what)); });
  };
  for (const char* m : {"Exec", "ResizePty", "Pause", "Resume", "Update", "Stats"}) later_part(m);
}

}  // namespace shim
