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
#include "google/protobuf/any.pb.h"
#include "google/protobuf/empty.pb.h"
#include "linux/cgroup.h"
#include "runtimeoptions/v1/api.pb.h"
#include "shim/options.h"
#include "shim/stats.h"

namespace shim {
namespace {

namespace types = ::containerd::v1::types;
namespace events = ::containerd::events;

base::Error refused(const char* what) {
  return base::Error(base::Category::failed_precondition, what);
}

class Created : public ProcessState {
  int status() const override { return types::CREATED; }
  base::Status can_start() const override { return base::ok(); }
  base::Status can_kill() const override { return base::ok(); }
  base::Status can_delete() const override { return base::ok(); }
  base::Status can_pause() const override { return refused("cannot pause task in created state"); }
  base::Status can_resume() const override {
    return refused("cannot resume task in created state");
  }
};
class ExecCreated : public ProcessState {
  int status() const override { return types::CREATED; }
  base::Status can_start() const override { return base::ok(); }
  base::Status can_kill() const override { return refused("process not created"); }
  base::Status can_delete() const override { return base::ok(); }
  base::Status can_pause() const override { return refused("an exec is paused with its task"); }
  base::Status can_resume() const override { return refused("an exec is resumed with its task"); }
};
class Running : public ProcessState {
  int status() const override { return types::RUNNING; }
  base::Status can_start() const override { return refused("cannot start a running process"); }
  base::Status can_kill() const override { return base::ok(); }
  base::Status can_delete() const override { return refused("cannot delete a running process"); }
  base::Status can_pause() const override { return base::ok(); }
  base::Status can_resume() const override { return refused("cannot resume a running process"); }
};
class Paused : public ProcessState {
  int status() const override { return types::PAUSED; }
  base::Status can_start() const override { return refused("cannot start a paused process"); }
  base::Status can_kill() const override { return base::ok(); }
  base::Status can_delete() const override { return refused("cannot delete a paused process"); }
  base::Status can_pause() const override { return refused("cannot pause a paused container"); }
  base::Status can_resume() const override { return base::ok(); }
};
class Stopped : public ProcessState {
  int status() const override { return types::STOPPED; }
  base::Status can_start() const override { return refused("cannot start a stopped process"); }
  base::Status can_kill() const override {
    return base::Error(base::Category::not_found, "process already finished");
  }
  base::Status can_delete() const override { return base::ok(); }
  base::Status can_pause() const override { return refused("cannot pause a stopped container"); }
  base::Status can_resume() const override { return refused("cannot resume a stopped container"); }
};
class Deleted : public ProcessState {
  int status() const override { return types::STOPPED; }
  base::Status can_start() const override { return refused("cannot start a deleted process"); }
  base::Status can_kill() const override {
    return base::Error(base::Category::not_found, "process already finished");
  }
  base::Status can_delete() const override {
    return base::Error(base::Category::not_found, "process already deleted");
  }
  base::Status can_pause() const override { return refused("cannot pause a deleted container"); }
  base::Status can_resume() const override { return refused("cannot resume a deleted container"); }
};

void set_time(google::protobuf::Timestamp* t, const timespec& ts) {
  t->set_seconds(ts.tv_sec);
  t->set_nanos(int32_t(ts.tv_nsec));
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
const ProcessState& exec_created_state() {
  static const ExecCreated s;
  return s;
}
const ProcessState& running_state() {
  static const Running s;
  return s;
}
const ProcessState& paused_state() {
  static const Paused s;
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

base::Result<std::shared_ptr<Container>> TaskService::get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end())
    return base::Error(base::Category::not_found, "container `" + base::clip(id) + "` not found");
  return it->second;
}

base::Result<TaskService::Found> TaskService::get(const std::string& id,
                                                  const std::string& exec_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, get(id));
  if (exec_id.empty()) return Found{c, c->init};
  std::lock_guard lock(c->mu);
  auto it = c->execs.find(exec_id);
  if (it == c->execs.end())
    return base::Error(base::Category::not_found,
                       "exec `" + base::clip(exec_id) + "` of container `" + id + "` not found");
  return Found{c, it->second};
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
  if (!r.checkpoint().empty())
    return base::Error(base::Category::unimplemented,
                       "restoring from a checkpoint: shim-rune does not restore containers (no "
                       "CRIU support)");
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
  c->init->stdio = {r.stdin(), r.stdout(), r.stderr(), r.terminal()};
  c->io_uid = opts.io_uid;
  c->io_gid = opts.io_gid;
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

