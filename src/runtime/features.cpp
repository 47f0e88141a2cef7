#include "runtime/features.h"

#include <nlohmann/json.hpp>

#include "linux/mounts.h"
#include "linux/seccomp_program.h"
#include "oci/config.h"

namespace runtime {

namespace {

using Json = nlohmann::ordered_json;  // keys in the order runc prints them

template <class Names>
Json list(const Names& names) {
  Json a = Json::array();
  for (const auto& n : names) a.push_back(n);
  return a;
}

}  // namespace

std::string features_json() {
  Json j = Json::object();
  j["ociVersionMin"] = "1.0.0";
  j["ociVersionMax"] = oci::kSpecVersion;
  j["hooks"] = list(oci::hook_names());
  j["mountOptions"] = kernel::mount_option_names();

  Json linux = Json::object();
  Json nss = Json::array();
  for (int t = 0; t < oci::kNsTypeCount; ++t)
    nss.push_back(oci::ns_config_name(static_cast<oci::NsType>(t)));
  linux["namespaces"] = nss;
  Json caps = Json::array();
  for (int c = 0; c <= oci::kLastCapability; ++c) caps.push_back(oci::capability_name(c));
  linux["capabilities"] = caps;
  // cgroupfs on v1, v2 and hybrid hosts; `--systemd-cgroup` through the system manager (not a
  // user manager: rootless containers use cgroupfs where delegated).
  linux["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}};
  Json sc = Json::object();
  sc["enabled"] = true;
  sc["actions"] = list(oci::seccomp_action_names());
  sc["operators"] = list(oci::seccomp_operator_names());
  sc["archs"] = kernel::seccomp_supported_archs();
  sc["knownFlags"] = list(oci::seccomp_flag_names());
  sc["supportedFlags"] = kernel::seccomp_supported_flags();
  linux["seccomp"] = sc;
  // The LSM fields are refused at create (no LSM is enabled on the machines rune is built for).
  linux["apparmor"] = {{"enabled", false}};
  linux["selinux"] = {{"enabled", false}};
  j["linux"] = linux;
  j["annotations"] = {{"io.github.seccomp.libseccomp.version", kernel::libseccomp_version()}};
  return j.dump(4);
}

}  // namespace runtime
