#include "runtime/lifecycle.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/json_reader.h"
#include "base/log.h"
#include "base/process.h"
#include "base/socket.h"
#include "linux/capabilities.h"
#include "linux/cgroup.h"
#include "linux/cgroup_resources.h"
#include "linux/hooks.h"
#include "linux/init.h"
#include "linux/mounts.h"
#include "linux/namespaces.h"
#include "linux/rootfs.h"
#include "linux/seccomp_program.h"
#include "linux/sync.h"
#include "linux/sys.h"
#include "runtime/exec.h"
#include "runtime/notify.h"
#include "runtime/systemd.h"
#include "runtime/terminal.h"

namespace runtime {

using base::Error;
using base::Result;
using base::Status;

struct Runtime::Created {
  pid_t pid = 0;
  base::UniqueFd console;  // foreground run with a terminal: where the init sends the master
  kernel::ParentChannel channel;
  oci::ContainerState state;
  std::unique_ptr<Handler> handler;
};

namespace {

// The container's init: the kernel set-up, then the handler's part, then (default handler) Ready
// and the exec of rune-dmz, which waits for start and execs the workload (with startContainer
// hooks: the init waits for start, runs the hooks, then execs the workload through rune-dmz).
[[noreturn]] void container_main(const kernel::InitPlan& p, Handler& handler,
                                 kernel::ChildChannel& ch) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // In its cgroups before anything else (limits and accounting apply to all the init does);
  // a failure is reported once rune sends Go, as rune reads the init's messages only after.
  Status s = base::ok();
  if (p.cgroups) {
    s = kernel::join_cgroups_self(*p.cgroups);
    *p.cgroups = {};  // the init is in its cgroups (or failed): their files close
    if (!s.ok()) {
      s = std::move(s).error().wrap("put the container's init in its cgroups");
      (void)ch.wait_go();
    }
  }
  kernel::RealSys sys;
  std::string exe;
  int init_pid = 0;
  base::UniqueFd dmz;
  if (s.ok()) s = kernel::init_container(p, sys, ch, exe, init_pid, dmz);
  InitContext ctx{*p.config, ch, exe, p.fifo_fd, p.preserve_fds, kernel::seccomp_at_exec(p),
                  dmz.get()};
  if (s.ok()) s = handler.run_in_init(ctx);
  if (!s.ok()) {
    ch.send_failed(s.error());
    _exit(1);
  }
  // rune create exits as soon as it reads Ready: the parent-death signal must be off before
  // that, or a fast exit of rune kills the created container.
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (!ch.send_ready().ok()) _exit(1);
  const auto& hooks = p.config->hooks.start_container;
  // Without startContainer hooks, the init execs rune-dmz now and rune-dmz waits for the start
  // (one byte on the exec fifo, or the Start message in `rune run`): rune's image is gone from
  // the container before `start`, and its teardown is off the start path.
  if (hooks.empty())
    kernel::exec_process(p.config->process, exe, p.preserve_fds, kernel::seccomp_at_exec(p),
                         dmz.get(), p.fifo_fd >= 0 ? p.fifo_fd : ch.fd());
  bool go = p.fifo_fd >= 0 ? kernel::wait_exec_fifo(p.fifo_fd) : ch.wait_start().ok();
  if (!go) _exit(1);
  ch.close();
  if (p.fifo_fd >= 0) close(p.fifo_fd);
  // startContainer hooks: in the container, after start, before the workload. A failing one
  // stops the container (`rune start` waits for the workload and reports it).
  Status h = kernel::run_hooks(hooks, kernel::init_hook_state(p, oci::Status::created, init_pid),
                               "startContainer", dmz.get());
  if (!h.ok()) {
    dprintf(2, "rune: %s\n", h.error().what().c_str());
    _exit(127);
  }
  kernel::exec_process(p.config->process, exe, p.preserve_fds, kernel::seccomp_at_exec(p),
                       dmz.get());
}

// The first resource limit `r` sets, by its config field, or nullptr.
const char* first_resource(const oci::Resources& r) {
  if (r.memory) return "linux.resources.memory";
  if (r.cpu) return "linux.resources.cpu";
  if (r.pids_limit) return "linux.resources.pids";
  if (r.block_io) return "linux.resources.blockIO";
  if (!r.hugepage_limits.empty()) return "linux.resources.hugepageLimits";
  if (r.network) return "linux.resources.network";
  if (!r.rdma.empty()) return "linux.resources.rdma";
  if (!r.unified.empty()) return "linux.resources.unified";
  return nullptr;
}

// systemd socket activation, passed on as runc does: when LISTEN_PID is rune's pid, the
// LISTEN_FDS descriptors from 3 go to the container (before --preserve-fds' ones), which sees
// LISTEN_FDS=N and LISTEN_PID=1.
int socket_activation_fds() {
  const char* pid = getenv("LISTEN_PID");
  const char* fds = getenv("LISTEN_FDS");
  if (!pid || !fds || atol(pid) != getpid()) return 0;
  long n = atol(fds);
  return n > 0 && n < 1 << 16 ? static_cast<int>(n) : 0;
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

// What `rune create` has made, written to <state dir>/create.json before each step that makes
// something (the cgroups, the init), so that `delete --force` can undo a create that was killed
// midway, or a container whose state.json is gone or damaged.
struct CreateRecord {
  std::vector<std::string> cgroup_dirs;
  pid_t pid = 0;
  uint64_t pid_start = 0;
  // A container without a mount namespace of its own: rune's rootfs bind in the host's, by its
  // id, or before that is known, by the id of the mount it goes on (`rootfs_under_id`).
  std::string rootfs;
  uint64_t rootfs_mount_id = 0, rootfs_under_id = 0;
  std::string systemd_unit;  // --systemd-cgroup: the scope asked for (it may exist)
};

// Stops a container's systemd scope; failures are warnings (as runc: delete never fails on them).
void stop_systemd_unit(const std::string& unit) {
  if (unit.empty()) return;
  auto sd = Systemd::connect();
  Status s = sd.ok() ? sd->stop_unit(unit) : Status(std::move(sd).error());
  if (!s.ok()) base::log::warn(s.error().what());
}

// Undoes the rootfs bind a record names: the one with the recorded id, or when create was killed
// before it recorded the id, whatever is on top of the mount that was there before.
Status unmount_recorded_rootfs(const CreateRecord& r) {
  if (r.rootfs_mount_id) return kernel::unmount_host_rootfs(r.rootfs, r.rootfs_mount_id);
  if (!r.rootfs_under_id) return base::ok();
  auto top = kernel::mount_id_of(r.rootfs);
  if (!top.ok() || *top == r.rootfs_under_id) return base::ok();
  return kernel::unmount_host_rootfs(r.rootfs, *top);
}

constexpr const char* kCreateRecord = "create.json";

Status save_record(const std::string& dir, const CreateRecord& r) {
  std::string text = "{\"cgroup_dirs\":[";
  for (size_t i = 0; i < r.cgroup_dirs.size(); ++i)
    text += (i ? "," : "") + base::json_quote(r.cgroup_dirs[i]);
  text += "],\"pid\":" + std::to_string(r.pid) + ",\"pid_start\":" + std::to_string(r.pid_start);
  if (!r.rootfs.empty())
    text += ",\"rootfs\":" + base::json_quote(r.rootfs) +
            ",\"rootfs_mount_id\":" + std::to_string(r.rootfs_mount_id) +
            ",\"rootfs_under_id\":" + std::to_string(r.rootfs_under_id);
  if (!r.systemd_unit.empty()) text += ",\"systemd_unit\":" + base::json_quote(r.systemd_unit);
  text += "}";
  return base::write_file_atomic(dir + "/" + kCreateRecord, text, 0600);
}

std::optional<CreateRecord> load_record(const std::string& dir) {
  auto text = base::read_file(dir + "/" + kCreateRecord, 1 << 20);
  if (!text.ok()) return std::nullopt;
  auto j = base::parse_json(*text, kCreateRecord);
  if (!j.ok()) return std::nullopt;
  base::JsonReader reader(*j);
  CreateRecord r;
  reader.root()["cgroup_dirs"].need(r.cgroup_dirs);
  reader.root()["pid"].need(r.pid);
  reader.root()["pid_start"].need(r.pid_start);
  if (reader.root()["rootfs"].get(r.rootfs)) {
    reader.root()["rootfs_mount_id"].need(r.rootfs_mount_id);
    reader.root()["rootfs_under_id"].need(r.rootfs_under_id);
  }
  reader.root()["systemd_unit"].get(r.systemd_unit);
  if (!reader.ok()) return std::nullopt;
  if (!r.rootfs.empty() && r.rootfs[0] != '/') return std::nullopt;
  // Only cgroup directories, never anything else, are removed from a record.
  for (const auto& d : r.cgroup_dirs)
    if (d.rfind("/sys/fs/cgroup/", 0) != 0 || d.find("/../") != std::string::npos)
      return std::nullopt;
  return r;
}

// Runs poststart or poststop hooks: their failures are warnings (runtime-spec; runc 1.1 instead
// kills the container when a poststart hook fails and fails `delete` when a poststop one does).
void run_hooks_warning(const std::vector<oci::Hook>& hooks, const std::string& state,
                       const std::string& kind) {
  if (Status s = kernel::run_hooks(hooks, state, kind); !s.ok()) base::log::warn(s.error().what());
}

// After `start` of a container with startContainer hooks: waits until the init has exec'd the
// workload (its /proc/PID/exe is no longer rune) or has ended because a hook failed.
Status wait_for_workload(const oci::ContainerState& st) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return base::sys_error("readlink /proc/self/exe");
  self[n] = '\0';
  int timeout_ms = 0;
  for (const auto& h : st.hooks.start_container) timeout_ms += h.timeout.value_or(60) * 1000;
  std::string link = "/proc/" + std::to_string(st.pid) + "/exe";
  for (int waited = 0; waited <= timeout_ms; ++waited) {
    if (!base::process_alive(st.pid, st.pid_start))
      return Error(base::Category::failed_precondition,
                   "start container `" + st.id +
                       "`: a startContainer hook failed and the container stopped (the hook's "
                       "error is on the container's standard error)");
    char exe[PATH_MAX];
    ssize_t m = readlink(link.c_str(), exe, sizeof exe - 1);
    if (m > 0 && (m != n || memcmp(exe, self, static_cast<size_t>(n)) != 0)) return base::ok();
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, nullptr);
  }
  return Error(base::Category::deadline_exceeded,
               "start container `" + st.id + "`: the startContainer hooks did not finish in time",
               ETIMEDOUT);
}