  auto& init = *c->init;
  ASSIGN_OR_RETURN(init.io, ProcessIO::open(init.stdio, c->io_uid, c->io_gid, c->id, ctx_.ns));
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
  if (!init.io->console_socket().empty()) {
    args.push_back("--console-socket");
    args.push_back(init.io->console_socket());
  }
  args.push_back(c->id);
  Command cmd;
  cmd.stdin_fd = init.io->child_stdin();
  cmd.stdout_fd = init.io->child_stdout();
  cmd.stderr_fd = init.io->child_stderr();
  auto created = c->runtime.check(args, cmd);
  init.io->close_child_ends();
  base::Result<pid_t> pid =
      created.ok() ? read_pid_file(c->bundle + "/init.pid") : base::Result<pid_t>(created.error());
  if (pid.ok()) {
    auto console = init.io->take_console();
    if (!console.ok()) pid = std::move(console).error();
  }
  if (!pid.ok()) {
    if (created.ok()) (void)c->runtime.run({"delete", "--force", c->id});
    if (!c->rootfs.empty()) (void)unmount_all(rootfs_dir);
    return std::move(pid).error();
  }
  init.pid = *pid;
  c->cgroups = std::make_shared<const kernel::CgroupSet>(kernel::cgroup_set_of_pid(init.pid));

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
  ev.set_pid(uint32_t(init.pid));
  ctx_.events->publish("/tasks/create", "containerd.events.TaskCreate", ev);
  std::weak_ptr<Container> weak = c;
  watch(init.pid, [this, weak](const Exit& e) {
    if (auto c = weak.lock()) on_exit(c, c->init, e);
  });
  base::log::debug("created `" + c->id + "` with " + c->runtime.path + " (pid " +
                   std::to_string(init.pid) + ")");
  taskapi::CreateTaskResponse resp;
  resp.set_pid(uint32_t(init.pid));
  return resp;
}

base::Status TaskService::exec(const taskapi::ExecProcessRequest& r) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, get(r.id()));
  if (!check_id(r.exec_id()).ok())
    return base::invalid("exec id `" + base::clip(r.exec_id()) + "` is not a valid identifier");
  static const std::string kSpecType = "types.containerd.io/opencontainers/runtime-spec/1/Process";
  if (r.spec().type_url() != kSpecType)
    return base::invalid("exec spec of type `" + base::clip(r.spec().type_url()) + "`: want `" +
                         kSpecType + "`");
  base::Json spec = base::Json::parse(r.spec().value(), nullptr, false);
  if (!spec.is_object())
    return base::invalid("exec spec (`" + kSpecType + "`) is not a JSON object");
  auto p = std::make_shared<Process>();
  p->exec_id = r.exec_id();
  p->stdio = {r.stdin(), r.stdout(), r.stderr(), r.terminal()};
  p->spec = r.spec().value();
  p->state = &exec_created_state();
  {
    std::lock_guard lock(c->mu);
    if (c->init->state == &created_state()) return refused("cannot exec in a created state");
    if (c->init->state == &paused_state()) return refused("cannot exec in a paused state");
    if (c->init->state != &running_state()) return refused("cannot exec in a stopped state");
    if (c->execs.count(p->exec_id))
      return base::Error(base::Category::already_exists,
                         "exec `" + p->exec_id + "` of container `" + c->id + "` already exists");
    c->execs[p->exec_id] = p;
    events::TaskExecAdded ev;
    ev.set_container_id(c->id);
    ev.set_exec_id(p->exec_id);
    ctx_.events->publish("/tasks/exec-added", "containerd.events.TaskExecAdded", ev);
  }
  return base::ok();
}

