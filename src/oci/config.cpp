#include "oci/config.h"

#include <sched.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

namespace oci {

using base::Error;
using base::Result;
using base::Status;
using json = nlohmann::json;

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
  static const char* names[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
  return names[static_cast<int>(t)];
}

const char* ns_proc_name(NsType t) {
  static const char* names[] = {"pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"};
  return names[static_cast<int>(t)];
}

const Namespace* Linux::find_ns(NsType t) const {
  for (const auto& n : namespaces)
    if (n.type == t) return &n;
  return nullptr;
}

namespace {

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

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unusable value";
  }
}

Error field_error(const std::string& path, const std::string& what) {
  return base::invalid("`" + path + "`: " + what);
}

Error wrong_type(const std::string& path, const char* want, const json& got) {
  return field_error(path, std::string("expected ") + want + ", got " + type_name(got));
}

// Looks up key in object `o`; nullptr when absent or null.
const json* member(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return nullptr;
  return &*it;
}

Status get_string(const json& o, const char* key, const std::string& path, std::string& out) {
  const json* v = member(o, key);
  if (!v) return base::ok();
  if (!v->is_string()) return wrong_type(path, "a string", *v);
  out = v->get<std::string>();
  return base::ok();
}

Status get_bool(const json& o, const char* key, const std::string& path, bool& out) {
  const json* v = member(o, key);
  if (!v) return base::ok();
  if (!v->is_boolean()) return wrong_type(path, "a boolean", *v);
  out = v->get<bool>();
  return base::ok();
}

template <class Int>
Status as_int(const json& v, const std::string& path, Int& out) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<Int>::max()))
      return field_error(path, "value " + std::to_string(u) + " is out of range");
    out = static_cast<Int>(u);
    return base::ok();
  }
  if (v.is_number_integer()) {
    int64_t s = v.get<int64_t>();
    if (s < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
        (s > 0 &&
         static_cast<uint64_t>(s) > static_cast<uint64_t>(std::numeric_limits<Int>::max())))
      return field_error(path, "value " + std::to_string(s) + " is out of range");
    out = static_cast<Int>(s);
    return base::ok();
  }
  return wrong_type(path, "an integer", v);
}

template <class Int>
Status get_int(const json& o, const char* key, const std::string& path, Int& out) {
  const json* v = member(o, key);
  if (!v) return base::ok();
  return as_int(*v, path, out);
}

template <class Int>
Status get_opt_int(const json& o, const char* key, const std::string& path,
                   std::optional<Int>& out) {
  const json* v = member(o, key);
  if (!v) return base::ok();
  Int x{};
  TRY(as_int(*v, path, x));
  out = x;
  return base::ok();
}

Status get_strings(const json& o, const char* key, const std::string& path,
                   std::vector<std::string>& out) {
  const json* v = member(o, key);
  if (!v) return base::ok();
  if (!v->is_array()) return wrong_type(path, "an array of strings", *v);
  out.clear();
  for (size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    if (!e.is_string()) return wrong_type(path + "[" + std::to_string(i) + "]", "a string", e);
    out.push_back(e.get<std::string>());
  }
  return base::ok();
}

Status get_string_map(const json& o, const char* key, const std::string& path,
                      std::map<std::string, std::string>& out) {
  const json* v = member(o, key);
  if (!v) return base::ok();
  if (!v->is_object()) return wrong_type(path, "an object of strings", *v);
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) return wrong_type(path + "." + it.key(), "a string", it.value());
    out[it.key()] = it.value().get<std::string>();
  }
  return base::ok();
}

Status require_object(const json* v, const std::string& path) {
  if (v && !v->is_object()) return wrong_type(path, "an object", *v);
  return base::ok();
}

// A field that rune does not implement yet: an error, never silently ignored.
Status reject_unsupported(const json& o, const char* key, const std::string& path,
                          const char* feature) {
  const json* v = member(o, key);
  if (!v) return base::ok();
  if ((v->is_object() || v->is_array()) && v->empty()) return base::ok();
  return field_error(path, std::string(feature) + " is not supported by this version of rune");
}

