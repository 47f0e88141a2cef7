#include "linux/seccomp_program.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "base/fd.h"
#include "base/file.h"
#include "base/json.h"
#include "base/socket.h"

namespace kernel {

namespace {

const std::string kField = "linux.seccomp";

base::Error field_error(const std::string& field, const std::string& what) {
  return base::invalid("`" + field + "`: " + what);
}

struct CtxFree {
  void operator()(scmp_filter_ctx c) const { seccomp_release(c); }
};

base::Result<uint32_t> action(const std::string& name, std::optional<uint32_t> errno_ret,
                              const std::string& field) {
  // runc: ERRNO and TRACE without errnoRet return EPERM.
  uint32_t ret = errno_ret.value_or(EPERM);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  return field_error(field, "unknown action `" + name + "`");
}

base::Result<scmp_compare> compare(const std::string& op, const std::string& field) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return field_error(field, "unknown operator `" + op + "`");
}

// "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when this libseccomp does not know it.
uint32_t arch(const std::string& name) {
  std::string lower = name.substr(10);  // after SCMP_ARCH_
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(lower.c_str());
}

}  // namespace

bool uses_notify(const oci::Seccomp& s) {
  for (const auto& r : s.syscalls)
    if (r.action == "SCMP_ACT_NOTIFY") return true;
  return false;
}

base::Result<SeccompProgram> compile_seccomp(const oci::Seccomp& s) {
  if (s.default_action == "SCMP_ACT_NOTIFY")
    return field_error(kField + ".defaultAction",
                       "SCMP_ACT_NOTIFY cannot be the default action (nothing could answer the "
                       "calls that hand the listener over; runc refuses it too)");
  ASSIGN_OR_RETURN(uint32_t def,
                   action(s.default_action, s.default_errno_ret, kField + ".defaultAction"));
  std::unique_ptr<void, CtxFree> ctx(seccomp_init(def));
  if (!ctx) return base::Error(base::Category::internal, "seccomp_init failed");
  // The init loads the program itself: libseccomp must not set no_new_privs.
  if (int e = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); e != 0)
    return base::sys_error("seccomp: clear the no_new_privs attribute", -e);
  for (size_t i = 0; i < s.architectures.size(); ++i) {
    uint32_t a = arch(s.architectures[i]);
    std::string field = kField + ".architectures[" + std::to_string(i) + "]";
    if (a == 0) return field_error(field, "`" + s.architectures[i] + "` is unknown to libseccomp");
    int e = seccomp_arch_add(ctx.get(), a);
    if (e != 0 && e != -EEXIST)
      return base::sys_error("`" + field + "`: add `" + s.architectures[i] + "`", -e);
  }
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const oci::SeccompRule& r = s.syscalls[i];
    std::string field = kField + ".syscalls[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(uint32_t act, action(r.action, r.errno_ret, field + ".action"));
    if (act == def) continue;
    // The init hands the listener to rune with these calls, under the filter already.
    if (act == SCMP_ACT_NOTIFY)
      for (const std::string& name : r.names)
        if (name == "sendmsg" || name == "recvmsg")
          return field_error(field + ".action",
                             "SCMP_ACT_NOTIFY on `" + name +
                                 "`: the container's init makes this call to hand the listener "
                                 "over (runc refuses `write` the same way)");
    std::vector<scmp_arg_cmp> conds;
    bool same_index_twice = false;
    for (size_t k = 0; k < r.args.size(); ++k) {
      const oci::SeccompArg& a = r.args[k];
      ASSIGN_OR_RETURN(scmp_compare op,
                       compare(a.op, field + ".args[" + std::to_string(k) + "].op"));
      for (const auto& c : conds) same_index_twice = same_index_twice || c.arg == a.index;
      conds.push_back({a.index, op, a.value, a.value_two});
    }
    for (const std::string& name : r.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // unknown here: skipped, as runc does
      int e = 0;
      if (same_index_twice) {
        // libseccomp takes one condition per argument in a rule: one rule per condition (runc).
        for (const auto& c : conds) {
          e = seccomp_rule_add_array(ctx.get(), act, nr, 1, &c);
          if (e != 0) break;
        }
      } else {
        e = seccomp_rule_add_array(ctx.get(), act, nr, static_cast<unsigned>(conds.size()),
                                   conds.empty() ? nullptr : conds.data());
      }
      if (e != 0) return base::sys_error("`" + field + "`: add the rule for `" + name + "`", -e);
    }
  }
  SeccompProgram p;
  p.notify = uses_notify(s);
  for (const auto& f : s.flags) {
    if (f == "SECCOMP_FILTER_FLAG_TSYNC") p.flags |= SECCOMP_FILTER_FLAG_TSYNC;
    if (f == "SECCOMP_FILTER_FLAG_LOG") p.flags |= SECCOMP_FILTER_FLAG_LOG;
    if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") p.flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  }
  base::UniqueFd mem(static_cast<int>(syscall(SYS_memfd_create, "rune-seccomp", MFD_CLOEXEC)));
  if (!mem.valid()) return base::sys_error("seccomp: memfd_create");
  if (int e = seccomp_export_bpf(ctx.get(), mem.get()); e != 0)
    return base::sys_error("seccomp: export the BPF program", -e);
  off_t size = lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0)
    return base::Error(base::Category::internal, "seccomp: exported program has a bad size");
  p.filter.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(mem.get(), p.filter.data(), static_cast<size_t>(size), 0) != size)
    return base::sys_error("seccomp: read the BPF program back");
  return p;
}