// Kills and reaps `pid`; its wait status.
// Undoes a partial create unless dismissed: kills the init, removes cgroups and the state dir.
class CreateGuard {
 public:
  CreateGuard(oci::StateStore& store, std::string id) : store_(store), id_(std::move(id)) {}
  ~CreateGuard() {
    if (dismissed_) return;
    if (pid_ > 0) base::kill_and_reap(pid_);
    if (systemd_) (void)systemd_->stop_unit(unit_);
    if (!cgroups_.empty()) (void)kernel::remove_cgroups(cgroups_);
    if (rootfs_mount_id_) (void)kernel::unmount_host_rootfs(rootfs_, rootfs_mount_id_);
    if (!store_.remove(id_).ok())
      base::log::warn("could not remove state directory of `" + id_ + "`");
  }
  void set_pid(pid_t p) { pid_ = p; }
  void set_cgroups(std::vector<std::string> d) { cgroups_ = std::move(d); }
  void set_systemd_unit(Systemd* sd, std::string unit) {
    systemd_ = sd;
    unit_ = std::move(unit);
  }
  void set_rootfs_mount(std::string rootfs, uint64_t id) {
    rootfs_ = std::move(rootfs);
    rootfs_mount_id_ = id;
  }
  void dismiss() { dismissed_ = true; }