std::vector<std::function<void()>> TaskService::apply_exit(Container& c, Process& p,
                                                           const Exit& e) {
  p.state = &stopped_state();
  p.exit_status = e.status;
  p.exited_at = e.at;
  events::TaskExit ev;
  ev.set_container_id(c.id);
  ev.set_id(p.exec_id.empty() ? c.id : p.exec_id);
  ev.set_pid(uint32_t(e.pid));
  ev.set_exit_status(uint32_t(e.status));
  set_time(ev.mutable_exited_at(), e.at);
  ctx_.events->publish("/tasks/exit", "containerd.events.TaskExit", ev);
  return std::move(p.waiters);
}

void TaskService::on_exit(const std::shared_ptr<Container>& c, const std::shared_ptr<Process>& p,
                          const Exit& e) {
  // An OOM kill of the init is reported before its exit (then the watch ends: no OOM can follow,
  // and the cgroup's removal at delete would look like one on cgroup v1).
  std::unique_ptr<OomMonitor> oom;
  {
    std::lock_guard lock(c->mu);
    if (p == c->init) oom = std::move(c->oom);
  }
  if (oom) oom->drain();
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(c->mu);
    if (p->state == &deleted_state()) return;
    if (p->starting) {
      p->held_exit = e;
      return;
    }
    waiters = apply_exit(*c, *p, e);
  }
  for (auto& w : waiters) w();
  if (p == c->init && !c->own_pid_ns) {
    // Without its own PID namespace the container's other processes outlive its init: end them
    // (off the reaper's thread, which must reap the runtime command).
    Runtime rt = c->runtime;
    std::string id = c->id;
    (void)base::start_detached([rt, id] { (void)rt.run({"kill", "--all", id, "9"}); });
  }
}

base::Result<taskapi::StartResponse> TaskService::start(const taskapi::StartRequest& r) {
  ASSIGN_OR_RETURN(Found f, get(r.id(), r.exec_id()));
  auto& [c, p] = f;
  {
    std::lock_guard lock(c->mu);
    TRY(p->state->can_start());
    if (p->starting) return refused("the process is being started already");
    p->starting = true;
  }
  base::Status started = base::ok();
  std::unique_ptr<OomMonitor> oom;
  if (p->exec_id.empty()) {
    auto r2 = c->runtime.check({"start", c->id});
    if (!r2.ok()) {
      started = std::move(r2).error();
    } else {
      std::weak_ptr<Container> weak = c;
      auto m = OomMonitor::start(*c->cgroups, [this, weak] {
        auto c = weak.lock();
        if (!c) return;
        events::TaskOOM ev;
        ev.set_container_id(c->id);
        ctx_.events->publish("/tasks/oom", "containerd.events.TaskOOM", ev);
      });
      if (m.ok())
        oom = std::move(m).value();
      else
        base::log::debug("start `" + c->id + "`: no OOM watch: " + m.error().what());
    }
  } else {
    started = run_exec(c, p);
  }
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(c->mu);
    p->starting = false;
    if (oom && !p->held_exit) c->oom = std::move(oom);
    if (started.ok()) {
      p->state = &running_state();
      if (p->exec_id.empty()) {
        events::TaskStart ev;
        ev.set_container_id(c->id);
        ev.set_pid(uint32_t(p->pid));
        ctx_.events->publish("/tasks/start", "containerd.events.TaskStart", ev);
      } else {
        events::TaskExecStarted ev;
        ev.set_container_id(c->id);
        ev.set_exec_id(p->exec_id);
        ev.set_pid(uint32_t(p->pid));
        ctx_.events->publish("/tasks/exec-started", "containerd.events.TaskExecStarted", ev);
      }
    }
    if (p->held_exit) {
      waiters = apply_exit(*c, *p, *p->held_exit);
      p->held_exit.reset();
    }
  }
  for (auto& w : waiters) w();
  if (!started.ok()) return std::move(started).error();
  taskapi::StartResponse resp;
  resp.set_pid(uint32_t(p->pid));
  return resp;
}