std::string seccomp_cache_key(const oci::Seccomp& s) {
  std::string k = "rune-seccomp-cache 1\n";
  k += "libseccomp " + libseccomp_version() + "\n";
  struct utsname u;
  if (uname(&u) == 0) k += std::string("kernel ") + u.release + " " + u.machine + "\n";
  // Every field, each string with its length, so that no two sections share a key.
  auto str = [&](const std::string& x) { k += std::to_string(x.size()) + ":" + x + ";"; };
  auto opt = [&](const std::optional<uint32_t>& x) { k += x ? std::to_string(*x) + ";" : "-;"; };
  str(s.default_action);
  opt(s.default_errno_ret);
  k += "arch " + std::to_string(s.architectures.size()) + ";";
  for (const auto& a : s.architectures) str(a);
  k += "flags " + std::to_string(s.flags.size()) + ";";
  for (const auto& f : s.flags) str(f);
  str(s.listener_path);
  str(s.listener_metadata);
  k += "rules " + std::to_string(s.syscalls.size()) + "\n";
  for (const auto& r : s.syscalls) {
    k += "names " + std::to_string(r.names.size()) + ";";
    for (const auto& n : r.names) str(n);
    str(r.action);
    opt(r.errno_ret);
    k += "args " + std::to_string(r.args.size()) + ";";
    for (const auto& a : r.args)
      k += std::to_string(a.index) + "," + std::to_string(a.value) + "," +
           std::to_string(a.value_two) + "," + a.op + ";";
    k += "\n";
  }
  return k;
}

namespace {

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Entry: the key, a NUL, the flags as 8 hex digits, then the filter's bytes.
std::optional<SeccompProgram> read_cache(const std::string& path, const std::string& key) {
  auto data = base::read_file(path, 4 << 20);
  if (!data.ok() || data->size() < key.size() + 9 || data->compare(0, key.size(), key) != 0 ||
      (*data)[key.size()] != '\0')
    return std::nullopt;
  size_t at = key.size() + 1;
  SeccompProgram p;
  p.flags = static_cast<unsigned>(std::strtoul(data->substr(at, 8).c_str(), nullptr, 16));
  at += 8;
  size_t bytes = data->size() - at;
  if (bytes == 0 || bytes % sizeof(sock_filter) != 0) return std::nullopt;
  p.filter.resize(bytes / sizeof(sock_filter));
  std::memcpy(p.filter.data(), data->data() + at, bytes);
  return p;
}

}  // namespace

