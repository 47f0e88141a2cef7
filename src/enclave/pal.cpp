#include "enclave/pal.h"

#include <dlfcn.h>
#include <stdint.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/build_id.h"
#include "base/encoding.h"

namespace enclave {

namespace {

// C argv/env arrays over std::strings (which outlive the call).
std::vector<char*> c_array(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

const char* symbol_name(Symbol s) {
  switch (s) {
    case kGetVersion:
      return "pal_get_version";
    case kInit:
      return "pal_init";
    case kCreateProcess:
      return "pal_create_process";
    case kExec:
      return "pal_exec";
    case kKill:
      return "pal_kill";
    case kDestroy:
      return "pal_destroy";
    case kGetLocalReport:
      return "pal_get_local_report";
    case kPrepareProcess:
      return "pal_prepare_process";
    case kPrebuild:
      return "pal_prebuild";
  }
  return "pal_?";
}

base::Error missing_symbol(const std::string& path, Symbol s) {
  return base::Error(base::Category::failed_precondition,
                     "enclave runtime `" + path + "` does not export `" + symbol_name(s) + "`",
                     ENOSYS);
}

base::Error Pal::call_error(const char* call, int ret, int err) const {
  std::string m =
      "enclave runtime `" + path_ + "`: `" + call + "` failed: returned " + std::to_string(ret);
  int code = err;
  if (ret < 0 && ret > -4096 && ret != -1) {
    m += std::string(" (") + strerror(-ret) + ")";
    code = -ret;
  } else if (ret > 0) {
    m += " (any non-zero return is a failure)";
  }
  m += ", errno " + std::to_string(err) + (err ? std::string(" (") + strerror(err) + ")" : "");
  return base::Error(base::Category::unavailable, m, code);
}

base::Status Pal::load(const std::string& path) {
  path_ = path;
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* e = dlerror();
    return base::Error(
        base::Category::invalid_argument,
        "enclave runtime `" + path + "`: cannot load it: " + (e ? e : "dlopen failed"));
  }
  struct Entry {
    Symbol bit;
    void** slot;
  };
  void* gv = nullptr;
  void* cp = nullptr;
  void* kl = nullptr;
  void* ds = nullptr;
  void* lr = nullptr;
  void* pp = nullptr;
  void* pb = nullptr;
  const Entry entries[] = {{kGetVersion, &gv},     {kInit, &init_},        {kCreateProcess, &cp},
                           {kExec, &exec_},        {kKill, &kl},           {kDestroy, &ds},
                           {kGetLocalReport, &lr}, {kPrepareProcess, &pp}, {kPrebuild, &pb}};
  for (const auto& e : entries) {
    *e.slot = dlsym(handle_, symbol_name(e.bit));
    if (*e.slot) symbols_ |= e.bit;
  }
  get_version_ = reinterpret_cast<pal_get_version_fn>(gv);
  create_process_ = reinterpret_cast<pal_create_process_fn>(cp);
  kill_ = reinterpret_cast<pal_kill_fn>(kl);
  destroy_ = reinterpret_cast<pal_destroy_fn>(ds);
  get_local_report_ = reinterpret_cast<pal_get_local_report_fn>(lr);
  prepare_process_ = reinterpret_cast<pal_prepare_process_fn>(pp);
  version_ = get_version_ ? get_version_() : 1;
  if (version_ < 1 || version_ > PAL_VERSION_MAX)
    return base::Error(base::Category::invalid_argument,
                       "enclave runtime `" + path + "`: `pal_get_version` returned " +
                           std::to_string(version_) + "; rune supports PAL API versions 1 to " +
                           std::to_string(PAL_VERSION_MAX),
                       ENOTSUP);
  unsigned required = kInit | kExec | (version_ >= 2 ? kGetVersion | kCreateProcess : 0);
  for (Symbol s : {kInit, kExec, kGetVersion, kCreateProcess})
    if ((required & s) && !(symbols_ & s))
      return base::Error(base::Category::invalid_argument,
                         "enclave runtime `" + path + "`: missing required symbol `" +
                             symbol_name(s) + "` (PAL API version " + std::to_string(version_) +
                             ")",
                         ENOSYS);
  return base::ok();
}

base::Status Pal::init(const std::string& args, const std::string& log_level, int fd, uint64_t addr,
                       int* ret_out) {
  int ret;
  errno = 0;
  if (version_ >= 3) {
    pal_attr_v3_t attr = {};
    attr.attr_v1.args = args.c_str();
    attr.attr_v1.log_level = log_level.c_str();
    attr.fd = fd;  // -1 unless a pre-built entry is handed over (the runtime's from now on)
    attr.addr = fd >= 0 ? addr : 0;
    ret = reinterpret_cast<pal_init_v3_fn>(init_)(&attr);
  } else {
    if (fd >= 0) close(fd);  // never handed to a runtime below v3
    pal_attr_v1_t attr = {args.c_str(), log_level.c_str()};
    ret = reinterpret_cast<pal_init_v1_fn>(init_)(&attr);
  }
  if (ret_out) *ret_out = ret;
  if (ret != 0) return call_error("pal_init", ret, errno);
  return base::ok();
}

std::string Pal::build_id() const {
  if (!init_) return "";
  uint8_t id[BUILD_ID_MAX];
  int n = build_id_of_loaded(init_, id, sizeof id);
  if (n <= 0) return "";
  return base::hex_encode(id, static_cast<size_t>(n));
}

base::Status Pal::prepare_process(const std::string& path, int copy) const {
  if (!prepare_process_ || version_ < 2) {
    if (copy >= 0) close(copy);
    return base::ok();
  }
  errno = 0;
  int ret = prepare_process_(path.c_str(), copy);
  if (ret != 0) return call_error("pal_prepare_process", ret, errno);
  return base::ok();
}

base::Result<int> Pal::exec_v1(const std::string& path, const std::vector<std::string>& argv,
                               const int stdio[3]) {
  auto cargv = c_array(argv);
  pal_stdio_fds fds = {stdio[0], stdio[1], stdio[2]};
  int code = 0;
  errno = 0;
  int ret = reinterpret_cast<pal_exec_v1_fn>(exec_)(const_cast<char*>(path.c_str()), cargv.data(),
                                                    &fds, &code);
  if (ret != 0) return call_error("pal_exec", ret, errno);
  return code;
}

base::Result<int> Pal::create_process(const std::string& path, const std::vector<std::string>& argv,
                                      const std::vector<std::string>& env, const int stdio[3]) {
  if (!create_process_) return missing_symbol(path_, kCreateProcess);
  auto cargv = c_array(argv);
  auto cenv = c_array(env);
  pal_stdio_fds fds = {stdio[0], stdio[1], stdio[2]};
  int pid = -1;
  pal_create_process_args a = {const_cast<char*>(path.c_str()), cargv.data(), cenv.data(), &fds,
                               &pid};
  errno = 0;
  int ret = create_process_(&a);
  if (ret != 0) return call_error("pal_create_process", ret, errno);
  return pid;
}

base::Result<int> Pal::exec(int pid) {
  int value = 0;
  pal_exec_args a = {pid, &value};
  errno = 0;
  int ret = reinterpret_cast<pal_exec_v2_fn>(exec_)(&a);
  if (ret != 0) return call_error("pal_exec", ret, errno);
  return value;
}

base::Status Pal::kill(int pid, int sig) {
  if (!kill_) return missing_symbol(path_, kKill);
  errno = 0;
  int ret = kill_(pid, sig);
  if (ret != 0)
    return call_error(
        ("pal_kill(" + std::to_string(pid) + ", " + std::to_string(sig) + ")").c_str(), ret, errno);
  return base::ok();
}

base::Status Pal::destroy() {
  if (!destroy_) return base::ok();  // optional: nothing to tear down
  errno = 0;
  int ret = destroy_();
  if (ret != 0) return call_error("pal_destroy", ret, errno);
  return base::ok();
}

base::Result<std::vector<uint8_t>> Pal::get_local_report(const std::vector<uint8_t>& target_info) {
  if (!get_local_report_) return missing_symbol(path_, kGetLocalReport);
  std::vector<uint8_t> ti = target_info;
  std::vector<uint8_t> report(PAL_SGX_REPORT_SIZE);
  int len = static_cast<int>(report.size());
  errno = 0;
  int ret = get_local_report_(ti.data(), static_cast<int>(ti.size()), report.data(), &len);
  if (ret != 0) return call_error("pal_get_local_report", ret, errno);
  if (len <= 0 || len > static_cast<int>(report.size()))
    return base::Error(base::Category::internal,
                       "enclave runtime `" + path_ +
                           "`: `pal_get_local_report` returned a report of " + std::to_string(len) +
                           " bytes (expected at most " + std::to_string(report.size()) + ")");
  report.resize(static_cast<size_t>(len));
  return report;
}

}  // namespace enclave