Status parse_capabilities(const json& v, const std::string& path, Capabilities& caps) {
  TRY(require_object(&v, path));
  struct Set {
    const char* key;
    uint64_t* mask;
  } sets[] = {{"bounding", &caps.bounding},
              {"effective", &caps.effective},
              {"inheritable", &caps.inheritable},
              {"permitted", &caps.permitted},
              {"ambient", &caps.ambient}};
  for (auto& s : sets) {
    std::vector<std::string> names;
    std::string p = path + "." + s.key;
    TRY(get_strings(v, s.key, p, names));
    for (size_t i = 0; i < names.size(); ++i) {
      int c = capability_from_name(names[i]);
      if (c < 0)
        return field_error(p + "[" + std::to_string(i) + "]",
                           "unknown capability `" + names[i] + "`");
      *s.mask |= uint64_t{1} << c;
    }
  }
  return base::ok();
}

Status parse_process(const json& p, Process& proc) {
  TRY(require_object(&p, "process"));
  TRY(get_bool(p, "terminal", "process.terminal", proc.terminal));
  if (proc.terminal)
    return field_error("process.terminal",
                       "terminals are not supported by this version of rune; set it to false");
  if (const json* u = member(p, "user")) {
    TRY(require_object(u, "process.user"));
    TRY(get_int(*u, "uid", "process.user.uid", proc.user.uid));
    TRY(get_int(*u, "gid", "process.user.gid", proc.user.gid));
    TRY(get_opt_int(*u, "umask", "process.user.umask", proc.user.umask));
    if (proc.user.umask && *proc.user.umask > 0777)
      return field_error("process.user.umask", "must be at most 0777");
    if (const json* g = member(*u, "additionalGids")) {
      if (!g->is_array()) return wrong_type("process.user.additionalGids", "an array", *g);
      for (size_t i = 0; i < g->size(); ++i) {
        uint32_t gid;
        TRY(as_int((*g)[i], "process.user.additionalGids[" + std::to_string(i) + "]", gid));
        proc.user.additional_gids.push_back(gid);
      }
    }
    std::string username;
    TRY(get_string(*u, "username", "process.user.username", username));  // Windows only
  }
  TRY(get_strings(p, "args", "process.args", proc.args));
  if (proc.args.empty()) return field_error("process.args", "must name the program to run");
  if (proc.args[0].empty()) return field_error("process.args[0]", "is empty");
  TRY(get_strings(p, "env", "process.env", proc.env));
  for (size_t i = 0; i < proc.env.size(); ++i)
    if (proc.env[i].find('=') == std::string::npos || proc.env[i][0] == '=')
      return field_error("process.env[" + std::to_string(i) + "]",
                         "`" + proc.env[i] + "` is not of the form NAME=value");
  proc.cwd.clear();
  TRY(get_string(p, "cwd", "process.cwd", proc.cwd));
  if (proc.cwd.empty()) return field_error("process.cwd", "is required");
  if (proc.cwd[0] != '/')
    return field_error("process.cwd", "`" + proc.cwd + "` is not an absolute path");
  if (const json* c = member(p, "capabilities")) {
    Capabilities caps;
    TRY(parse_capabilities(*c, "process.capabilities", caps));
    proc.capabilities = caps;
  }
  if (const json* r = member(p, "rlimits")) {
    if (!r->is_array()) return wrong_type("process.rlimits", "an array", *r);
    for (size_t i = 0; i < r->size(); ++i) {
      std::string path = "process.rlimits[" + std::to_string(i) + "]";
      const json& e = (*r)[i];
      TRY(require_object(&e, path));
      Rlimit rl;
      TRY(get_string(e, "type", path + ".type", rl.type));
      rl.resource = -1;
      for (const auto& n : kRlimits)
        if (rl.type == n.name) rl.resource = n.resource;
      if (rl.resource < 0) return field_error(path + ".type", "unknown rlimit `" + rl.type + "`");
      TRY(get_int(e, "soft", path + ".soft", rl.soft));
      TRY(get_int(e, "hard", path + ".hard", rl.hard));
      if (rl.soft > rl.hard)
        return field_error(path, "soft limit " + std::to_string(rl.soft) +
                                     " is above the hard limit " + std::to_string(rl.hard));
      for (const auto& prev : proc.rlimits)
        if (prev.resource == rl.resource)
          return field_error(path + ".type", "`" + rl.type + "` is given twice");
      proc.rlimits.push_back(rl);
    }
  }
  TRY(get_bool(p, "noNewPrivileges", "process.noNewPrivileges", proc.no_new_privileges));
  TRY(get_opt_int(p, "oomScoreAdj", "process.oomScoreAdj", proc.oom_score_adj));
  if (proc.oom_score_adj && (*proc.oom_score_adj < -1000 || *proc.oom_score_adj > 1000))
    return field_error("process.oomScoreAdj", "must be between -1000 and 1000");
  TRY(reject_unsupported(p, "apparmorProfile", "process.apparmorProfile", "AppArmor"));
  TRY(reject_unsupported(p, "selinuxLabel", "process.selinuxLabel", "SELinux"));
  TRY(reject_unsupported(p, "scheduler", "process.scheduler", "scheduling policy"));
  TRY(reject_unsupported(p, "ioPriority", "process.ioPriority", "I/O priority"));
  TRY(reject_unsupported(p, "execCPUAffinity", "process.execCPUAffinity", "CPU affinity"));
  return base::ok();
}

