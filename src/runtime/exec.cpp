#include "runtime/exec.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "base/file.h"
#include "base/log.h"
#include "base/process.h"
#include "base/socket.h"
#include "enclave/agent.h"
#include "enclave/client.h"
#include "linux/capabilities.h"
#include "linux/cgroup.h"
#include "linux/init.h"
#include "linux/namespaces.h"
#include "linux/seccomp_program.h"
#include "linux/sync.h"
#include "linux/sys.h"
#include "runtime/terminal.h"

namespace runtime {

using base::Error;
using base::Result;

Result<oci::Process> resolve_exec_process(const oci::Process& container, const ExecOptions& o) {
  if (o.process) return *o.process;  // as runc: the file is the whole process
  oci::Process p = container;
  p.args = o.args;
  p.terminal = o.tty;
  if (o.cwd) p.cwd = *o.cwd;
  if (o.uid) p.user.uid = *o.uid;
  if (o.gid) p.user.gid = *o.gid;
  p.user.additional_gids.insert(p.user.additional_gids.end(), o.additional_gids.begin(),
                                o.additional_gids.end());
  if (o.no_new_privs) p.no_new_privileges = true;
  for (const auto& name : o.caps) {
    int cap = oci::capability_from_name(name);
    if (cap < 0) return base::invalid("`--cap`: unknown capability `" + name + "`");
    if (!p.capabilities) p.capabilities = oci::Capabilities{};
    uint64_t bit = uint64_t{1} << cap;
    oci::Capabilities& c = *p.capabilities;
    c.bounding |= bit;
    c.effective |= bit;
    c.permitted |= bit;
    // Ambient needs inheritable, which --cap does not add (runc: only with inheritable ones).
    if (c.inheritable & bit) c.ambient |= bit;
  }
  for (const auto& kv : o.env) oci::set_env(p.env, kv);
  if (p.args.empty() || p.args[0].empty()) return base::invalid("`rune exec`: no command given");
  if (p.cwd.empty() || p.cwd[0] != '/')
    return base::invalid("`--cwd`: `" + p.cwd + "` is not an absolute path");
  return p;
}

base::Status check_terminal(bool terminal, bool detach, const std::string& console_socket) {
  // runc's texts, which engines and users know.
  if (detach && terminal && console_socket.empty())
    return base::invalid("cannot allocate tty if runc will detach without setting console socket");
  if ((!detach || !terminal) && !console_socket.empty())
    return base::invalid("cannot use console socket if runc will not detach or allocate tty");
  return base::ok();
}

namespace {

// An enclave container's exec: the entered process is the proxy that has the runelet run
// `argv`/`env` in the runtime (enclave::client::proxy), over `runelet` (connected by rune).
struct ProxyFor {
  int runelet;
  const std::vector<std::string>& argv;
  const std::vector<std::string>& env;
};

// The proxy's descriptors: stdio, the runelet connection and the channel to rune; the rest (the
// namespace files, the init's root, the cgroup files) never stays in the container.
void close_all_but(int a, int b) {
  if (a > b) std::swap(a, b);
  syscall(SYS_close_range, 3, a - 1, 0);
  syscall(SYS_close_range, a + 1, b - 1, 0);
  syscall(SYS_close_range, b + 1, ~0U, 0);
}

Result<int> enter_and_run(const Container& c, const ExecOptions& o,
                          const std::string& seccomp_cache, const ProxyFor* proxy) {
  switch (c.status) {
    case oci::Status::running:
    case oci::Status::created:
      break;
    case oci::Status::paused:
      if (o.ignore_paused) break;
      return Error(base::Category::failed_precondition,
                   "cannot exec in a paused container (use --ignore-paused to override)");
    case oci::Status::stopped:
      return Error(base::Category::failed_precondition, "cannot exec in a stopped container");
    case oci::Status::creating:
      return Error(base::Category::failed_precondition,
                   "cannot exec in container `" + c.id + "`: it is still being created");
  }
  const std::string cfg_path = c.dir + "/" + kConfigCopy;
  auto text = base::read_file(cfg_path, 16 << 20);
  if (!text.ok()) return std::move(text).error().wrap("exec in container `" + c.id + "`");
  ASSIGN_OR_RETURN(oci::Config config, oci::parse_config(*text, cfg_path));
  // The proxy's process: the container's, with the argv (for the early PATH lookup) and the
  // terminal (it leads the pty's session and hands the slave on as stdio) of the exec.
  ExecOptions po;
  if (proxy) {
    if (o.process &&
        (o.process->cwd != config.process.cwd || o.process->user.uid != config.process.user.uid ||
         o.process->user.gid != config.process.user.gid))
      return Error(base::Category::unimplemented,
                   "`--process`: its cwd and user must be the container's in an enclave "
                   "container (the PAL API starts a process from argv and env only): cwd `" +
                       o.process->cwd + "`, user " + std::to_string(o.process->user.uid) + ":" +
                       std::to_string(o.process->user.gid) + "; the container's: cwd `" +
                       config.process.cwd + "`, user " + std::to_string(config.process.user.uid) +
                       ":" + std::to_string(config.process.user.gid));
    po.process = config.process;
    po.process->args = proxy->argv;
    po.process->terminal = o.process ? o.process->terminal : o.tty;
    if (o.process) po.process->console_size = o.process->console_size;
  }
  ASSIGN_OR_RETURN(oci::Process proc, resolve_exec_process(config.process, proxy ? po : o));
  TRY(check_terminal(proc.terminal, o.detach, o.console_socket));
  TRY(kernel::check_exec_limits(proc));
  if (proc.capabilities)
    for (const auto& w : kernel::drop_ungrantable_capabilities(*proc.capabilities))
      base::log::warn(w);
  std::optional<kernel::SeccompProgram> seccomp;
  if (config.linux.seccomp) {
    auto compiled = kernel::compile_seccomp_cached(*config.linux.seccomp, seccomp_cache);
    if (!compiled.ok()) return std::move(compiled).error().wrap(cfg_path);
    seccomp = std::move(compiled).value();
  }

  kernel::EnterPlan plan;
  plan.process = &proc;
  plan.preserve_fds = o.preserve_fds;
  plan.seccomp = seccomp ? &*seccomp : nullptr;
  if (!c.state.no_new_keyring) plan.session_keyring = "_ses." + c.id;
  ASSIGN_OR_RETURN(auto joins, kernel::open_namespaces_of(c.state.pid, config.linux.namespaces));
  kernel::NamespacePlan pid_ns;  // joined here, before the clone; the child joins the others
  // Rootless: rune may join the pid namespace only from inside the container's user namespace,
  // so a helper joins them all, user first, and clones the process (namespaces.h).
  const bool helper = geteuid() != 0 && !joins.empty() && joins.front().type == oci::NsType::user;
  for (auto& j : joins) {
    if (helper || j.type == oci::NsType::pid)
      pid_ns.joins.push_back(std::move(j));
    else
      plan.joins.push_back(std::move(j));
  }
  pid_ns.joins_in_helper = helper;
  const std::string root_path = "/proc/" + std::to_string(c.state.pid) + "/root";
  base::UniqueFd root(open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return base::sys_error("open the container's root (`" + root_path + "`)");
  plan.root = root.get();
  // The init must still be the one create started (its pid not reused) now that its namespaces
  // and root are open.
  if (!base::process_alive(c.state.pid, c.state.pid_start))
    return Error(base::Category::failed_precondition, "cannot exec in a stopped container");
  kernel::CgroupSet cg = kernel::cgroup_set_of(c.state.cgroup_dirs);
  if (!o.cgroups.empty()) {
    ASSIGN_OR_RETURN(cg, kernel::sub_cgroups(cg, o.cgroups));
  }
  ASSIGN_OR_RETURN(kernel::CgroupJoin join, kernel::open_cgroup_join(cg));
  plan.cgroups = &join;

  // The terminal: the caller's console socket, or (foreground) one rune reads itself.
  base::UniqueFd console, console_peer;
  if (proc.terminal) {
    TRY(open_console(o.console_socket, &console, &console_peer));
    plan.console_fd = console.get();
  }

  sigset_t fwd = base::relayable_signals(), old;
  if (!o.detach) sigprocmask(SIG_BLOCK, &fwd, &old);
  struct RestoreMask {
    bool on;
    sigset_t set;
    ~RestoreMask() {
      if (on) sigprocmask(SIG_SETMASK, &set, nullptr);
    }
  } restore{!o.detach, old};

  kernel::ParentChannel parent_ch;
  kernel::ChildChannel child_ch;
  TRY(kernel::make_sync_pair(parent_ch, child_ch));
  // CVE-2019-5736: rune's image is not dumpable while it is in the container (linux/dmz.h).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ASSIGN_OR_RETURN(
      pid_t pid,
      kernel::clone_init(
          pid_ns,
          [&] {
            parent_ch.close();
            console_peer.reset();
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            kernel::RealSys sys;
            std::string exe;
            base::UniqueFd dmz;
            base::Status s =
                kernel::enter_container(plan, sys, child_ch, exe, proxy ? nullptr : &dmz);
            if (!s.ok()) {
              child_ch.send_failed(s.error());
              _exit(1);
            }
            if (proxy) {
              close_all_but(proxy->runelet, child_ch.fd());
              bool started = false;
              auto v = enclave::client::proxy(proxy->runelet, proxy->argv, proxy->env,
                                              [&]() -> base::Status {
                                                started = true;
                                                return child_ch.send_ready();
                                              });
              if (v.ok()) _exit(*v & 0xff);
              if (!started)
                child_ch.send_failed(v.error());
              else
                dprintf(2, "rune: %s\n", v.error().what().c_str());
              _exit(127);
            }
            if (!child_ch.send_ready().ok()) _exit(1);
            // A NOTIFY filter is loaded already (become_process); prepare_exec loads
            // the others that no_new_privs let wait.
            kernel::exec_process(proc, exe, plan.preserve_fds,
                                 seccomp && !seccomp->notify ? &*seccomp : nullptr, dmz.get());
          },
          join.v2_dir.get(), &join.v2_in_clone));
#if defined(__SANITIZE_ADDRESS__)
  // As in create (lifecycle.cpp): LeakSanitizer's exit check needs rune dumpable (tests only).
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
  child_ch.close();
  join = {};
  // As runc 1.1: the container's oomScoreAdj (its config's, not a --process file's).
  if (base::Status s = kernel::set_oom_score_adj(pid, config.process.oom_score_adj); !s.ok()) {
    base::kill_and_reap(pid);
    return std::move(s).error().wrap("exec in container `" + c.id + "`");
  }
  console.reset();
  root.reset();
  auto to_listener = [&](int listener) -> base::Status {
    const oci::Seccomp& sc = *config.linux.seccomp;
    return kernel::send_to_listener(
        sc.listener_path,
        kernel::container_process_state(
            sc, pid,
            oci::hook_state_json(c.id, c.status, c.state.pid, c.state.bundle, c.state.annotations)),
        listener);
  };
  base::Status ready = parent_ch.wait_ready(nullptr, nullptr, nullptr, to_listener);
  if (!ready.ok()) {
    base::kill_and_reap(pid);
    return std::move(ready).error().wrap("exec in container `" + c.id + "`");
  }
  parent_ch.close();
  if (!o.pid_file.empty()) {
    base::Status s = base::write_file_atomic(o.pid_file, std::to_string(pid));
    if (!s.ok()) {
      base::kill_and_reap(pid);
      return std::move(s).error().wrap("`--pid-file`");
    }
  }
  if (o.detach) return 0;
  base::UniqueFd master;
  if (console_peer.valid()) {
    auto m = base::receive_console(console_peer.get());
    if (!m.ok()) {
      base::kill_and_reap(pid);
      return std::move(m).error().wrap("exec in container `" + c.id + "`");
    }
    master = std::move(m).value();
  }
  return wait_foreground(pid, fwd, master.get());
}

}  // namespace

Result<int> exec_in_container(const Container& c, const ExecOptions& o,
                              const std::string& seccomp_cache) {
  return enter_and_run(c, o, seccomp_cache, nullptr);
}

Result<int> exec_through_proxy(const Container& c, const ExecOptions& o,
                               const std::string& seccomp_cache,
                               const std::vector<std::string>& argv,
                               const std::vector<std::string>& env) {
  // Connected here, in rune's mount namespace: the proxy cannot reach the state dir from inside.
  ASSIGN_OR_RETURN(base::UniqueFd sock, enclave::connect_in(c.dir, c.id));
  ProxyFor proxy{sock.get(), argv, env};
  return enter_and_run(c, o, seccomp_cache, &proxy);
}

}  // namespace runtime