 private:
  oci::StateStore& store_;
  std::string id_;
  pid_t pid_ = 0;
  std::vector<std::string> cgroups_;
  Systemd* systemd_ = nullptr;
  std::string unit_;
  std::string rootfs_;
  uint64_t rootfs_mount_id_ = 0;
  bool dismissed_ = false;
};

}  // namespace

Result<Runtime::Created> Runtime::do_create(const CreateOptions& o, Mode mode) {
  TRY(oci::validate_id(o.id));
  ASSIGN_OR_RETURN(std::string bundle, absolute_dir(o.bundle, "`--bundle`"));
  std::string cfg_path = bundle + "/config.json";
  // A FIFO (or a device) would block the read forever.
  if (struct stat cst; stat(cfg_path.c_str(), &cst) == 0 && !S_ISREG(cst.st_mode))
    return base::invalid("`" + cfg_path + "` is not a regular file");
  auto text = base::read_file(cfg_path, 16 << 20);
  if (!text.ok()) return std::move(text).error().wrap("load the bundle's config");
  ASSIGN_OR_RETURN(oci::Config config, oci::parse_config(*text, cfg_path));
  const int listen_fds = socket_activation_fds();
  if (listen_fds > 0) {
    oci::set_env(config.process.env, "LISTEN_FDS=" + std::to_string(listen_fds));
    oci::set_env(config.process.env, "LISTEN_PID=1");
  }
  const std::string notify = host_notify_socket();
  if (!notify.empty()) add_notify_env(config.process);
  TRY_WRAP(kernel::check_exec_limits(config.process), cfg_path);
  if (config.process.capabilities)
    for (const auto& w : kernel::drop_ungrantable_capabilities(*config.process.capabilities))
      base::log::warn(w);
  auto chosen = choose_handler(config);
  if (!chosen.ok()) return std::move(chosen).error().wrap(cfg_path);
  Created out;
  out.handler = std::move(chosen).value();
  Handler& handler = *out.handler;
  TRY(check_terminal(config.process.terminal, mode == Mode::create || o.detach, o.console_socket));
  std::string rootfs_in =
      config.root_path[0] == '/' ? config.root_path : base::path_join(bundle, config.root_path);
  auto rootfs = absolute_dir(rootfs_in, "`root.path`");
  if (!rootfs.ok()) return std::move(rootfs).error().wrap(cfg_path);

  kernel::InitPlan plan;
  plan.config = &config;
  plan.rootfs = *rootfs;
  plan.no_pivot = o.no_pivot;
  plan.preserve_fds = listen_fds + o.preserve_fds;
  plan.id = o.id;
  plan.bundle = bundle;
  if (!o.no_new_keyring) plan.session_keyring = "_ses." + o.id;
  auto mounts = kernel::plan_mounts(config, bundle);
  if (!mounts.ok()) return std::move(mounts).error().wrap(cfg_path);
  plan.mounts = std::move(mounts).value();
  for (const auto& m : plan.mounts)
    plan.dev_is_bind =
        plan.dev_is_bind || (m.destination == "/dev" && m.kind == kernel::MountKind::bind);
  std::optional<kernel::SeccompProgram> seccomp;
  if (config.linux.seccomp) {
    auto compiled =
        kernel::compile_seccomp_cached(*config.linux.seccomp, store_.root() + "/" + kSeccompCache);
    if (!compiled.ok()) return std::move(compiled).error().wrap(cfg_path);
    seccomp = std::move(compiled).value();
    plan.seccomp = &*seccomp;
  }
  auto ns = kernel::plan_namespaces(config.linux.namespaces);
  if (!ns.ok()) return std::move(ns).error().wrap(cfg_path);
  plan.ns = &ns.value();
  plan.rootless_maps = geteuid() != 0 && (plan.ns->clone_flags & CLONE_NEWUSER);
  // --systemd-cgroup: systemd's scope (its directories; systemd reached before anything is made).
  std::optional<SystemdUnit> unit;
  std::optional<Systemd> systemd;
  Result<kernel::CgroupSet> cg = kernel::CgroupSet{};
  if (o.systemd_cgroup) {
    if (geteuid() != 0)
      return Error(base::Category::failed_precondition,
                   "`--systemd-cgroup`: rootless containers cannot use the systemd cgroup driver "
                   "(rune asks the system manager only)");
    auto u = parse_systemd_path(config.linux.cgroups_path, o.id);
    if (!u.ok()) return std::move(u).error().wrap(cfg_path);
    unit = std::move(u).value();
    cg = kernel::plan_systemd_cgroups(base::path_join(unit->slice_path, unit->unit));
    if (!cg.ok()) return std::move(cg).error().wrap(cfg_path);
    ASSIGN_OR_RETURN(systemd, Systemd::connect());
  } else {
    cg = kernel::plan_cgroups(config.linux.cgroups_path, o.id);
    if (!cg.ok()) return std::move(cg).error().wrap(cfg_path);
  }
  if (geteuid() != 0) {
    // Rootless: cgroups only where they are delegated; limits without one are an error.
    kernel::keep_delegated(*cg);
    if (const char* field = first_resource(config.linux.resources); field && cg->dirs.empty())
      return base::Error(base::Category::failed_precondition,
                         std::string("`") + field +
                             "`: a rootless container has no cgroup to set it in (none is "
                             "delegated to uid " +
                             std::to_string(geteuid()) + ")")
          .wrap(cfg_path);
    config.linux.device_rules.clear();  // enforced by nothing without a cgroup (as runc)
  }
  for (size_t i = 0; i < cg->hierarchies.size(); ++i) {
    const std::string& mp = cg->hierarchies[i].mountpoint;
    bool whole = cg->hierarchies.size() == 1 && cg->hierarchies[i].v2;
    plan.cgroup_binds.push_back({whole ? "" : mp.substr(mp.find_last_of('/') + 1), cg->dirs[i]});
  }

  TRY(store_.reserve(o.id));
  CreateGuard guard(store_, o.id);
  if (!notify.empty()) {
    // sd-notify: the container's own socket directory, bound at /run/notify (notify.h).
    ASSIGN_OR_RETURN(oci::Mount m, make_notify_dir(store_.dir(o.id)));
    auto step = kernel::plan_mount(m, config.mounts.size(), bundle);
    if (!step.ok()) return std::move(step).error().wrap("NOTIFY_SOCKET");
    config.mounts.push_back(std::move(m));
    plan.mounts.push_back(std::move(step).value());
  }
  guard.set_cgroups(cg->dirs);
  CreateRecord record{cg->dirs, 0, 0};
  TRY(save_record(store_.dir(o.id), record));
  TRY(kernel::create_cgroups(*cg));
  if (!config.linux.device_rules.empty() &&
      kernel::device_control(*cg) == kernel::DeviceControl::none)
    base::log::warn(
        "`linux.resources.devices`: not enforced: neither a v1 devices controller nor a cgroup2 "
        "hierarchy is mounted");
  for (const auto& w : kernel::resource_warnings(config.linux.resources)) base::log::warn(w);
  auto writes = kernel::plan_resources(*cg, config.linux.resources, kernel::real_cgroup_files());
  if (!writes.ok()) return std::move(writes).error().wrap(cfg_path);
  // The workload never runs without its device rules and limits: written before the clone, or
  // with systemd, once its scope holds the init (still waiting for Go), after the properties
  // (systemd rewrites the files of the controllers it manages when it starts the scope).
  auto apply_limits = [&]() -> Status {
    TRY(kernel::apply_device_rules(*cg, config.linux.device_rules));
    return kernel::apply_resources(*writes);
  };
  if (!systemd) TRY(apply_limits());
  PoolOptions pool = o.pool;
  pool.container = o.id;
  TRY(handler.prepare(store_.dir(o.id), config, *rootfs, pool));
  // No mount namespace of its own (as runc allows): the container mounts in the host's, below a
  // private bind of the rootfs that rune makes and records first, so that delete undoes it all.
  plan.host_mount_ns = !config.linux.find_ns(oci::NsType::mount);
  if (plan.host_mount_ns) {
    record.rootfs = *rootfs;
    auto under = kernel::mount_id_of(*rootfs);
    if (!under.ok()) return std::move(under).error().wrap(cfg_path);
    record.rootfs_under_id = *under;
    TRY(save_record(store_.dir(o.id), record));
    auto mid = kernel::bind_rootfs_in_host(*rootfs);
    if (!mid.ok()) return std::move(mid).error().wrap(cfg_path);
    record.rootfs_mount_id = *mid;
    guard.set_rootfs_mount(*rootfs, *mid);
    TRY(save_record(store_.dir(o.id), record));
  }

  // The terminal: the caller's console socket, or (foreground run) one that rune reads itself.
  base::UniqueFd console;
  if (config.process.terminal) {
    TRY(open_console(o.console_socket, &console, &out.console));
    plan.console_fd = console.get();
  }

  base::UniqueFd fifo;
  if (mode == Mode::create) {
    std::string fp = store_.fifo_path(o.id);
    if (mkfifo(fp.c_str(), 0600) != 0) return base::sys_error("create `" + fp + "`");
    fifo.reset(open(fp.c_str(), O_RDWR | O_CLOEXEC));
    if (!fifo.valid()) return base::sys_error("open `" + fp + "`");
    plan.fifo_fd = fifo.get();
  }
  // The init logs to the same file (its warnings); after pivot_root the path is out of reach.
  base::log::open_now();
  // CVE-2019-5736: the init is rune's image until it execs. Not dumpable (inherited through
  // clone(), so from the init's first instruction): no process of the container without
  // CAP_SYS_PTRACE can open its /proc/<pid>/exe (or mem, fd, ...). And it execs the workload
  // through a sealed rune-dmz, never from rune's image (linux/dmz.h). Rootless: the init turns
  // non-dumpable itself at Go, once rune has written its id maps (init.h).
  if (!plan.rootless_maps) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ASSIGN_OR_RETURN(kernel::CgroupJoin join, kernel::open_cgroup_join(*cg));
  plan.cgroups = &join;
  kernel::ChildChannel child_ch;
  TRY(kernel::make_sync_pair(out.channel, child_ch));
  ASSIGN_OR_RETURN(pid_t pid, kernel::clone_init(
                                  *plan.ns,
                                  [&] {
                                    out.channel.close();
                                    out.console.reset();
                                    container_main(plan, handler, child_ch);
                                  },
                                  join.v2_dir.get(), &join.v2_in_clone));
  guard.set_pid(pid);
#if defined(__SANITIZE_ADDRESS__)
  // LeakSanitizer's check at exit stops the process under ptrace: in the sanitizer build (tests
  // only) rune itself becomes dumpable again; the init inherited the flag already. (This alone
  // did not cure the LSan hang in integration.security; see tests/CMakeLists.txt.)
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
  child_ch.close();
  join = {};  // the init joins its cgroups itself (container_main)
  fifo.reset();
  console.reset();
  handler.after_clone();
  if (systemd) {
    record.systemd_unit = unit->unit;
    TRY(save_record(store_.dir(o.id), record));
    guard.set_systemd_unit(&*systemd, unit->unit);
    const Driver driver = driver_of(*cg);
    TRY(systemd->start_unit(unit->unit, unit_properties(*unit, pid, driver)));
    std::vector<std::string> warnings;
    auto props = resource_properties(
        config.linux.resources, config.linux.device_rules, [&] { return systemd->version(); },
        &warnings, driver);
    for (const auto& w : warnings) base::log::warn(w);
    TRY(systemd->set_properties(unit->unit, std::move(props)));
    TRY(apply_limits());
  }

  // What the init could not do from inside a user namespace: set from here, before Go.
  if (plan.ns->clone_flags & CLONE_NEWUSER)
    TRY(kernel::write_id_maps(pid, config.linux.uid_mappings, config.linux.gid_mappings));
  TRY(kernel::set_rlimits(pid, config.process.rlimits));
  TRY(kernel::set_oom_score_adj(pid, config.process.oom_score_adj));
  TRY(out.channel.send_go(pid));
  // For exec, while the init sets the container up.
  TRY(base::create_file(store_.dir(o.id) + "/" + kConfigCopy, *text, 0600));
  handler.while_init_sets_up();
  // Recorded while the init sets the container up: replacing create.json costs ~0.2 ms on ext4
  // (auto_da_alloc writes the new file's data out at the rename). Should rune die before this,
  // the init dies with it (PR_SET_PDEATHSIG, on until Ready).
  if (auto ps = base::read_proc_stat(pid)) {
    record.pid = pid;
    record.pid_start = ps->start_time;
    TRY(save_record(store_.dir(o.id), record));
  }
  std::string ready_text, phase;
  // prestart and createRuntime hooks: in rune's namespaces, when the init asks (before its
  // pivot_root). A failing one fails the create.
  auto runtime_hooks = [&]() -> Status {
    std::string state =
        oci::hook_state_json(o.id, oci::Status::creating, pid, bundle, config.annotations);
    TRY(kernel::run_hooks(config.hooks.prestart, state, "prestart"));
    return kernel::run_hooks(config.hooks.create_runtime, state, "createRuntime");
  };
  // NOTIFY rules: the init's listener goes on to listenerPath with the container's state.
  auto to_listener = [&](int listener) -> Status {
    const oci::Seccomp& sc = *config.linux.seccomp;
    return kernel::send_to_listener(
        sc.listener_path,
        kernel::container_process_state(
            sc, pid,
            oci::hook_state_json(o.id, oci::Status::creating, pid, bundle, config.annotations)),
        listener);
  };
  auto serve_pool = [&](const std::string& request, std::string* answer, base::UniqueFd* fd) {
    handler.serve_pool(request, answer, fd);
  };
  Status ready =
      out.channel.wait_ready(&ready_text, &phase, runtime_hooks, to_listener, serve_pool);
  if (!ready.ok()) {
    int status = base::kill_and_reap(pid);
    guard.set_pid(0);
    return handler.explain(std::move(ready).error(), phase, status)
        .wrap("create container `" + o.id + "`");
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
  st.no_new_keyring = o.no_new_keyring;
  if (unit) st.systemd_unit = unit->unit;
  st.rootfs_mount_id = record.rootfs_mount_id;
  if (const auto& m = config.linux.resources.memory)
    st.memory_check_before_update = m->check_before_update.value_or(false);
  st.hooks.poststart = config.hooks.poststart;
  st.hooks.poststop = config.hooks.poststop;
  st.hooks.start_container = config.hooks.start_container;
  TRY_WRAP(handler.record(ready_text, config, st), "create container `" + o.id + "`");
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
  if ((s == oci::Status::running || s == oci::Status::created) &&
      kernel::cgroup_frozen(st.cgroup_dirs).value_or(false))
    s = oci::Status::paused;
  return Info{std::move(st), s};
}

Result<Container> Runtime::load(const std::string& id) {
  ASSIGN_OR_RETURN(Info in, info(id));
  return Container{id, store_.dir(id), store_.fifo_path(id), std::move(in.state), in.status};
}

Status Runtime::start(const std::string& id) {
  ASSIGN_OR_RETURN(Container c, load(id));
  switch (c.status) {
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
    case oci::Status::paused:
      return Error(base::Category::failed_precondition,
                   "cannot start container `" + id + "`: it is paused");
  }
  const std::string notify = host_notify_socket();
  base::UniqueFd notify_sock;
  if (!notify.empty()) {
    ASSIGN_OR_RETURN(notify_sock, bind_notify(c.dir));
  }
  TRY(handler_of(c.state)->start(c));
  if (!c.state.hooks.start_container.empty()) TRY(wait_for_workload(c.state));
  if (notify_sock.valid())
    TRY(relay_ready(notify_sock.get(), notify, c.state.pid, c.state.pid_start));
  run_hooks_warning(c.state.hooks.poststart,
                    oci::hook_state_json(id, oci::Status::running, c.state.pid, c.state.bundle,
                                         c.state.annotations),
                    "poststart");
  return base::ok();
}

Status Runtime::kill(const std::string& id, int sig, bool all) {
  ASSIGN_OR_RETURN(Container c, load(id));
  // "container not running" is runc's text, which engines match (containerd: NotFound).
  if (c.status == oci::Status::stopped && !all)
    return Error(base::Category::failed_precondition,
                 "cannot kill container `" + id + "`: container not running");
  if (c.status == oci::Status::creating)
    return Error(base::Category::failed_precondition,
                 "container `" + id + "` is still being created");
  return handler_of(c.state)->kill(c, sig, all);
}

Status Runtime::pause(const std::string& id) {
  ASSIGN_OR_RETURN(Container c, load(id));
  if (c.status != oci::Status::running && c.status != oci::Status::created)
    return Error(base::Category::failed_precondition, "cannot pause container `" + id +
                                                          "`: container not running (" +
                                                          oci::status_name(c.status) + ")");
  TRY_WRAP(kernel::freeze_cgroup(c.state.cgroup_dirs, true), "pause container `" + id + "`");
  return base::ok();
}

Status Runtime::resume(const std::string& id) {
  ASSIGN_OR_RETURN(Container c, load(id));
  if (c.status != oci::Status::paused)
    return Error(base::Category::failed_precondition, "cannot resume container `" + id +
                                                          "`: container not paused (" +
                                                          oci::status_name(c.status) + ")");
  TRY_WRAP(kernel::freeze_cgroup(c.state.cgroup_dirs, false), "resume container `" + id + "`");
  return base::ok();
}

Result<std::vector<pid_t>> Runtime::pids(const std::string& id) {
  ASSIGN_OR_RETURN(Container c, load(id));
  if (c.status == oci::Status::stopped || c.status == oci::Status::creating)
    return std::vector<pid_t>{};
  return kernel::cgroup_pids(c.state.cgroup_dirs);
}

Status Runtime::update(const std::string& id, const oci::Resources& resources,
                       const std::vector<oci::DeviceRule>& device_rules) {
  ASSIGN_OR_RETURN(Container c, load(id));
  if (c.status == oci::Status::stopped || c.status == oci::Status::creating)
    return Error(base::Category::failed_precondition, "cannot update container `" + id +
                                                          "`: container not running (" +
                                                          oci::status_name(c.status) + ")");
  kernel::CgroupSet cg = kernel::cgroup_set_of(c.state.cgroup_dirs);
  for (const auto& w : kernel::resource_warnings(resources)) base::log::warn(w);
  if (!device_rules.empty() && kernel::device_control(cg) != kernel::DeviceControl::program)
    return Error(
        base::Category::unimplemented,
        "update container `" + id +
            "`: `devices` can be updated only where a device program enforces them "
            "(cgroup v2); this container has " +
            (kernel::device_control(cg) == kernel::DeviceControl::v1 ? "a v1 devices cgroup"
                                                                     : "no devices cgroup"));
  // checkBeforeUpdate: from the update if it says, else from the container's config.
  oci::Resources r = resources;
  if (r.memory && !r.memory->check_before_update)
    r.memory->check_before_update = c.state.memory_check_before_update;
  auto writes = kernel::plan_resources(cg, r, kernel::real_cgroup_files());
  if (!writes.ok()) return std::move(writes).error().wrap("update container `" + id + "`");
  if (!c.state.systemd_unit.empty()) {
    // systemd's properties first (it rewrites the files it manages), then the files as below.
    auto sd = Systemd::connect();
    if (!sd.ok()) return std::move(sd).error().wrap("update container `" + id + "`");
    std::vector<std::string> warnings;
    // The device rules only where they can change (a device program, cgroup2).
    auto props = resource_properties(
        r, device_rules, [&] { return sd->version(); }, &warnings, driver_of(cg));
    for (const auto& w : warnings) base::log::warn(w);
    TRY_WRAP(sd->set_properties(c.state.systemd_unit, std::move(props)),
             "update container `" + id + "`");
  }
  // The new device program replaces the one attached at create (or by an earlier update).
  TRY_WRAP(kernel::apply_device_rules(cg, device_rules), "update container `" + id + "`");
  TRY_WRAP(kernel::apply_resources(*writes), "update container `" + id + "`");
  return base::ok();
}

Result<int> Runtime::exec(const std::string& id, const ExecOptions& o) {
  ASSIGN_OR_RETURN(Container c, load(id));
  return handler_of(c.state)->exec(c, o);
}

Result<std::vector<uint8_t>> Runtime::attest(const std::string& id,
                                             const std::vector<uint8_t>& target_info) {
  ASSIGN_OR_RETURN(Container c, load(id));
  return handler_of(c.state)->attest(c, target_info);
}

Status Runtime::destroy(const oci::ContainerState& st) {
  stop_systemd_unit(st.systemd_unit);
  TRY(kernel::remove_cgroups(st.cgroup_dirs));
  if (st.rootfs_mount_id) TRY(kernel::unmount_host_rootfs(st.rootfs, st.rootfs_mount_id));
  TRY(store_.remove(st.id));
  run_hooks_warning(st.hooks.poststop,
                    oci::hook_state_json(st.id, oci::Status::stopped, 0, st.bundle, st.annotations),
                    "poststop");
  return base::ok();
}

// `delete --force` without a usable state.json (a create killed midway, or the file deleted or
// damaged): undoes what create.json says was made — the init, the cgroups and whatever runs in
// them — then the state directory.
Status Runtime::force_remove_by_record(const std::string& id) {
  std::string dir = store_.dir(id);
  if (auto r = load_record(dir)) {
    if (r->pid > 0 && base::process_alive(r->pid, r->pid_start)) {
      ::kill(r->pid, SIGKILL);
      (void)base::wait_process_gone(r->pid, r->pid_start, 10000);
    }
    (void)kernel::freeze_cgroup(r->cgroup_dirs, false);  // frozen tasks die only once thawed
    stop_systemd_unit(r->systemd_unit);
    TRY(kernel::remove_cgroups(r->cgroup_dirs));
    TRY(unmount_recorded_rootfs(*r));
  }
  return store_.remove(id);
}

Status Runtime::remove(const std::string& id, bool force) {
  auto in = info(id);
  if (!in.ok()) {
    // Like runc, `delete --force` of a container that does not exist succeeds.
    if (force && in.error().category() == base::Category::not_found) return base::ok();
    // A damaged state.json: what create recorded still says what to undo.
    if (force && oci::validate_id(id).ok() && store_.exists(id)) return force_remove_by_record(id);
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
      return force_remove_by_record(id);
    case oci::Status::running:
    case oci::Status::paused:
      if (!force)
        return Error(base::Category::failed_precondition,
                     "cannot delete container `" + id +
                         "` that is not stopped: " + oci::status_name(in->status));
      [[fallthrough]];
    case oci::Status::created:  // like runc: a created container is deleted without --force
      if (!st.own_pid_ns) (void)kernel::signal_cgroup(st.cgroup_dirs, SIGKILL);
      if (::kill(st.pid, SIGKILL) != 0 && errno != ESRCH)
        return base::sys_error("kill container `" + id + "`");
      // Frozen tasks die only once thawed.
      if (in->status == oci::Status::paused) (void)kernel::freeze_cgroup(st.cgroup_dirs, false);
      if (!base::wait_process_gone(st.pid, st.pid_start, 10000))
        return Error(base::Category::unavailable, "container `" + id + "`: init process " +
                                                      std::to_string(st.pid) +
                                                      " did not exit after SIGKILL");
      break;
  }
  return destroy(st);
}

Result<int> Runtime::run(const CreateOptions& o) {
  const bool detach = o.detach;
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
  // container without its own pid namespace), and unless `keep`, the cgroups and the state.
  auto finish = [&](bool kill_init, bool keep = false) -> Status {
    if (kill_init) base::kill_and_reap(pid);
    if (!detach) sigprocmask(SIG_SETMASK, &old, nullptr);
    if (!st.own_pid_ns) (void)kernel::signal_cgroup(st.cgroup_dirs, SIGKILL);
    return keep ? base::ok() : destroy(st);
  };
  const std::string notify = host_notify_socket();
  base::UniqueFd notify_sock;
  if (!notify.empty()) {
    auto b = bind_notify(store_.dir(o.id));
    if (!b.ok()) {
      (void)finish(true);
      return std::move(b).error();
    }
    notify_sock = std::move(b).value();
  }
  Status s = created->channel.send_start();
  if (s.ok()) {
    s = created->handler->started(created->channel);
    if (!s.ok()) s = std::move(s).error().wrap("run container `" + o.id + "`");
  }
  if (s.ok() && notify_sock.valid()) s = relay_ready(notify_sock.get(), notify, pid, st.pid_start);
  created->channel.close();
  if (!s.ok()) {
    (void)finish(true);
    return std::move(s).error();
  }
  run_hooks_warning(
      st.hooks.poststart,
      oci::hook_state_json(o.id, oci::Status::running, pid, st.bundle, st.annotations),
      "poststart");
  if (detach) return 0;
  base::UniqueFd master;
  if (created->console.valid()) {
    auto m = base::receive_console(created->console.get());
    if (!m.ok()) {
      (void)finish(true);
      return std::move(m).error().wrap("run container `" + o.id + "`");
    }
    master = std::move(m).value();
  }
  int code = wait_foreground(pid, fwd, master.get());
  TRY(finish(false, o.keep));  // --keep: the stopped container stays until `delete` (as runc)
  return code;
}

}  // namespace runtime