Status parse_mounts(const json& root, std::vector<Mount>& mounts) {
  const json* ms = member(root, "mounts");
  if (!ms) return base::ok();
  if (!ms->is_array()) return wrong_type("mounts", "an array", *ms);
  for (size_t i = 0; i < ms->size(); ++i) {
    std::string path = "mounts[" + std::to_string(i) + "]";
    const json& m = (*ms)[i];
    TRY(require_object(&m, path));
    Mount mt;
    TRY(get_string(m, "destination", path + ".destination", mt.destination));
    if (mt.destination.empty()) return field_error(path + ".destination", "is required");
    TRY(get_string(m, "type", path + ".type", mt.type));
    TRY(get_string(m, "source", path + ".source", mt.source));
    TRY(get_strings(m, "options", path + ".options", mt.options));
    bool bind = mt.type == "bind";
    for (const auto& o : mt.options) bind = bind || o == "bind" || o == "rbind";
    if (mt.type.empty() && !bind)
      return field_error(path + ".type", "is required unless the options say bind or rbind");
    if (bind && mt.source.empty())
      return field_error(path + ".source", "a bind mount needs a source");
    if (const json* u = member(m, "uidMappings"); u && !u->empty())
      return field_error(path + ".uidMappings",
                         "idmapped mounts are not supported by this version of rune");
    if (const json* g = member(m, "gidMappings"); g && !g->empty())
      return field_error(path + ".gidMappings",
                         "idmapped mounts are not supported by this version of rune");
    mounts.push_back(std::move(mt));
  }
  return base::ok();
}

Status parse_device_rules(const json& res, std::vector<DeviceRule>& rules) {
  const json* ds = member(res, "devices");
  if (!ds) return base::ok();
  if (!ds->is_array()) return wrong_type("linux.resources.devices", "an array", *ds);
  for (size_t i = 0; i < ds->size(); ++i) {
    std::string path = "linux.resources.devices[" + std::to_string(i) + "]";
    const json& d = (*ds)[i];
    TRY(require_object(&d, path));
    DeviceRule r;
    const json* allow = member(d, "allow");
    if (!allow) return field_error(path + ".allow", "is required");
    TRY(get_bool(d, "allow", path + ".allow", r.allow));
    std::string type = "a";
    TRY(get_string(d, "type", path + ".type", type));
    if (type != "a" && type != "b" && type != "c")
      return field_error(path + ".type", "`" + type + "` is not one of a, b, c");
    r.type = type[0];
    TRY(get_opt_int(d, "major", path + ".major", r.major));
    TRY(get_opt_int(d, "minor", path + ".minor", r.minor));
    if (r.major && *r.major < 0) r.major.reset();  // -1 means any, as runc treats it
    if (r.minor && *r.minor < 0) r.minor.reset();
    TRY(get_string(d, "access", path + ".access", r.access));
    if (r.access.empty()) r.access = "rwm";
    for (char c : r.access)
      if (c != 'r' && c != 'w' && c != 'm')
        return field_error(path + ".access", "`" + r.access + "` may contain only r, w and m");
    rules.push_back(r);
  }
  return base::ok();
}

Status parse_resources(const json& lx, Linux& linux) {
  const json* res = member(lx, "resources");
  if (!res) return base::ok();
  TRY(require_object(res, "linux.resources"));
  TRY(parse_device_rules(*res, linux.device_rules));
  for (const char* k :
       {"memory", "cpu", "pids", "blockIO", "hugepageLimits", "network", "rdma", "unified"}) {
    TRY(reject_unsupported(*res, k, std::string("linux.resources.") + k, "this resource limit"));
  }
  return base::ok();
}

bool valid_sysctl_key(const std::string& k) {
  if (k.empty() || k.front() == '.' || k.back() == '.') return false;
  for (char c : k)
    if (c == '/' || c == ' ') return false;
  return k.find("..") == std::string::npos;
}

