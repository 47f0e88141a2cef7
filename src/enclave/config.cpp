#include "enclave/config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <array>

#include "base/file.h"

namespace enclave {

namespace {

struct Key {
  const char* env;
  const char* annotation;
};
constexpr Key kType = {"ENCLAVE_TYPE", "enclave.type"};
constexpr Key kPath = {"ENCLAVE_RUNTIME_PATH", "enclave.runtime.path"};
constexpr Key kArgs = {"ENCLAVE_RUNTIME_ARGS", "enclave.runtime.args"};
constexpr Key kLevel = {"ENCLAVE_RUNTIME_LOGLEVEL", "enclave.runtime.loglevel"};
constexpr Key kPool = {"ENCLAVE_POOL", "enclave.pool"};

constexpr std::array<const char*, 8> kLevels = {"trace", "debug", "info",  "warning",
                                                "error", "fatal", "panic", "off"};

// A setting and where it came from (for error messages).
struct Setting {
  std::string value;
  std::string source;  // "process.env `ENCLAVE_TYPE`" or "annotation `enclave.type`"
  bool set() const { return !source.empty(); }
};

using Env = std::vector<std::string>;
using Annotations = std::map<std::string, std::string>;

Setting lookup(const Env& env, const Annotations& annotations, const Key& k) {
  std::string prefix = std::string(k.env) + "=";
  for (const auto& e : env)
    if (e.size() > prefix.size() && e.compare(0, prefix.size(), prefix) == 0)
      return {e.substr(prefix.size()), std::string("process.env `") + k.env + "`"};
  auto it = annotations.find(k.annotation);
  if (it != annotations.end() && !it->second.empty())
    return {it->second, std::string("annotation `") + k.annotation + "`"};
  return {};
}

bool mentions_enclave(const Env& env, const Annotations& annotations) {
  for (const auto& e : env)
    if (e.compare(0, 8, "ENCLAVE_") == 0) return true;
  for (const auto& [k, v] : annotations)
    if (k.compare(0, 8, "enclave.") == 0) return true;
  return false;
}

}  // namespace

base::Result<std::optional<Config>> classify(
    const std::vector<std::string>& env, const std::map<std::string, std::string>& annotations) {
  if (!mentions_enclave(env, annotations)) return std::optional<Config>();  // one scan
  Setting type = lookup(env, annotations, kType), path = lookup(env, annotations, kPath),
          args = lookup(env, annotations, kArgs), level = lookup(env, annotations, kLevel);
  if (!type.set()) {
    for (const Setting* s : {&path, &args, &level})
      if (s->set())
        return base::invalid(s->source + " is set, but no enclave type is (set `ENCLAVE_TYPE` " +
                             "or the `enclave.type` annotation to `sim` or `intelSgx`)");
    return std::optional<Config>();
  }
  Config out;
  out.type = type.value;
  if (out.type != "sim" && out.type != "intelSgx")
    return base::invalid(type.source + ": enclave type `" + out.type +
                         "` is not supported (use `sim` or `intelSgx`)");
  if (!path.set())
    return base::invalid("enclave type `" + out.type +
                         "` needs the enclave runtime's path: set `ENCLAVE_RUNTIME_PATH` or the "
                         "`enclave.runtime.path` annotation");
  if (path.value[0] != '/')
    return base::invalid(path.source + ": `" + path.value +
                         "` is not an absolute path (it names a file inside the container)");
  out.runtime_path = base::clean_path(path.value);
  out.runtime_args = args.value;
  std::replace(out.runtime_args.begin(), out.runtime_args.end(), ',', ' ');
  out.log_level = "info";
  if (level.set()) {
    std::string l = level.value;
    for (char& ch : l) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    if (std::find_if(kLevels.begin(), kLevels.end(), [&](const char* k) { return l == k; }) ==
        kLevels.end())
      return base::invalid(level.source + ": log level `" + level.value +
                           "` is not one of trace, debug, info, warning, error, fatal, panic, off");
    out.log_level = l;
  }
  if (Setting pool = lookup(env, annotations, kPool); pool.set()) {
    if (pool.value != "on" && pool.value != "off")
      return base::invalid(pool.source + ": `" + base::clip(pool.value) +
                           "` is not `on` or `off` (pre-built enclaves from epm)");
    out.pool = pool.value == "on";
  }
  return std::optional<Config>(std::move(out));
}

base::Result<std::optional<Config>> parse(oci::Config& c) {
  ASSIGN_OR_RETURN(std::optional<Config> out, classify(c.process.env, c.annotations));
  if (!out) return out;
  auto& env = c.process.env;
  env.erase(std::remove_if(env.begin(), env.end(),
                           [](const std::string& e) { return e.compare(0, 8, "ENCLAVE_") == 0; }),
            env.end());
  return out;
}

base::Status add_sgx_resources(oci::Config& c) {
  static const char* const kNodes[] = {"/dev/sgx_enclave", "/dev/sgx/enclave", "/dev/sgx_provision",
                                       "/dev/sgx/provision", "/dev/isgx"};
  bool enclave_node = false;
  for (const char* n : kNodes) {
    struct stat st;
    if (stat(n, &st) != 0 || !S_ISCHR(st.st_mode)) continue;
    std::string p = n;
    if (p != "/dev/sgx_provision" && p != "/dev/sgx/provision") enclave_node = true;
    bool listed = std::any_of(c.linux.devices.begin(), c.linux.devices.end(),
                              [&](const oci::Device& d) { return d.path == p; });
    if (!listed) {
      oci::Device d;
      d.path = p;
      d.type = 'c';
      d.major = major(st.st_rdev);
      d.minor = minor(st.st_rdev);
      d.file_mode = st.st_mode & 07777;
      d.uid = 0;
      d.gid = 0;
      c.linux.devices.push_back(d);
    }
    oci::DeviceRule r;
    r.allow = true;
    r.type = 'c';
    r.major = major(st.st_rdev);
    r.minor = minor(st.st_rdev);
    r.access = "rwm";
    c.linux.device_rules.push_back(r);
  }
  if (!enclave_node)
    return base::Error(base::Category::failed_precondition,
                       "enclave type `intelSgx` needs the SGX device: none of /dev/sgx_enclave, "
                       "/dev/sgx/enclave, /dev/isgx exists on this host (use `sim` on machines "
                       "without SGX)",
                       ENODEV);
  for (const char* dir : {"/var/run/aesmd", "/var/run/epm"}) {
    if (!base::path_exists(dir)) continue;
    c.mounts.push_back({dir, "bind", dir, {"rbind", "rw"}});
  }
  return base::ok();
}

}  // namespace enclave