base::Status TaskService::run_exec(const std::shared_ptr<Container>& cp,
                                   const std::shared_ptr<Process>& pp) {
  Container& c = *cp;
  Process& p = *pp;
  ASSIGN_OR_RETURN(p.io, ProcessIO::open(p.stdio, c.io_uid, c.io_gid, c.id, ctx_.ns));
  std::string spec_file = c.bundle + "/" + p.exec_id + ".process.json";
  std::string pid_file = c.bundle + "/" + p.exec_id + ".pid";
  unlink(pid_file.c_str());
  TRY(base::write_file_atomic(spec_file, p.spec, 0600));
  Command cmd;
  cmd.stdin_fd = p.io->child_stdin();
  cmd.stdout_fd = p.io->child_stdout();
  cmd.stderr_fd = p.io->child_stderr();
  std::vector<std::string> args = {"exec",     "--process",  spec_file,
                                   "--detach", "--pid-file", pid_file};
  if (!p.io->console_socket().empty()) {
    args.push_back("--console-socket");
    args.push_back(p.io->console_socket());
  }
  args.push_back(c.id);
  auto ran = c.runtime.check(args, cmd);
  p.io->close_child_ends();
  unlink(spec_file.c_str());
  if (!ran.ok()) return std::move(ran).error();
  auto pid = read_pid_file(pid_file);
  unlink(pid_file.c_str());
  if (pid.ok()) {
    auto console = p.io->take_console();
    if (!console.ok()) {
      // The process runs without anyone to read its terminal: it goes.
      watch(*pid, [](const Exit&) {});
      ::kill(*pid, SIGKILL);
      pid = std::move(console).error();
    }
  }
  if (!pid.ok()) return std::move(pid).error();
  {
    std::lock_guard lock(c.mu);
    p.pid = *pid;
  }
  // Its exit, if reaped already, was kept by the reaper.
  std::weak_ptr<Container> wc = cp;
  std::weak_ptr<Process> wp = pp;
  watch(p.pid, [this, wc, wp](const Exit& e) {
    auto c = wc.lock();
    auto p = wp.lock();
    if (c && p) on_exit(c, p, e);
  });
  return base::ok();
}

base::Result<taskapi::DeleteResponse> TaskService::remove(const taskapi::DeleteRequest& r) {
  ASSIGN_OR_RETURN(Found f, get(r.id(), r.exec_id()));
  auto& [c, p] = f;
  {
    std::lock_guard lock(c->mu);
    TRY(p->state->can_delete());
    if (p->starting) return refused("cannot delete a process that is being started");
  }
  bool is_init = p->exec_id.empty();
  if (is_init) {
    auto deleted = c->runtime.check({"delete", c->id});
    if (!deleted.ok() && deleted.error().message().find("does not exist") == std::string::npos &&
        deleted.error().message().find("not found") == std::string::npos)
      return std::move(deleted).error();
  }
  if (p->io) {
    if (!p->io->wait_copied(2000))
      base::log::warn("delete `" + c->id + "` " + p->exec_id +
                      ": its output was still being copied after 2 s");
    p->io->close_stdin();
  }
  if (is_init && !c->rootfs.empty()) {
    auto u = unmount_all(c->bundle + "/rootfs");
    if (!u.ok()) base::log::warn("delete `" + c->id + "`: " + u.error().what());
  }
  taskapi::DeleteResponse resp;
  {
    std::lock_guard lock(c->mu);
    p->state = &deleted_state();
    resp.set_pid(uint32_t(p->pid));
    resp.set_exit_status(uint32_t(p->exit_status));
    set_time(resp.mutable_exited_at(), p->exited_at);
    if (!is_init) {
      c->execs.erase(p->exec_id);
      return resp;  // no /tasks/delete for an exec
    }
    events::TaskDelete ev;
    ev.set_container_id(c->id);
    ev.set_pid(uint32_t(p->pid));
    ev.set_exit_status(uint32_t(p->exit_status));
    set_time(ev.mutable_exited_at(), p->exited_at);
    ctx_.events->publish("/tasks/delete", "containerd.events.TaskDelete", ev);
  }
  std::lock_guard lock(mu_);
  containers_.erase(c->id);
  return resp;
}

base::Result<taskapi::StateResponse> TaskService::state(const taskapi::StateRequest& r) {
  ASSIGN_OR_RETURN(Found f, get(r.id(), r.exec_id()));
  auto& [c, p] = f;
  taskapi::StateResponse resp;
  std::lock_guard lock(c->mu);
  resp.set_id(p->exec_id.empty() ? c->id : p->exec_id);
  resp.set_bundle(c->bundle);
  resp.set_pid(uint32_t(p->pid));
  resp.set_status(types::Status(p->state->status()));
  resp.set_stdin(p->stdio.stdin);
  resp.set_stdout(p->stdio.stdout);
  resp.set_stderr(p->stdio.stderr);
  resp.set_terminal(p->stdio.terminal);
  resp.set_exit_status(uint32_t(p->exit_status));
  set_time(resp.mutable_exited_at(), p->exited_at);
  resp.set_exec_id(p->exec_id);
  return resp;
}