Status parse_linux(const json& root, Linux& linux) {
  const json* lx = member(root, "linux");
  if (!lx) return base::ok();
  TRY(require_object(lx, "linux"));
  if (const json* ns = member(*lx, "namespaces")) {
    if (!ns->is_array()) return wrong_type("linux.namespaces", "an array", *ns);
    for (size_t i = 0; i < ns->size(); ++i) {
      std::string path = "linux.namespaces[" + std::to_string(i) + "]";
      const json& n = (*ns)[i];
      TRY(require_object(&n, path));
      std::string type;
      TRY(get_string(n, "type", path + ".type", type));
      static const std::pair<const char*, NsType> kTypes[] = {
          {"pid", NsType::pid},       {"network", NsType::network}, {"mount", NsType::mount},
          {"ipc", NsType::ipc},       {"uts", NsType::uts},         {"user", NsType::user},
          {"cgroup", NsType::cgroup}, {"time", NsType::time}};
      std::optional<NsType> t;
      for (const auto& [name, v] : kTypes)
        if (type == name) t = v;
      if (!t) return field_error(path + ".type", "unknown namespace type `" + type + "`");
      if (*t == NsType::user)
        return field_error(path + ".type",
                           "user namespaces are not supported by this version of rune");
      if (*t == NsType::time)
        return field_error(path + ".type",
                           "time namespaces are not supported by this version of rune");
      if (linux.find_ns(*t))
        return field_error(path + ".type", "namespace `" + type + "` is listed twice");
      Namespace nsp{*t, ""};
      TRY(get_string(n, "path", path + ".path", nsp.path));
      if (!nsp.path.empty() && nsp.path[0] != '/')
        return field_error(path + ".path", "`" + nsp.path + "` is not an absolute path");
      linux.namespaces.push_back(nsp);
    }
  }
  if (const json* ds = member(*lx, "devices")) {
    if (!ds->is_array()) return wrong_type("linux.devices", "an array", *ds);
    for (size_t i = 0; i < ds->size(); ++i) {
      std::string path = "linux.devices[" + std::to_string(i) + "]";
      const json& d = (*ds)[i];
      TRY(require_object(&d, path));
      Device dev;
      TRY(get_string(d, "path", path + ".path", dev.path));
      if (dev.path.empty() || dev.path[0] != '/')
        return field_error(path + ".path", "`" + dev.path + "` is not an absolute path");
      std::string type;
      TRY(get_string(d, "type", path + ".type", type));
      if (type != "c" && type != "b" && type != "u" && type != "p")
        return field_error(path + ".type", "`" + type + "` is not one of c, b, u, p");
      dev.type = type[0] == 'u' ? 'c' : type[0];
      if (dev.type != 'p') {
        if (!member(d, "major")) return field_error(path + ".major", "is required");
        if (!member(d, "minor")) return field_error(path + ".minor", "is required");
      }
      TRY(get_int(d, "major", path + ".major", dev.major));
      TRY(get_int(d, "minor", path + ".minor", dev.minor));
      TRY(get_opt_int(d, "fileMode", path + ".fileMode", dev.file_mode));
      TRY(get_opt_int(d, "uid", path + ".uid", dev.uid));
      TRY(get_opt_int(d, "gid", path + ".gid", dev.gid));
      linux.devices.push_back(dev);
    }
  }
  TRY(get_string(*lx, "cgroupsPath", "linux.cgroupsPath", linux.cgroups_path));
  if (linux.cgroups_path.find("..") != std::string::npos)
    return field_error("linux.cgroupsPath", "`" + linux.cgroups_path + "` must not contain `..`");
  TRY(parse_resources(*lx, linux));
  TRY(get_string_map(*lx, "sysctl", "linux.sysctl", linux.sysctl));
  for (const auto& [k, v] : linux.sysctl)
    if (!valid_sysctl_key(k)) return field_error("linux.sysctl", "invalid key `" + k + "`");
  TRY(get_strings(*lx, "maskedPaths", "linux.maskedPaths", linux.masked_paths));
  TRY(get_strings(*lx, "readonlyPaths", "linux.readonlyPaths", linux.readonly_paths));
  for (const auto& p : linux.masked_paths)
    if (p.empty() || p[0] != '/')
      return field_error("linux.maskedPaths", "`" + p + "` is not an absolute path");
  for (const auto& p : linux.readonly_paths)
    if (p.empty() || p[0] != '/')
      return field_error("linux.readonlyPaths", "`" + p + "` is not an absolute path");
  TRY(get_string(*lx, "rootfsPropagation", "linux.rootfsPropagation", linux.rootfs_propagation));
  if (!linux.rootfs_propagation.empty()) {
    static const char* kProps[] = {"private", "rprivate", "slave",      "rslave",
                                   "shared",  "rshared",  "unbindable", "runbindable"};
    bool okp = false;
    for (const char* p : kProps) okp = okp || linux.rootfs_propagation == p;
    if (!okp)
      return field_error("linux.rootfsPropagation",
                         "unknown propagation `" + linux.rootfs_propagation + "`");
  }
  TRY(reject_unsupported(*lx, "uidMappings", "linux.uidMappings", "user namespace mapping"));
  TRY(reject_unsupported(*lx, "gidMappings", "linux.gidMappings", "user namespace mapping"));
  TRY(reject_unsupported(*lx, "seccomp", "linux.seccomp", "seccomp"));
  TRY(reject_unsupported(*lx, "personality", "linux.personality", "personality"));
  TRY(reject_unsupported(*lx, "mountLabel", "linux.mountLabel", "SELinux"));
  TRY(reject_unsupported(*lx, "intelRdt", "linux.intelRdt", "Intel RDT"));
  TRY(reject_unsupported(*lx, "timeOffsets", "linux.timeOffsets", "time namespace offsets"));
  TRY(reject_unsupported(*lx, "memoryPolicy", "linux.memoryPolicy", "memory policy"));
  return base::ok();
}

