#include "linux/container.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "base/file.h"
#include "base/log.h"
#include "base/process.h"
#include "enclave/agent.h"
#include "enclave/client.h"
#include "enclave/config.h"
#include "enclave/runelet.h"
#include "linux/capabilities.h"
#include "linux/cgroup.h"
#include "linux/devices.h"
#include "linux/mounts.h"
#include "linux/namespaces.h"
#include "linux/rootfs.h"
#include "linux/sync.h"
#include "linux/sys.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace linux {

using base::Error;
using base::Result;
using base::Status;

struct Runtime::Created {
  pid_t pid = 0;
  ParentChannel channel;
  oci::ContainerState state;
};

namespace {

// Everything the container's init needs, prepared by the parent before clone().
struct InitPlan {
  const oci::Config* config = nullptr;
  std::string rootfs;
  std::vector<MountStep> mounts;
  std::vector<CgroupBind> cgroup_binds;
  NamespacePlan* ns = nullptr;
  bool dev_is_bind = false;
  bool no_pivot = false;
  int preserve_fds = 0;
  int fifo_fd = -1;  // create: wait for `start` on the exec fifo; run: on the channel
  // Enclave containers: PID 1 is the init-runelet, which takes `start` on `agent_fd` (create)
  // or on the channel (run).
  const enclave::Config* enclave = nullptr;
  int agent_fd = -1;
};

Status write_sysctls(const std::map<std::string, std::string>& sysctl) {
  for (const auto& [k, v] : sysctl) {
    std::string path = "/proc/sys/" + k;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    TRY_WRAP(base::write_file(path, v), "`linux.sysctl`: " + k);
  }
  return base::ok();
}

// The container side, from clone() to exec. Errors go back to rune over the channel.
Status init_container(const InitPlan& p, ChildChannel& ch, std::string& exe) {
  const oci::Config& c = *p.config;
  RealSys sys;
  TRY(ch.wait_go());
  for (const auto& j : p.ns->joins) {
    if (j.type == oci::NsType::pid) continue;  // joined by the parent before clone
    if (sys.setns(j.fd.get(), oci::ns_clone_flag(j.type)) != 0)
      return base::sys_error(std::string("join the `") + oci::ns_config_name(j.type) +
                             "` namespace");
  }
  if (p.ns->new_cgroup_ns && sys.unshare(CLONE_NEWCGROUP) != 0)
    return base::sys_error("create the `cgroup` namespace");
  umask(0);
  if (c.process.oom_score_adj)
    TRY_WRAP(base::write_file("/proc/self/oom_score_adj", std::to_string(*c.process.oom_score_adj)),
             "`process.oomScoreAdj`");

  ASSIGN_OR_RETURN(int rootfd, prepare_rootfs(sys, p.rootfs, c.linux.rootfs_propagation));
  base::UniqueFd root(rootfd);
  for (const auto& m : p.mounts) TRY(apply_mount(sys, rootfd, m, p.cgroup_binds));
  TRY_WRAP(create_devices(sys, rootfd,
                          p.dev_is_bind ? c.linux.devices : container_devices(c.linux.devices)),
           "devices");
  TRY_WRAP(mkdir_in_root(sys, rootfd, c.process.cwd, 0755), "`process.cwd`");
  TRY(enter_rootfs(sys, rootfd, p.no_pivot));
  root.reset();
  TRY(set_root_propagation(sys, c.linux.rootfs_propagation));

  if (!c.hostname.empty() && sys.sethostname(c.hostname.data(), c.hostname.size()) != 0)
    return base::sys_error("`hostname`: set `" + c.hostname + "`");
  if (!c.domainname.empty() && sys.setdomainname(c.domainname.data(), c.domainname.size()) != 0)
    return base::sys_error("`domainname`: set `" + c.domainname + "`");
  TRY(write_sysctls(c.linux.sysctl));
  TRY(readonly_paths(sys, c.linux.readonly_paths));
  TRY(mask_paths(sys, c.linux.masked_paths));
  if (c.root_readonly) TRY(readonly_root(sys));

  TRY(set_rlimits(c.process.rlimits));
  if (sys.chdir(c.process.cwd.c_str()) != 0)
    return base::sys_error("`process.cwd`: chdir to `" + c.process.cwd + "`");
  ASSIGN_OR_RETURN(exe,
                   base::find_executable(c.process.args[0], c.process.env, "`process.args[0]`"));
  TRY(set_user_and_capabilities(c.process.user, c.process.capabilities));
  umask(c.process.user.umask.value_or(022));
  return base::ok();
}

// Blocks until `rune start` writes to the exec fifo (which this process holds open O_RDWR, so
// poll() never sees a hang-up).
bool wait_exec_fifo(int fd) {
  struct pollfd pfd = {fd, POLLIN, 0};
  for (;;) {
    int r = poll(&pfd, 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    char b;
    ssize_t n = read(fd, &b, 1);
    if (n == 1) return true;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    return false;
  }
}

// The init-runelet's set-up, after the container's: the workload's env becomes the process
// env (runtimes read settings from it, and v1 pal_exec passes none), then the PAL is loaded
// from inside the rootfs and initialized with the container's user and caps in force.
Status init_runelet(const InitPlan& p, ChildChannel& ch, const std::string& exe,
                    std::optional<enclave::Runelet>& runelet) {
  const oci::Process& proc = p.config->process;
  if (proc.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return base::sys_error("`process.noNewPrivileges`");
  clearenv();
  for (const auto& e : proc.env) putenv(const_cast<char*>(e.c_str()));  // outlives the process
  syscall(SYS_close_range, 3 + p.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  runelet.emplace(*p.enclave, p.agent_fd);
  TRY(runelet->init([&](const char* call) { (void)ch.send_phase(call); }));
  runelet->set_entrypoint(exe, proc.args, proc.env);
  return base::ok();
}

[[noreturn]] void runelet_main(const InitPlan& p, ChildChannel& ch, enclave::Runelet& r) {
  std::string ready = std::to_string(r.pal().version()) + " " + std::to_string(r.pal().symbols());
  if (!ch.send_ready(ready).ok()) _exit(1);
  if (p.fifo_fd < 0) {  // run mode: start comes on the channel
    if (!ch.wait_start().ok()) r.destroy_and_exit(1);
    auto pid = r.start();
    if (!pid.ok()) {
      ch.send_failed(pid.error());
      r.destroy_and_exit(127);
    }
    (void)ch.send_started(*pid);
  }
  ch.close();
  if (p.fifo_fd >= 0) close(p.fifo_fd);
  r.serve();
}

[[noreturn]] void container_main(const InitPlan& p, ChildChannel& ch) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  std::string exe;
  std::optional<enclave::Runelet> runelet;
  Status s = init_container(p, ch, exe);
  if (s.ok() && p.enclave) s = init_runelet(p, ch, exe, runelet);
  if (!s.ok()) {
    ch.send_failed(s.error());
    _exit(1);
  }
  // rune create exits as soon as it reads `ready`: the parent-death signal must be off before
  // that, or a fast exit of rune kills the created container.
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (runelet) runelet_main(p, ch, *runelet);
  if (!ch.send_ready().ok()) _exit(1);
  bool go = p.fifo_fd >= 0 ? wait_exec_fifo(p.fifo_fd) : ch.wait_start().ok();
  if (!go) _exit(1);
  ch.close();
  if (p.fifo_fd >= 0) close(p.fifo_fd);
  const oci::Process& proc = p.config->process;
  if (proc.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    dprintf(2, "rune: `process.noNewPrivileges`: %s\n", strerror(errno));
    _exit(127);
  }
  syscall(SYS_close_range, 3 + p.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  std::vector<char*> argv, envp;
  for (const auto& a : proc.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : proc.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  execve(exe.c_str(), argv.data(), envp.data());
  dprintf(2, "rune: exec `%s`: %s\n", exe.c_str(), strerror(errno));
  _exit(127);
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           sigabbrev_np(WTERMSIG(status)) + ")";
  return "ended with wait status " + std::to_string(status);
}

Result<std::string> absolute_dir(const std::string& path, const std::string& what) {
  char buf[PATH_MAX];
  if (!realpath(path.empty() ? "." : path.c_str(), buf))
    return base::sys_error(what + ": `" + path + "`");
  struct stat st;
  if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    return base::sys_error(what + ": `" + path + "` is not a directory", ENOTDIR);
  return std::string(buf);
}

// Undoes a partial create unless dismissed: kills the init, removes cgroups and the state dir.
class CreateGuard {
 public:
  CreateGuard(oci::StateStore& store, std::string id) : store_(store), id_(std::move(id)) {}
  ~CreateGuard() {
    if (dismissed_) return;
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st;
      while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
    if (!cgroups_.empty()) (void)remove_cgroups(cgroups_);
    if (!store_.remove(id_).ok())
      base::log::warn("could not remove state directory of `" + id_ + "`");
  }
  void set_pid(pid_t p) { pid_ = p; }
  void set_cgroups(std::vector<std::string> d) { cgroups_ = std::move(d); }
  void dismiss() { dismissed_ = true; }

 private:
  oci::StateStore& store_;
  std::string id_;
  pid_t pid_ = 0;
  std::vector<std::string> cgroups_;
  bool dismissed_ = false;
};

}  // namespace

Result<Runtime::Created> Runtime::do_create(const CreateOptions& o, Mode mode) {
  TRY(oci::validate_id(o.id));
  ASSIGN_OR_RETURN(std::string bundle, absolute_dir(o.bundle, "`--bundle`"));
  std::string cfg_path = bundle + "/config.json";
  auto text = base::read_file(cfg_path, 16 << 20);
  if (!text.ok()) return std::move(text).error().wrap("load the bundle's config");
  ASSIGN_OR_RETURN(oci::Config config, oci::parse_config(*text, cfg_path));
  auto enc = enclave::parse(config);
  if (!enc.ok()) return std::move(enc).error().wrap(cfg_path);
  if (*enc && (*enc)->type == "intelSgx") TRY_WRAP(enclave::add_sgx_resources(config), cfg_path);
  if (!o.console_socket.empty())
    return base::invalid(
        "`--console-socket`: terminals are not supported by this version of rune "
        "(`process.terminal` must be false)");
  std::string rootfs_in =
      config.root_path[0] == '/' ? config.root_path : base::path_join(bundle, config.root_path);
  auto rootfs = absolute_dir(rootfs_in, "`root.path`");
  if (!rootfs.ok()) return std::move(rootfs).error().wrap(cfg_path);

  InitPlan plan;
  plan.config = &config;
  plan.rootfs = *rootfs;
  plan.no_pivot = o.no_pivot;
  plan.preserve_fds = o.preserve_fds;
  if (*enc) plan.enclave = &**enc;
  auto mounts = plan_mounts(config, bundle);
  if (!mounts.ok()) return std::move(mounts).error().wrap(cfg_path);
  plan.mounts = std::move(mounts).value();
  for (const auto& m : plan.mounts)
    plan.dev_is_bind = plan.dev_is_bind || (m.destination == "/dev" && m.kind == MountKind::bind);
  auto ns = plan_namespaces(config.linux.namespaces);
  if (!ns.ok()) return std::move(ns).error().wrap(cfg_path);
  plan.ns = &ns.value();
  auto cg = plan_cgroups(config.linux.cgroups_path, o.id);
  if (!cg.ok()) return std::move(cg).error().wrap(cfg_path);
  for (size_t i = 0; i < cg->hierarchies.size(); ++i) {
    const std::string& mp = cg->hierarchies[i].mountpoint;
    bool whole = cg->hierarchies.size() == 1 && cg->hierarchies[i].v2;
    plan.cgroup_binds.push_back({whole ? "" : mp.substr(mp.find_last_of('/') + 1), cg->dirs[i]});
  }

  TRY(store_.reserve(o.id));
  CreateGuard guard(store_, o.id);
  guard.set_cgroups(cg->dirs);
  TRY(create_cgroups(*cg));
  TRY(apply_device_rules(*cg, config.linux.device_rules));

  base::UniqueFd agent;
  if (plan.enclave) {
    ASSIGN_OR_RETURN(agent, enclave::listen_in(store_.dir(o.id)));
    plan.agent_fd = agent.get();
  }
  base::UniqueFd fifo;
  if (mode == Mode::create) {
    std::string fp = store_.fifo_path(o.id);
    if (mkfifo(fp.c_str(), 0600) != 0) return base::sys_error("create `" + fp + "`");
    fifo.reset(open(fp.c_str(), O_RDWR | O_CLOEXEC));
    if (!fifo.valid()) return base::sys_error("open `" + fp + "`");
    plan.fifo_fd = fifo.get();
  }
  Created out;
  ChildChannel child_ch;
  TRY(make_sync_pair(out.channel, child_ch));
  for (const auto& j : plan.ns->joins)
    if (j.type == oci::NsType::pid && setns(j.fd.get(), CLONE_NEWPID) != 0)
      return base::sys_error("join the `pid` namespace");

  pid_t pid = static_cast<pid_t>(
      syscall(SYS_clone, plan.ns->clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) return base::sys_error("clone the container's init process");
  if (pid == 0) {
    out.channel.close();
    container_main(plan, child_ch);
  }
  guard.set_pid(pid);
  child_ch.close();
  fifo.reset();
  agent.reset();

  TRY_WRAP(add_process(*cg, pid), "put the container's init in its cgroups");
  TRY(out.channel.send_go());
  std::string ready_text, phase;
  Status ready = out.channel.wait_ready(&ready_text, &phase);
  if (!ready.ok()) {
    if (plan.enclave && !phase.empty() && peer_exited(ready.error())) {
      // The PAL ended the process (exit() or a crash) inside a call: say which and how.
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      guard.set_pid(0);
      return Error(base::Category::unavailable,
                   "enclave runtime `" + plan.enclave->runtime_path + "`: the init-runelet " +
                       describe_exit(status) + " during `" + phase + "`",
                   ECHILD)
          .wrap("create container `" + o.id + "`");
    }
    return std::move(ready).error().wrap("create container `" + o.id + "`");
  }

  oci::ContainerState& st = out.state;
  st.id = o.id;
  st.pid = pid;
  auto ps = base::read_proc_stat(pid);
  st.pid_start = ps ? ps->start_time : 0;
  st.bundle = bundle;
  st.rootfs = *rootfs;
  st.created = base::log::rfc3339_nano_now();
  st.annotations = config.annotations;
  st.cgroup_dirs = cg->dirs;
  st.own_pid_ns = (plan.ns->clone_flags & CLONE_NEWPID) != 0;
  if (plan.enclave) {
    oci::EnclaveState e;
    e.type = plan.enclave->type;
    e.runtime_path = plan.enclave->runtime_path;
    e.runtime_args = plan.enclave->runtime_args;
    e.log_level = plan.enclave->log_level;
    if (sscanf(ready_text.c_str(), "%d %u", &e.pal_version, &e.symbols) != 2)
      return Error(base::Category::internal,
                   "create container `" + o.id + "`: malformed ready message `" + ready_text + "`");
    e.env = config.process.env;
    st.enclave = std::move(e);
  }
  TRY(store_.save(st));
  if (!o.pid_file.empty())
    TRY_WRAP(base::write_file_atomic(o.pid_file, std::to_string(pid)), "`--pid-file`");
  guard.dismiss();
  out.pid = pid;
  return out;
}

Status Runtime::create(const CreateOptions& o) {
  auto c = do_create(o, Mode::create);
  if (!c.ok()) return std::move(c).error();
  return base::ok();
}

Result<Runtime::Info> Runtime::info(const std::string& id) {
  ASSIGN_OR_RETURN(oci::ContainerState st, store_.load(id));
  oci::Status s = store_.status(st);
  return Info{std::move(st), s};
}

Status Runtime::start(const std::string& id) {
  ASSIGN_OR_RETURN(Info in, info(id));
  switch (in.status) {
    case oci::Status::created:
      break;
    case oci::Status::running:
      return Error(base::Category::failed_precondition,
                   "cannot start container `" + id + "`: it is already running");
    case oci::Status::stopped:
      return Error(base::Category::failed_precondition,
                   "cannot start container `" + id + "`: it has stopped");
    case oci::Status::creating:
      return Error(base::Category::failed_precondition,
                   "cannot start container `" + id + "`: it is still being created");
  }
  std::string fp = store_.fifo_path(id);
  if (in.state.enclave) {
    auto pid = enclave::client::start(store_.dir(id), id);
    unlink(fp.c_str());  // started, or the runelet has ended the container
    if (!pid.ok()) return std::move(pid).error().wrap("start container `" + id + "`");
    return base::ok();
  }
  base::UniqueFd fd(open(fp.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENXIO || errno == ENOENT)
      return Error(base::Category::failed_precondition,
                   "cannot start container `" + id + "`: its init process is gone");
    return base::sys_error("open `" + fp + "`");
  }
  if (write(fd.get(), "0", 1) != 1) return base::sys_error("write `" + fp + "`");
  unlink(fp.c_str());
  return base::ok();
}

Status Runtime::kill(const std::string& id, int sig, bool all) {
  ASSIGN_OR_RETURN(Info in, info(id));
  if (in.status == oci::Status::stopped && !all)
    return Error(base::Category::failed_precondition, "container `" + id + "` is not running");
  if (in.status == oci::Status::creating)
    return Error(base::Category::failed_precondition,
                 "container `" + id + "` is still being created");
  if (in.state.enclave && sig != SIGKILL) {  // through the runtime: pal_kill(-1, sig)
    TRY_WRAP(enclave::client::kill(store_.dir(id), id, -1, sig), "kill container `" + id + "`");
    return base::ok();
  }
  if (all) return signal_cgroup(in.state.cgroup_dirs, sig);
  if (::kill(in.state.pid, sig) != 0)
    return base::sys_error("send signal " + std::to_string(sig) + " to container `" + id + "`");
  return base::ok();
}

Result<int> Runtime::exec(const std::string& id, const ExecOptions& o) {
  ASSIGN_OR_RETURN(Info in, info(id));
  if (!in.state.enclave)
    return base::Error(base::Category::failed_precondition,
                       "cannot exec in container `" + id +
                           "`: exec into ordinary containers is not supported by this version of "
                           "rune (only into enclave containers)",
                       ENOTSUP);
  const oci::EnclaveState& e = *in.state.enclave;
  if (in.status != oci::Status::running)
    return base::Error(base::Category::failed_precondition,
                       "cannot exec in container `" + id + "`: it is " +
                           oci::status_name(in.status) + ", not running");
  if (e.pal_version < 2)
    return base::Error(base::Category::failed_precondition,
                       "cannot exec in container `" + id + "`: its enclave runtime `" +
                           e.runtime_path +
                           "` implements PAL API v1, which runs a single process (exec needs v2+)",
                       ENOTSUP);
  if (o.args.empty()) return base::invalid("exec: no command given");
  std::vector<std::string> env = o.env_replace ? o.env : e.env;
  if (!o.env_replace) {
    for (const auto& kv : o.env) {
      std::string key = kv.substr(0, kv.find('='));
      std::erase_if(env, [&](const std::string& x) {
        return x.compare(0, key.size() + 1, key + "=") == 0 || x == key;
      });
      env.push_back(kv);
    }
  }
  int pid = 0;
  auto r = enclave::client::exec(store_.dir(id), id, o.args, env, o.detach, &pid);
  if (!r.ok()) return std::move(r).error().wrap("exec in container `" + id + "`");
  return r;
}

Result<std::vector<uint8_t>> Runtime::attest(const std::string& id,
                                             const std::vector<uint8_t>& target_info) {
  ASSIGN_OR_RETURN(Info in, info(id));
  if (!in.state.enclave)
    return base::Error(base::Category::failed_precondition,
                       "cannot attest container `" + id + "`: it is not an enclave container");
  const oci::EnclaveState& e = *in.state.enclave;
  if (in.status != oci::Status::running && in.status != oci::Status::created)
    return base::Error(
        base::Category::failed_precondition,
        "cannot attest container `" + id + "`: it is " + oci::status_name(in.status));
  if (!(e.symbols & enclave::kGetLocalReport))
    return enclave::missing_symbol(e.runtime_path, enclave::kGetLocalReport)
        .wrap("attest container `" + id + "` (PAL API v" + std::to_string(e.pal_version) + ")");
  auto r = enclave::client::attest(store_.dir(id), id, target_info);
  if (!r.ok()) return std::move(r).error().wrap("attest container `" + id + "`");
  return r;
}

Status Runtime::destroy(const oci::ContainerState& st) {
  TRY(remove_cgroups(st.cgroup_dirs));
  return store_.remove(st.id);
}

Status Runtime::remove(const std::string& id, bool force) {
  auto in = info(id);
  if (!in.ok()) {
    // Like runc, `delete --force` of a container that does not exist succeeds.
    if (force && in.error().category() == base::Category::not_found) return base::ok();
    return std::move(in).error();
  }
  const oci::ContainerState& st = in->state;
  switch (in->status) {
    case oci::Status::stopped:
      break;
    case oci::Status::creating:
      if (!force)
        return Error(base::Category::failed_precondition,
                     "cannot delete container `" + id + "`: it is still being created");
      return store_.remove(id);
    case oci::Status::running:
      if (!force)
        return Error(base::Category::failed_precondition,
                     "cannot delete container `" + id + "` that is not stopped: running");
      [[fallthrough]];
    case oci::Status::created:  // like runc: a created container is deleted without --force
      if (!st.own_pid_ns) (void)signal_cgroup(st.cgroup_dirs, SIGKILL);
      if (::kill(st.pid, SIGKILL) != 0 && errno != ESRCH)
        return base::sys_error("kill container `" + id + "`");
      if (!base::wait_process_gone(st.pid, st.pid_start, 10000))
        return Error(base::Category::unavailable, "container `" + id + "`: init process " +
                                                      std::to_string(st.pid) +
                                                      " did not exit after SIGKILL");
      break;
  }
  return destroy(st);
}

Result<int> Runtime::run(const CreateOptions& o, bool detach) {
  // Signals that arrive while the container runs are forwarded to it: block them first.
  sigset_t fwd = base::relayable_signals(), old;
  if (!detach) sigprocmask(SIG_BLOCK, &fwd, &old);
  auto created = do_create(o, Mode::run);
  if (!created.ok()) {
    if (!detach) sigprocmask(SIG_SETMASK, &old, nullptr);
    return std::move(created).error();
  }
  const pid_t pid = created->pid;
  const oci::ContainerState& st = created->state;
  // Ends what run made: the init (unless already reaped), anything left in the cgroups (a
  // container without its own pid namespace), the cgroups and the state.
  auto finish = [&](bool kill_init) -> Status {
    if (kill_init) {
      ::kill(pid, SIGKILL);
      int ws;
      while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
      }
    }
    if (!detach) sigprocmask(SIG_SETMASK, &old, nullptr);
    if (!st.own_pid_ns) (void)signal_cgroup(st.cgroup_dirs, SIGKILL);
    return destroy(st);
  };
  Status s = created->channel.send_start();
  if (s.ok() && st.enclave) {  // the runelet says whether the entrypoint could be started
    auto started = created->channel.wait_started();
    if (!started.ok()) s = std::move(started).error().wrap("run container `" + o.id + "`");
  }
  created->channel.close();
  if (!s.ok()) {
    (void)finish(true);
    return std::move(s).error();
  }
  if (detach) return 0;
  int code = 0;
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&fwd, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      if (base::relayed_to_container(sig)) ::kill(pid, sig);
      continue;
    }
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
  }
  TRY(finish(false));
  return code;
}

}  // namespace linux