base::Status TaskService::kill(const taskapi::KillRequest& r) {
  ASSIGN_OR_RETURN(Found f, get(r.id(), r.exec_id()));
  auto& [c, p] = f;
  if (r.signal() == 0 || r.signal() >= 65)
    return base::invalid("signal " + std::to_string(r.signal()) + " is not a signal number");
  pid_t pid;
  {
    std::lock_guard lock(c->mu);
    TRY(p->state->can_kill());
    pid = p->pid;
  }
  if (!p->exec_id.empty()) {
    // An exec's pid is the shim's child until reaped (the state says stopped from then on).
    if (::kill(pid, int(r.signal())) != 0) {
      if (errno == ESRCH) return base::Error(base::Category::not_found, "process already finished");
      return base::sys_error("cannot signal exec `" + p->exec_id + "` (pid " + std::to_string(pid) +
                             ")");
    }
    return base::ok();
  }
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
  auto f = get(r.id(), r.exec_id());
  if (!f.ok()) return reply(std::move(f).error());
  auto c = f->c;
  auto p = f->p;
  auto answer = [c, p, reply] {
    taskapi::WaitResponse resp;
    {
      std::lock_guard lock(c->mu);
      resp.set_exit_status(uint32_t(p->exit_status));
      set_time(resp.mutable_exited_at(), p->exited_at);
    }
    reply(resp);
  };
  {
    std::lock_guard lock(c->mu);
    if (p->state != &stopped_state() && p->state != &deleted_state()) {
      p->waiters.push_back(answer);
      return;
    }
  }
  answer();
}

base::Result<taskapi::PidsResponse> TaskService::pids(const taskapi::PidsRequest& r) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, get(r.id()));
  ASSIGN_OR_RETURN(Output o, c->runtime.check({"ps", "--format", "json", c->id}));
  base::Json list = base::Json::parse(o.out, nullptr, false);
  if (!list.is_array())
    return base::Error(base::Category::internal,
                       "`ps --format json` printed no JSON list: " + base::clip(o.out));
  std::map<pid_t, std::string> exec_of;
  {
    std::lock_guard lock(c->mu);
    for (const auto& [id, p] : c->execs)
      if (p->pid > 0) exec_of[p->pid] = id;
  }
  taskapi::PidsResponse resp;
  for (const auto& v : list) {
    if (!v.is_number_integer()) continue;
    auto* info = resp.add_processes();
    info->set_pid(v.get<uint32_t>());
    auto it = exec_of.find(pid_t(v.get<int64_t>()));
    if (it != exec_of.end()) {
      containerd::runc::v1::ProcessDetails d;
      d.set_exec_id(it->second);
      info->mutable_info()->set_type_url("containerd.runc.v1.ProcessDetails");
      info->mutable_info()->set_value(d.SerializeAsString());
    }
  }
  return resp;
}

base::Result<taskapi::StatsResponse> TaskService::stats(const taskapi::StatsRequest& r) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, get(r.id()));
  std::shared_ptr<const kernel::CgroupSet> cg;
  {
    std::lock_guard lock(c->mu);
    cg = c->cgroups;
  }
  if (!cg) return base::Error(base::Category::not_found, "cgroup does not exist");
  taskapi::StatsResponse resp;
  ASSIGN_OR_RETURN(*resp.mutable_stats(), collect_metrics(*cg));
  return resp;
}

base::Status TaskService::resize_pty(const taskapi::ResizePtyRequest& r) {
  ASSIGN_OR_RETURN(Found f, get(r.id(), r.exec_id()));
  std::lock_guard lock(f.c->mu);
  if (!f.p->io) return base::ok();
  return f.p->io->resize(r.width(), r.height());
}

base::Status TaskService::close_io(const taskapi::CloseIORequest& r) {
  ASSIGN_OR_RETURN(Found f, get(r.id(), r.exec_id()));
  if (r.stdin() && f.p->io) f.p->io->close_stdin();
  return base::ok();
}