Status check_consistency(const Config& c) {
  if (!c.linux.find_ns(NsType::mount))
    return field_error("linux.namespaces", "a `mount` namespace is required");
  if (!c.hostname.empty()) {
    const Namespace* uts = c.linux.find_ns(NsType::uts);
    if (!uts || !uts->path.empty())
      return field_error("hostname", "setting it needs a new `uts` namespace");
  }
  if (!c.domainname.empty()) {
    const Namespace* uts = c.linux.find_ns(NsType::uts);
    if (!uts || !uts->path.empty())
      return field_error("domainname", "setting it needs a new `uts` namespace");
  }
  if (c.process.capabilities) {
    const auto& k = *c.process.capabilities;
    if (k.ambient & ~(k.permitted & k.inheritable))
      return field_error("process.capabilities.ambient",
                         "every ambient capability must also be permitted and inheritable");
  }
  return base::ok();
}

}  // namespace

int capability_from_name(std::string_view name) {
  for (int i = 0; i <= kLastCapability; ++i)
    if (name == kCapNames[i]) return i;
  return -1;
}

const char* capability_name(int cap) {
  return cap >= 0 && cap <= kLastCapability ? kCapNames[cap] : "CAP_UNKNOWN";
}

Result<Config> parse_config(std::string_view text, std::string_view what) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return base::invalid("`" + std::string(what) + "` is not valid JSON");
  if (!root.is_object()) return base::invalid("`" + std::string(what) + "` is not a JSON object");
  Config c;
  auto parse = [&]() -> Status {
    TRY(get_string(root, "ociVersion", "ociVersion", c.oci_version));
    if (c.oci_version.empty()) return field_error("ociVersion", "is required");
    if (c.oci_version[0] != '1')
      return field_error("ociVersion", "version `" + c.oci_version + "` is not supported (1.x is)");
    const json* r = member(root, "root");
    if (!r) return field_error("root", "is required");
    TRY(require_object(r, "root"));
    TRY(get_string(*r, "path", "root.path", c.root_path));
    if (c.root_path.empty()) return field_error("root.path", "is required");
    TRY(get_bool(*r, "readonly", "root.readonly", c.root_readonly));
    const json* p = member(root, "process");
    if (!p) return field_error("process", "is required");
    TRY(parse_process(*p, c.process));
    TRY(get_string(root, "hostname", "hostname", c.hostname));
    TRY(get_string(root, "domainname", "domainname", c.domainname));
    TRY(parse_mounts(root, c.mounts));
    TRY(parse_linux(root, c.linux));
    TRY(get_string_map(root, "annotations", "annotations", c.annotations));
    TRY(reject_unsupported(root, "hooks", "hooks", "hooks"));
    return check_consistency(c);
  };
  Status s = parse();
  if (!s.ok()) return std::move(s).error().wrap(what);
  return c;
}

Result<Process> parse_process_json(std::string_view text, std::string_view what) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return base::invalid("`" + std::string(what) + "` is not valid JSON");
  Process p;
  Status s = parse_process(root, p);
  if (!s.ok()) return std::move(s).error().wrap(what);
  return p;
}

}  // namespace oci
