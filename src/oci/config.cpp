#include "oci/config.h"

#include <sched.h>
#include <sys/resource.h>

#include "base/json_reader.h"

namespace oci {

using base::Error;
using base::Result;
using base::Status;

int ns_clone_flag(NsType t) {
  switch (t) {
    case NsType::pid:
      return CLONE_NEWPID;
    case NsType::network:
      return CLONE_NEWNET;
    case NsType::mount:
      return CLONE_NEWNS;
    case NsType::ipc:
      return CLONE_NEWIPC;
    case NsType::uts:
      return CLONE_NEWUTS;
    case NsType::user:
      return CLONE_NEWUSER;
    case NsType::cgroup:
      return CLONE_NEWCGROUP;
    case NsType::time:
      return 0x00000080;  // CLONE_NEWTIME
  }
  return 0;
}

const char* ns_config_name(NsType t) {
  static const char* names[kNsTypeCount] = {"pid", "network", "mount",  "ipc",
                                            "uts", "user",    "cgroup", "time"};
  return names[static_cast<int>(t)];
}

const char* ns_proc_name(NsType t) {
  static const char* names[kNsTypeCount] = {"pid", "net",  "mnt",    "ipc",
                                            "uts", "user", "cgroup", "time"};
  return names[static_cast<int>(t)];
}

const Namespace* Linux::find_ns(NsType t) const {
  for (const auto& n : namespaces)
    if (n.type == t) return &n;
  return nullptr;
}

namespace {

constexpr const char* kSeccompActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
constexpr const char* kSeccompOperators[] = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                             "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                             "SCMP_CMP_MASKED_EQ"};
constexpr const char* kSeccompArchs[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"};
constexpr const char* kSeccompFlags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                         "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
// Each hook list: its name in config.json and its member.
constexpr std::pair<const char*, std::vector<Hook> Hooks::*> kHookLists[] = {
    {"prestart", &Hooks::prestart},
    {"createRuntime", &Hooks::create_runtime},
    {"createContainer", &Hooks::create_container},
    {"startContainer", &Hooks::start_container},
    {"poststart", &Hooks::poststart},
    {"poststop", &Hooks::poststop}};

bool listed(std::span<const char* const> names, std::string_view name) {
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

constexpr const char* kCapNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
static_assert(sizeof(kCapNames) / sizeof(kCapNames[0]) == kLastCapability + 1);

struct RlimitName {
  const char* name;
  int resource;
};
constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

using base::JsonField;

// A field that rune does not implement yet: an error, never silently ignored.
void reject_unsupported(const JsonField& f, const char* feature) {
  const base::Json* v = f.json();
  if (!v) return;
  if ((v->is_object() || v->is_array()) && v->empty()) return;
  f.fail(std::string(feature) + " is not supported by this version of rune");
}

void parse_capabilities(const JsonField& c, Capabilities& caps) {
  if (!c.is_object()) return;
  struct Set {
    const char* key;
    uint64_t* mask;
  } sets[] = {{"bounding", &caps.bounding},
              {"effective", &caps.effective},
              {"inheritable", &caps.inheritable},
              {"permitted", &caps.permitted},
              {"ambient", &caps.ambient}};
  for (auto& s : sets) {
    JsonField set = c[s.key];
    std::vector<std::string> names;
    if (!set.get(names)) continue;
    for (size_t i = 0; i < names.size(); ++i) {
      int cap = capability_from_name(names[i]);
      if (cap < 0) {
        set[i].fail("unknown capability `" + names[i] + "`");
        return;
      }
      *s.mask |= uint64_t{1} << cap;
    }
  }
}

// (uid_t)-1 tells setresuid and friends "leave this id alone": the process would stay root.
void reject_no_change_id(const JsonField& f, uint32_t id) {
  if (id == UINT32_MAX)
    f.fail("4294967295 is not a usable id (the kernel reads it as \"no change\")");
}

void parse_user(const JsonField& u, User& user) {
  if (!u.is_object()) return;
  if (u["uid"].get(user.uid)) reject_no_change_id(u["uid"], user.uid);
  if (u["gid"].get(user.gid)) reject_no_change_id(u["gid"], user.gid);
  if (u["umask"].get(user.umask) && *user.umask > 0777) u["umask"].fail("must be at most 0777");
  for (const JsonField& g : u["additionalGids"].elements()) {
    uint32_t gid = 0;
    if (g.need(gid)) {
      reject_no_change_id(g, gid);
      user.additional_gids.push_back(gid);
    }
  }
  std::string username;
  u["username"].get(username);  // Windows only
}

void parse_rlimits(const JsonField& r, std::vector<Rlimit>& rlimits) {
  for (const JsonField& e : r.elements()) {
    if (!e.is_object()) return;
    Rlimit rl;
    e["type"].get(rl.type);
    rl.resource = -1;
    for (const auto& n : kRlimits)
      if (rl.type == n.name) rl.resource = n.resource;
    if (rl.resource < 0) {
      e["type"].fail("unknown rlimit `" + rl.type + "`");
      return;
    }
    // Both are required (a missing soft limit would be 0: no open file at all for NOFILE).
    e["soft"].need(rl.soft);
    e["hard"].need(rl.hard);
    if (rl.soft > rl.hard) {
      e.fail("soft limit " + std::to_string(rl.soft) + " is above the hard limit " +
             std::to_string(rl.hard));
      return;
    }
    for (const auto& prev : rlimits)
      if (prev.resource == rl.resource) {
        e["type"].fail("`" + rl.type + "` is given twice");
        return;
      }
    rlimits.push_back(rl);
  }
}

// Looks `name` up in `table`; records an error naming `f` and listing the names otherwise.
template <class T, size_t N>
bool lookup_name(const JsonField& f, const std::string& name,
                 const std::pair<const char*, T> (&table)[N], T& out) {
  std::string known;
  for (const auto& [n, v] : table) {
    if (name == n) {
      out = v;
      return true;
    }
    known += known.empty() ? n : std::string(", ") + n;
  }
  return f.fail("`" + name + "` is not one of " + known);
}

void parse_scheduler(const JsonField& f, std::optional<Scheduler>& out) {
  if (!f.is_object()) return;
  static const std::pair<const char*, uint32_t> kPolicies[] = {
      {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},      {"SCHED_BATCH", 3},
      {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6}};
  static const std::pair<const char*, uint64_t> kFlags[] = {
      {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
      {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
      {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
      {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
  Scheduler s;
  if (f["policy"].need(s.policy_name) &&
      !lookup_name(f["policy"], s.policy_name, kPolicies, s.policy))
    return;
  if (f["nice"].get(s.nice) && (s.nice < -20 || s.nice > 19))
    f["nice"].fail("must be between -20 and 19");
  f["priority"].get(s.priority);
  std::vector<std::string> flags;
  f["flags"].get(flags);
  for (size_t i = 0; i < flags.size(); ++i) {
    uint64_t bit = 0;
    if (!lookup_name(f["flags"][i], flags[i], kFlags, bit)) return;
    s.flags |= bit;
  }
  f["runtime"].get(s.runtime);
  f["deadline"].get(s.deadline);
  f["period"].get(s.period);
  out = s;
}

void parse_io_priority(const JsonField& f, std::optional<IoPriority>& out) {
  if (!f.is_object()) return;
  static const std::pair<const char*, int> kClasses[] = {
      {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
  IoPriority io;
  std::string klass;
  if (f["class"].need(klass) && !lookup_name(f["class"], klass, kClasses, io.klass)) return;
  if (f["priority"].get(io.priority) && (io.priority < 0 || io.priority > 7))
    f["priority"].fail("must be between 0 and 7");
  out = io;
}

void parse_process(const JsonField& p, Process& proc) {
  if (!p.is_object()) return;
  p["terminal"].get(proc.terminal);
  if (JsonField cs = p["consoleSize"]; cs.present() && cs.is_object()) {
    ConsoleSize size;
    cs["height"].get(size.height);
    cs["width"].get(size.width);
    proc.console_size = size;
  }
  parse_user(p["user"], proc.user);
  JsonField args = p["args"];
  args.get(proc.args);
  if (proc.args.empty()) {
    args.fail("must name the program to run");
  } else if (proc.args[0].empty()) {
    args[0].fail("is empty");
  }
  p["env"].get(proc.env);
  for (size_t i = 0; i < proc.env.size(); ++i)
    if (proc.env[i].find('=') == std::string::npos || proc.env[i][0] == '=')
      p["env"][i].fail("`" + proc.env[i] + "` is not of the form NAME=value");
  proc.cwd.clear();
  JsonField cwd = p["cwd"];
  cwd.get(proc.cwd);
  if (proc.cwd.empty()) {
    cwd.fail("is required");
  } else if (proc.cwd[0] != '/') {
    cwd.fail("`" + proc.cwd + "` is not an absolute path");
  }
  if (JsonField c = p["capabilities"]; c.present()) {
    Capabilities caps;
    parse_capabilities(c, caps);
    proc.capabilities = caps;
  }
  parse_rlimits(p["rlimits"], proc.rlimits);
  p["noNewPrivileges"].get(proc.no_new_privileges);
  if (p["oomScoreAdj"].get(proc.oom_score_adj) &&
      (*proc.oom_score_adj < -1000 || *proc.oom_score_adj > 1000))
    p["oomScoreAdj"].fail("must be between -1000 and 1000");
  reject_unsupported(p["apparmorProfile"], "AppArmor");
  reject_unsupported(p["selinuxLabel"], "SELinux");
  parse_scheduler(p["scheduler"], proc.scheduler);
  parse_io_priority(p["ioPriority"], proc.io_priority);
  reject_unsupported(p["execCPUAffinity"], "CPU affinity");
}

void parse_mounts(const JsonField& ms, std::vector<Mount>& mounts) {
  for (const JsonField& m : ms.elements()) {
    if (!m.is_object()) return;
    Mount mt;
    m["destination"].get(mt.destination);
    if (mt.destination.empty()) {
      m["destination"].fail("is required");
      return;
    }
    m["type"].get(mt.type);
    m["source"].get(mt.source);
    m["options"].get(mt.options);
    bool bind = mt.type == "bind";
    for (const auto& o : mt.options) bind = bind || o == "bind" || o == "rbind";
    if (mt.type.empty() && !bind)
      m["type"].fail("is required unless the options say bind or rbind");
    if (bind && mt.source.empty()) m["source"].fail("a bind mount needs a source");
    for (const char* key : {"uidMappings", "gidMappings"}) {
      const base::Json* v = m[key].json();
      if (v && !v->empty())
        m[key].fail("idmapped mounts are not supported by this version of rune");
    }
    mounts.push_back(std::move(mt));
  }
}

void parse_device_rules(const JsonField& ds, std::vector<DeviceRule>& rules) {
  for (const JsonField& d : ds.elements()) {
    if (!d.is_object()) return;
    DeviceRule r;
    d["allow"].need(r.allow);
    std::string type = "a";
    d["type"].get(type);
    if (type != "a" && type != "b" && type != "c") {
      d["type"].fail("`" + type + "` is not one of a, b, c");
      return;
    }
    r.type = type[0];
    d["major"].get(r.major);
    d["minor"].get(r.minor);
    if (r.major && *r.major < 0) r.major.reset();  // -1 means any, as runc treats it
    if (r.minor && *r.minor < 0) r.minor.reset();
    d["access"].get(r.access);
    if (r.access.empty()) r.access = "rwm";
    for (char c : r.access)
      if (c != 'r' && c != 'w' && c != 'm') {
        d["access"].fail("`" + r.access + "` may contain only r, w and m");
        return;
      }
    rules.push_back(r);
  }
}

void parse_memory(const JsonField& m, std::optional<MemoryResources>& out) {
  if (!m.is_object()) return;
  MemoryResources r;
  m["limit"].get(r.limit);
  m["reservation"].get(r.reservation);
  m["swap"].get(r.swap);
  m["kernel"].get(r.kernel);
  m["kernelTCP"].get(r.kernel_tcp);
  if (m["swappiness"].get(r.swappiness) && *r.swappiness > 100)
    m["swappiness"].fail("must be between 0 and 100, not " + std::to_string(*r.swappiness));
  m["disableOOMKiller"].get(r.disable_oom_killer);
  m["useHierarchy"].get(r.use_hierarchy);
  m["checkBeforeUpdate"].get(r.check_before_update);
  for (auto* v : {&r.limit, &r.reservation, &r.swap})
    if (*v && **v < -1) {
      const char* name = v == &r.limit ? "limit" : v == &r.reservation ? "reservation" : "swap";
      m[name].fail("must be -1 (no limit) or a number of bytes, not " + std::to_string(**v));
    }
  out = r;
}

void parse_cpu(const JsonField& c, std::optional<CpuResources>& out) {
  if (!c.is_object()) return;
  CpuResources r;
  c["shares"].get(r.shares);
  c["quota"].get(r.quota);
  c["burst"].get(r.burst);
  c["period"].get(r.period);
  c["realtimeRuntime"].get(r.realtime_runtime);
  c["realtimePeriod"].get(r.realtime_period);
  c["cpus"].get(r.cpus);
  c["mems"].get(r.mems);
  c["idle"].get(r.idle);
  out = r;
}

// [{major, minor, weight?, leafWeight?}] or [{major, minor, rate}].
void parse_block_devices(const JsonField& list, bool throttle, std::vector<BlockIoDevice>& out) {
  for (const JsonField& d : list.elements()) {
    if (!d.is_object()) return;
    BlockIoDevice dev;
    d["major"].need(dev.major);
    d["minor"].need(dev.minor);
    if (throttle) {
      d["rate"].need(dev.rate);
    } else {
      d["weight"].get(dev.weight);
      d["leafWeight"].get(dev.leaf_weight);
    }
    out.push_back(dev);
  }
}

void parse_block_io(const JsonField& b, std::optional<BlockIoResources>& out) {
  if (!b.is_object()) return;
  BlockIoResources r;
  b["weight"].get(r.weight);
  b["leafWeight"].get(r.leaf_weight);
  parse_block_devices(b["weightDevice"], false, r.weight_device);
  parse_block_devices(b["throttleReadBpsDevice"], true, r.throttle_read_bps);
  parse_block_devices(b["throttleWriteBpsDevice"], true, r.throttle_write_bps);
  parse_block_devices(b["throttleReadIOPSDevice"], true, r.throttle_read_iops);
  parse_block_devices(b["throttleWriteIOPSDevice"], true, r.throttle_write_iops);
  out = r;
}

void parse_resources(const JsonField& res, Linux& linux) {
  if (!res.is_object()) return;
  Resources& r = linux.resources;
  parse_device_rules(res["devices"], linux.device_rules);
  parse_memory(res["memory"], r.memory);
  parse_cpu(res["cpu"], r.cpu);
  if (JsonField pids = res["pids"]; pids.is_object()) pids["limit"].need(r.pids_limit.emplace());
  parse_block_io(res["blockIO"], r.block_io);
  for (const JsonField& h : res["hugepageLimits"].elements()) {
    HugepageLimit l;
    h["pageSize"].need(l.page_size);
    h["limit"].need(l.limit);
    if (!l.page_size.empty() && l.page_size.find_first_of("/.") != std::string::npos)
      h["pageSize"].fail("`" + l.page_size + "` is not a page size such as 2MB");
    r.hugepage_limits.push_back(l);
  }
  if (JsonField net = res["network"]; net.is_object()) {
    NetworkResources n;
    net["classID"].get(n.class_id);
    for (const JsonField& p : net["priorities"].elements()) {
      std::pair<std::string, uint32_t> prio;
      p["name"].need(prio.first);
      p["priority"].need(prio.second);
      n.priorities.push_back(prio);
    }
    r.network = n;
  }
  for (const auto& [device, limit] : res["rdma"].members()) {
    RdmaLimit l;
    limit["hcaHandles"].get(l.hca_handles);
    limit["hcaObjects"].get(l.hca_objects);
    r.rdma[device] = l;
  }
  res["unified"].get(r.unified);
  for (const auto& [key, value] : r.unified)
    if (key.empty() || key.find('/') != std::string::npos || key == "." || key == "..")
      res["unified"].fail("`" + key + "` is not a cgroup file name");
}

bool valid_sysctl_key(const std::string& k) {
  if (k.empty() || k.front() == '.' || k.back() == '.') return false;
  for (char c : k)
    if (c == '/' || c == ' ') return false;
  return k.find("..") == std::string::npos;
}

void parse_seccomp(const JsonField& sc, std::optional<Seccomp>& out) {
  if (!sc.is_object()) return;
  Seccomp s;
  JsonField def = sc["defaultAction"];
  if (def.need(s.default_action) && !is_seccomp_action(s.default_action))
    def.fail("unknown action `" + s.default_action + "`");
  sc["defaultErrnoRet"].get(s.default_errno_ret);
  sc["architectures"].get(s.architectures);
  for (size_t i = 0; i < s.architectures.size(); ++i)
    if (!is_seccomp_arch(s.architectures[i]))
      sc["architectures"][i].fail("unknown architecture `" + s.architectures[i] + "`");
  sc["flags"].get(s.flags);
  for (size_t i = 0; i < s.flags.size(); ++i)
    if (!listed(kSeccompFlags, s.flags[i]))
      sc["flags"][i].fail(
          "flag `" + s.flags[i] +
          "` is not supported (SECCOMP_FILTER_FLAG_TSYNC, _LOG and _SPEC_ALLOW are)");
  sc["listenerPath"].get(s.listener_path);
  sc["listenerMetadata"].get(s.listener_metadata);
  for (const JsonField& r : sc["syscalls"].elements()) {
    if (!r.is_object()) return;
    SeccompRule rule;
    r["names"].need(rule.names);
    if (r["names"].present() && rule.names.empty()) r["names"].fail("must name a system call");
    JsonField action = r["action"];
    if (action.need(rule.action) && !is_seccomp_action(rule.action))
      action.fail("unknown action `" + rule.action + "`");
    r["errnoRet"].get(rule.errno_ret);
    for (const JsonField& a : r["args"].elements()) {
      if (!a.is_object()) return;
      SeccompArg arg;
      if (a["index"].need(arg.index) && arg.index > 5)
        a["index"].fail("must be 0 to 5, not " + std::to_string(arg.index));
      a["value"].need(arg.value);
      a["valueTwo"].get(arg.value_two);
      if (a["op"].need(arg.op) && !is_seccomp_operator(arg.op))
        a["op"].fail("unknown operator `" + arg.op + "`");
      rule.args.push_back(arg);
    }
    s.syscalls.push_back(std::move(rule));
  }
  bool notify = s.default_action == "SCMP_ACT_NOTIFY";
  for (const auto& r : s.syscalls) notify = notify || r.action == "SCMP_ACT_NOTIFY";
  if (notify && s.listener_path.empty())
    sc["listenerPath"].fail("is required when an action is SCMP_ACT_NOTIFY");
  if (!notify && !s.listener_path.empty())
    sc["listenerPath"].fail("is set but no action is SCMP_ACT_NOTIFY");
  out = std::move(s);
}

void parse_hook_list(const JsonField& list, std::vector<Hook>& out) {
  for (const JsonField& h : list.elements()) {
    if (!h.is_object()) return;
    Hook hook;
    if (h["path"].need(hook.path) && (hook.path.empty() || hook.path[0] != '/'))
      h["path"].fail("`" + hook.path + "` is not an absolute path");
    h["args"].get(hook.args);
    h["env"].get(hook.env);
    if (h["timeout"].get(hook.timeout) && *hook.timeout <= 0)
      h["timeout"].fail("must be a positive number of seconds, not " +
                        std::to_string(*hook.timeout));
    out.push_back(std::move(hook));
  }
}

}  // namespace

void read_hooks(const JsonField& hooks, Hooks& out) {
  if (!hooks.is_object()) return;
  for (const auto& [name, list] : kHookLists) parse_hook_list(hooks[name], out.*list);
}

std::string hooks_json(const Hooks& hooks) {
  base::Json j = base::Json::object();
  auto list = [](const std::vector<Hook>& hs) {
    base::Json a = base::Json::array();
    for (const auto& h : hs) {
      base::Json o = {{"path", h.path}};
      if (!h.args.empty()) o["args"] = h.args;
      if (!h.env.empty()) o["env"] = h.env;
      if (h.timeout) o["timeout"] = *h.timeout;
      a.push_back(std::move(o));
    }
    return a;
  };
  for (const auto& [name, member] : kHookLists)
    if (!(hooks.*member).empty()) j[name] = list(hooks.*member);
  return j.dump();
}

namespace {

void parse_namespaces(const JsonField& nss, Linux& linux) {
  for (const JsonField& n : nss.elements()) {
    if (!n.is_object()) return;
    JsonField type_field = n["type"];
    std::string type;
    type_field.get(type);
    std::optional<NsType> t;
    for (int i = 0; i < kNsTypeCount; ++i)
      if (type == ns_config_name(static_cast<NsType>(i))) t = static_cast<NsType>(i);
    if (!t) {
      type_field.fail("unknown namespace type `" + type + "`");
      return;
    }
    if (linux.find_ns(*t)) {
      type_field.fail("namespace `" + type + "` is listed twice");
      return;
    }
    Namespace nsp{*t, ""};
    n["path"].get(nsp.path);
    if (!nsp.path.empty() && nsp.path[0] != '/')
      n["path"].fail("`" + nsp.path + "` is not an absolute path");
    linux.namespaces.push_back(nsp);
  }
}

void parse_id_mappings(const JsonField& ms, std::vector<IdMapping>& out) {
  for (const JsonField& m : ms.elements()) {
    if (!m.is_object()) return;
    IdMapping im;
    m["containerID"].need(im.container_id);
    m["hostID"].need(im.host_id);
    m["size"].need(im.size);
    if (im.size == 0) m["size"].fail("must be at least 1");
    // The last id of each range must fit in 32 bits and not be 4294967295 (the kernel's "none").
    else if (uint64_t{im.container_id} + im.size > 0xffffffffULL)
      m["size"].fail("the range from containerID " + std::to_string(im.container_id) +
                     " does not fit in 32-bit ids");
    else if (uint64_t{im.host_id} + im.size > 0xffffffffULL)
      m["size"].fail("the range from hostID " + std::to_string(im.host_id) +
                     " does not fit in 32-bit ids");
    out.push_back(im);
  }
  // The kernel takes at most 340 lines per map.
  if (out.size() > 340) ms.fail("has " + std::to_string(out.size()) + " ranges; at most 340");
}

void parse_devices(const JsonField& ds, std::vector<Device>& devices) {
  for (const JsonField& d : ds.elements()) {
    if (!d.is_object()) return;
    Device dev;
    d["path"].get(dev.path);
    if (dev.path.empty() || dev.path[0] != '/') {
      d["path"].fail("`" + dev.path + "` is not an absolute path");
      return;
    }
    std::string type;
    d["type"].get(type);
    if (type != "c" && type != "b" && type != "u" && type != "p") {
      d["type"].fail("`" + type + "` is not one of c, b, u, p");
      return;
    }
    dev.type = type[0] == 'u' ? 'c' : type[0];
    if (dev.type != 'p') {
      d["major"].need(dev.major);
      d["minor"].need(dev.minor);
    } else {
      d["major"].get(dev.major);
      d["minor"].get(dev.minor);
    }
    d["fileMode"].get(dev.file_mode);
    d["uid"].get(dev.uid);
    d["gid"].get(dev.gid);
    devices.push_back(dev);
  }
}

void parse_linux(const JsonField& lx, Linux& linux) {
  if (!lx.is_object()) return;
  parse_namespaces(lx["namespaces"], linux);
  parse_devices(lx["devices"], linux.devices);
  JsonField cgroups_path = lx["cgroupsPath"];
  if (cgroups_path.get(linux.cgroups_path) && linux.cgroups_path.find("..") != std::string::npos)
    cgroups_path.fail("`" + linux.cgroups_path + "` must not contain `..`");
  parse_resources(lx["resources"], linux);
  lx["sysctl"].get(linux.sysctl);
  for (const auto& [k, v] : linux.sysctl)
    if (!valid_sysctl_key(k)) lx["sysctl"].fail("invalid key `" + k + "`");
  lx["maskedPaths"].get(linux.masked_paths);
  lx["readonlyPaths"].get(linux.readonly_paths);
  for (const auto& p : linux.masked_paths)
    if (p.empty() || p[0] != '/') lx["maskedPaths"].fail("`" + p + "` is not an absolute path");
  for (const auto& p : linux.readonly_paths)
    if (p.empty() || p[0] != '/') lx["readonlyPaths"].fail("`" + p + "` is not an absolute path");
  if (lx["rootfsPropagation"].get(linux.rootfs_propagation) && !linux.rootfs_propagation.empty()) {
    static const char* kProps[] = {"private", "rprivate", "slave",      "rslave",
                                   "shared",  "rshared",  "unbindable", "runbindable"};
    bool okp = false;
    for (const char* p : kProps) okp = okp || linux.rootfs_propagation == p;
    if (!okp)
      lx["rootfsPropagation"].fail("unknown propagation `" + linux.rootfs_propagation + "`");
  }
  parse_id_mappings(lx["uidMappings"], linux.uid_mappings);
  parse_id_mappings(lx["gidMappings"], linux.gid_mappings);
  parse_seccomp(lx["seccomp"], linux.seccomp);
  if (JsonField per = lx["personality"]; per.is_object()) {
    static const std::pair<const char*, unsigned long> kDomains[] = {{"LINUX", 0x0000},
                                                                     {"LINUX32", 0x0008}};
    std::string domain;
    unsigned long d = 0;
    if (per["domain"].need(domain) && lookup_name(per["domain"], domain, kDomains, d))
      linux.personality = d;
    std::vector<std::string> flags;
    if (per["flags"].get(flags) && !flags.empty())
      per["flags"][0].fail("`" + flags[0] + "`: the runtime-spec defines no personality flags");
  }
  reject_unsupported(lx["mountLabel"], "SELinux");
  reject_unsupported(lx["intelRdt"], "Intel RDT");
  for (const auto& [clock, off] : lx["timeOffsets"].members()) {
    if (clock != "monotonic" && clock != "boottime") {
      lx["timeOffsets"].fail("`" + clock + "` is not a clock with an offset (monotonic, boottime)");
      break;
    }
    TimeOffset t;
    off["secs"].get(t.secs);
    if (off["nanosecs"].get(t.nanosecs) && t.nanosecs >= 1000000000)
      off["nanosecs"].fail("must be below 1000000000");
    linux.time_offsets[clock] = t;
  }
  reject_unsupported(lx["memoryPolicy"], "memory policy");
}

// Rules across fields, checked once every field has been read.
void check_consistency(const Config& c, const JsonField& root) {
  if (!c.linux.time_offsets.empty()) {
    const Namespace* t = c.linux.find_ns(NsType::time);
    if (!t)
      root["linux"]["timeOffsets"].fail("is set but there is no `time` namespace");
    else if (!t->path.empty())
      root["linux"]["timeOffsets"].fail("apply to a new `time` namespace, not one joined by path");
  }
  // As runc: mappings need a user namespace; a new one needs both maps.
  const Namespace* user = c.linux.find_ns(NsType::user);
  if (!user) {
    if (!c.linux.uid_mappings.empty())
      root["linux"]["uidMappings"].fail("is set but there is no `user` namespace");
    if (!c.linux.gid_mappings.empty())
      root["linux"]["gidMappings"].fail("is set but there is no `user` namespace");
  } else if (user->path.empty()) {
    if (c.linux.uid_mappings.empty())
      root["linux"]["uidMappings"].fail("is required for a new `user` namespace");
    if (c.linux.gid_mappings.empty())
      root["linux"]["gidMappings"].fail("is required for a new `user` namespace");
  }
  // As runc: a UTS namespace of the container's own, new or joined by path.
  if (!c.linux.find_ns(NsType::uts)) {
    if (!c.hostname.empty()) root["hostname"].fail("setting it needs a `uts` namespace");
    if (!c.domainname.empty()) root["domainname"].fail("setting it needs a `uts` namespace");
  }
  // Ambient capabilities that are not both permitted and inheritable cannot be raised; runc and
  // crun skip them with a warning (Debian's `runc spec` writes such a config), and so does the
  // create (kernel::unraisable_capabilities).
}

}  // namespace

std::span<const char* const> seccomp_action_names() {
  return kSeccompActions;
}
std::span<const char* const> seccomp_operator_names() {
  return kSeccompOperators;
}
std::span<const char* const> seccomp_arch_names() {
  return kSeccompArchs;
}
std::span<const char* const> seccomp_flag_names() {
  return kSeccompFlags;
}
std::vector<const char*> hook_names() {
  std::vector<const char*> names;
  for (const auto& [name, list] : kHookLists) names.push_back(name);
  return names;
}

bool is_seccomp_action(std::string_view name) {
  return listed(kSeccompActions, name);
}

bool is_seccomp_operator(std::string_view name) {
  return listed(kSeccompOperators, name);
}

bool is_seccomp_arch(std::string_view name) {
  return listed(kSeccompArchs, name);
}

int capability_from_name(std::string_view name) {
  for (int i = 0; i <= kLastCapability; ++i)
    if (name == kCapNames[i]) return i;
  return -1;
}

const char* capability_name(int cap) {
  return cap >= 0 && cap <= kLastCapability ? kCapNames[cap] : "CAP_UNKNOWN";
}

Result<Config> parse_config(std::string_view text, std::string_view what) {
  ASSIGN_OR_RETURN(base::Json doc, base::parse_json(text, what));
  if (!doc.is_object()) return base::invalid("`" + std::string(what) + "` is not a JSON object");
  Config c;
  base::JsonReader reader(doc, std::string(what));
  JsonField root = reader.root();
  auto parse = [&]() -> Status {
    JsonField version = root["ociVersion"];
    if (version.need(c.oci_version) && c.oci_version.empty()) version.fail("is required");
    if (!c.oci_version.empty() && c.oci_version[0] != '1')
      version.fail("version `" + c.oci_version + "` is not supported (1.x is)");
    JsonField r = root["root"];
    if (r.require() && r.is_object()) {
      if (r["path"].need(c.root_path) && c.root_path.empty()) r["path"].fail("is required");
      r["readonly"].get(c.root_readonly);
    }
    if (root["process"].require()) parse_process(root["process"], c.process);
    root["hostname"].get(c.hostname);
    root["domainname"].get(c.domainname);
    parse_mounts(root["mounts"], c.mounts);
    parse_linux(root["linux"], c.linux);
    root["annotations"].get(c.annotations);
    read_hooks(root["hooks"], c.hooks);
    if (reader.ok()) check_consistency(c, root);
    return reader.status();
  };
  Status s = parse();
  if (!s.ok()) return std::move(s).error().wrap(what);
  return c;
}

Result<Resources> parse_resources_json(std::string_view text, std::string_view what,
                                       std::vector<DeviceRule>* device_rules) {
  ASSIGN_OR_RETURN(base::Json doc, base::parse_json(text, what));
  Linux linux;
  // Paths as in config.json (`linux.resources.memory.limit`).
  base::JsonReader reader(doc, std::string(what), "linux.resources");
  if (!doc.is_object()) reader.root().wrong_type("an object");
  parse_resources(reader.root(), linux);
  Status s = reader.status();
  if (!s.ok()) return std::move(s).error().wrap(what);
  if (device_rules) *device_rules = std::move(linux.device_rules);
  return std::move(linux.resources);
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  const std::string key = kv.substr(0, kv.find('='));
  std::erase_if(env, [&](const std::string& x) {
    return x.compare(0, key.size(), key) == 0 && (x.size() == key.size() || x[key.size()] == '=');
  });
  env.push_back(kv);
}

Result<Process> parse_process_json(std::string_view text, std::string_view what) {
  ASSIGN_OR_RETURN(base::Json doc, base::parse_json(text, what));
  Process p;
  // Paths as in config.json (`process.args`), which this object is a part of.
  base::JsonReader reader(doc, std::string(what), "process");
  if (!doc.is_object()) reader.root().wrong_type("an object");
  parse_process(reader.root(), p);
  Status s = reader.status();
  if (!s.ok()) return std::move(s).error().wrap(what);
  return p;
}

}  // namespace oci