base::Result<SeccompProgram> compile_seccomp_cached(const oci::Seccomp& s,
                                                    const std::string& cache_dir) {
  const std::string key = seccomp_cache_key(s);
  char name[32];
  std::snprintf(name, sizeof name, "/%016llx.bpf", static_cast<unsigned long long>(fnv1a(key)));
  const std::string path = cache_dir + name;
  if (auto hit = read_cache(path, key)) {
    hit->notify = uses_notify(s);
    return std::move(*hit);
  }
  ASSIGN_OR_RETURN(SeccompProgram p, compile_seccomp(s));
  if (mkdir(cache_dir.c_str(), 0700) == 0 || errno == EEXIST) {
    char flags[16];
    std::snprintf(flags, sizeof flags, "%08x", p.flags);
    std::string entry = key;
    entry.push_back('\0');
    entry += flags;
    entry.append(reinterpret_cast<const char*>(p.filter.data()),
                 p.filter.size() * sizeof(sock_filter));
    (void)base::write_file_atomic(path, entry, 0600);
  }
  return p;
}

base::Status load_seccomp(const SeccompProgram& p, ChildChannel* ch) {
  sock_fprog prog{static_cast<unsigned short>(p.filter.size()),
                  const_cast<sock_filter*>(p.filter.data())};
  unsigned flags = p.flags | (p.notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0) return base::sys_error("`linux.seccomp`: load the filter");
  if (!p.notify) return base::ok();
  base::UniqueFd listener(static_cast<int>(r));
  if (!ch)
    return base::Error(base::Category::internal,
                       "`linux.seccomp`: a NOTIFY filter loaded with nobody to hand it to");
  return ch->send_seccomp_listener(listener.get());
}

base::Status send_to_listener(const std::string& path, const std::string& process_state,
                              int listener_fd) {
  const std::string what = "`linux.seccomp.listenerPath`: ";
  ASSIGN_OR_RETURN(base::UniqueFd sock, base::connect_unix(path, "`linux.seccomp.listenerPath`"));
  int fds[] = {listener_fd};
  ssize_t n = base::send_with_fds(sock.get(), process_state.data(), process_state.size(), fds);
  if (n < 0) return base::sys_error(what + "send the seccomp listener to `" + path + "`");
  if (static_cast<size_t>(n) != process_state.size())
    return base::sys_error(what + "short send to `" + path + "`", EIO);
  return base::ok();
}

std::string container_process_state(const oci::Seccomp& s, int init_pid,
                                    const std::string& state_json) {
  return "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":" + std::to_string(init_pid) +
         ",\"metadata\":" + base::json_quote(s.listener_metadata) + ",\"state\":" + state_json +
         "}";
}

std::vector<std::string> seccomp_supported_archs() {
  // Known to libseccomp is not enough: it refuses to mix byte orders in one filter, so the
  // big-endian ones cannot join a little-endian native architecture. Each is tried as
  // compile_seccomp adds it.
  std::vector<std::string> out;
  for (const char* a : oci::seccomp_arch_names()) {
    uint32_t token = arch(a);
    if (token == 0) continue;
    std::unique_ptr<void, CtxFree> ctx(seccomp_init(SCMP_ACT_ALLOW));
    if (!ctx) break;
    int e = seccomp_arch_add(ctx.get(), token);
    if (e == 0 || e == -EEXIST) out.emplace_back(a);
  }
  return out;
}

std::vector<std::string> seccomp_supported_flags() {
  // libseccomp's API levels (seccomp_api_get(3)): 2 TSYNC, 3 LOG, 4 SPEC_ALLOW.
  const unsigned level = seccomp_api_get();
  std::vector<std::string> out;
  for (const char* f : oci::seccomp_flag_names()) {
    std::string_view n = f;
    unsigned need = n == "SECCOMP_FILTER_FLAG_TSYNC" ? 2 : n == "SECCOMP_FILTER_FLAG_LOG" ? 3 : 4;
    if (level >= need) out.emplace_back(f);
  }
  return out;
}

std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace kernel