base::Status TaskService::pause_resume(const std::string& id, bool pause) {
  ASSIGN_OR_RETURN(Found f, get(id, ""));
  auto& [c, p] = f;
  {
    std::lock_guard lock(c->mu);
    TRY(pause ? p->state->can_pause() : p->state->can_resume());
  }
  auto r = c->runtime.check({pause ? "pause" : "resume", c->id});
  if (!r.ok()) return std::move(r).error();
  std::lock_guard lock(c->mu);
  // An exit reaped meanwhile wins: the process is stopped, not paused.
  if (p->state == &stopped_state() || p->state == &deleted_state()) return base::ok();
  p->state = pause ? &paused_state() : &running_state();
  if (pause) {
    events::TaskPaused ev;
    ev.set_container_id(c->id);
    ctx_.events->publish("/tasks/paused", "containerd.events.TaskPaused", ev);
  } else {
    events::TaskResumed ev;
    ev.set_container_id(c->id);
    ctx_.events->publish("/tasks/resumed", "containerd.events.TaskResumed", ev);
  }
  return base::ok();
}

base::Status TaskService::update(const taskapi::UpdateTaskRequest& r) {
  ASSIGN_OR_RETURN(Found f, get(r.id(), ""));
  auto& [c, p] = f;
  static const std::string kType =
      "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";
  if (r.resources().type_url() != kType)
    return base::invalid("resources of type `" + base::clip(r.resources().type_url()) +
                         "`: want `" + kType + "`");
  base::Json res = base::Json::parse(r.resources().value(), nullptr, false);
  if (!res.is_object()) return base::invalid("resources (`" + kType + "`) are not a JSON object");
  {
    std::lock_guard lock(c->mu);
    if (p->state == &stopped_state() || p->state == &deleted_state())
      return refused("cannot update a stopped container");
  }
  // `update --resources -` reads stdin: the JSON goes through a pipe.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return base::sys_error("pipe");
  base::UniqueFd rd(fds[0]), wr(fds[1]);
  std::string body = res.dump();
  if (body.size() > 60000) return base::invalid("resources of more than 60000 bytes");
  if (!base::write_all(wr.get(), body)) return base::sys_error("writing the resources");
  wr.reset();
  Command cmd;
  cmd.stdin_fd = rd.get();
  auto u = c->runtime.check({"update", "--resources", "-", c->id}, cmd);
  if (!u.ok()) return std::move(u).error();
  return base::ok();
}

base::Result<taskapi::ConnectResponse> TaskService::connect(const taskapi::ConnectRequest& r) {
  taskapi::ConnectResponse resp;
  resp.set_shim_pid(uint32_t(getpid()));
  std::lock_guard lock(mu_);
  auto it = containers_.find(r.id());
  if (it != containers_.end()) resp.set_task_pid(uint32_t(it->second->init->pid));
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
  s.unary<taskapi::ExecProcessRequest, Empty>(svc, "Exec",
                                              [this](const auto& r) -> base::Result<Empty> {
                                                TRY(exec(r));
                                                return Empty();
                                              });
  s.unary<taskapi::PauseRequest, Empty>(svc, "Pause", [this](const auto& r) -> base::Result<Empty> {
    TRY(pause_resume(r.id(), true));
    return Empty();
  });
  s.unary<taskapi::ResumeRequest, Empty>(svc, "Resume",
                                         [this](const auto& r) -> base::Result<Empty> {
                                           TRY(pause_resume(r.id(), false));
                                           return Empty();
                                         });
  s.unary<taskapi::UpdateTaskRequest, Empty>(svc, "Update",
                                             [this](const auto& r) -> base::Result<Empty> {
                                               TRY(update(r));
                                               return Empty();
                                             });
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
  s.unary<taskapi::ResizePtyRequest, Empty>(svc, "ResizePty",
                                            [this](const auto& r) -> base::Result<Empty> {
                                              TRY(resize_pty(r));
                                              return Empty();
                                            });
  s.unary<taskapi::StatsRequest, taskapi::StatsResponse>(
      svc, "Stats", [this](const auto& r) { return stats(r); });
}

}  // namespace shim
