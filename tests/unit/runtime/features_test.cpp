// `rune features` against the parser, both ways: everything it lists is accepted (parsed, and
// for seccomp compiled), and names it leaves out — runc 1.1.5's lists and the runtime-spec's
// names, which include things rune does not take — are refused (mount options: not recognised,
// so they would reach the filesystem as data).
#include "runtime/features.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "linux/mounts.h"
#include "linux/seccomp_program.h"
#include "oci/config.h"

namespace runtime {
namespace {

using Json = nlohmann::json;

Json Features() {
  return Json::parse(features_json());
}

std::set<std::string> Listed(const Json& a) {
  std::set<std::string> s;
  for (const auto& x : a) s.insert(x.get<std::string>());
  return s;
}

// A config with `linux` merged in.
bool Parses(const Json& linux_part, std::string* err = nullptr) {
  Json c = {
      {"ociVersion", "1.0.2"},
      {"root", {{"path", "rootfs"}}},
      {"process", {{"args", {"/bin/true"}}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}}},
      {"linux", linux_part}};
  auto r = oci::parse_config(c.dump(), "config.json");
  if (!r.ok() && err) *err = r.error().message();
  return r.ok();
}

// Parsed and compiled by libseccomp.
bool SeccompWorks(const Json& seccomp) {
  Json c = {
      {"ociVersion", "1.0.2"},
      {"root", {{"path", "rootfs"}}},
      {"process", {{"args", {"/bin/true"}}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}}},
      {"linux", {{"seccomp", seccomp}}}};
  auto r = oci::parse_config(c.dump(), "config.json");
  if (!r.ok()) return false;
  return kernel::compile_seccomp(*r->linux.seccomp).ok();
}

Json Rule(const std::string& action, const Json& args = Json::array()) {
  return {{"names", {"getcwd"}}, {"action", action}, {"args", args}};
}

TEST(FeaturesTest, TheDocumentHasTheSpecsShape) {
  Json f = Features();
  EXPECT_EQ(f["ociVersionMin"], "1.0.0");
  EXPECT_EQ(f["ociVersionMax"], oci::kSpecVersion);
  EXPECT_EQ(f["linux"]["cgroup"]["systemd"], true);  // --systemd-cgroup (integration.systemd)
  EXPECT_EQ(f["linux"]["cgroup"]["systemdUser"], false);
  EXPECT_EQ(f["linux"]["apparmor"]["enabled"], false);
  EXPECT_EQ(f["linux"]["seccomp"]["enabled"], true);
  EXPECT_EQ(f["annotations"]["io.github.seccomp.libseccomp.version"], kernel::libseccomp_version());
}

TEST(FeaturesTest, NamespacesBothWays) {
  auto listed = Listed(Features()["linux"]["namespaces"]);
  for (const std::string n : {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time",
                              "net", "mnt", "Pid", ""}) {
    std::string err;
    Json linux = {{"namespaces", {{{"type", n}}}}};
    if (n == "user") {  // a new user namespace needs its mappings
      linux["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
      linux["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    }
    bool ok = Parses(linux, &err);
    EXPECT_EQ(ok, listed.count(n) == 1) << n << ": " << err;
  }
  EXPECT_EQ(listed.size(), 8u);
}

TEST(FeaturesTest, CapabilitiesBothWays) {
  auto listed = Listed(Features()["linux"]["capabilities"]);
  std::vector<std::string> candidates(listed.begin(), listed.end());
  for (const char* c : {"CAP_FOO", "CAP_chown", "CAP_LAST_CAP", "CAP_41", "chown"})
    candidates.push_back(c);
  for (const auto& c : candidates) {
    Json caps = {{"bounding", {c}}};
    Json cfg = {{"ociVersion", "1.0.2"},
                {"root", {{"path", "rootfs"}}},
                {"process",
                 {{"args", {"/bin/true"}},
                  {"cwd", "/"},
                  {"user", {{"uid", 0}, {"gid", 0}}},
                  {"capabilities", caps}}}};
    bool ok = oci::parse_config(cfg.dump(), "config.json").ok();
    EXPECT_EQ(ok, listed.count(c) == 1) << c;
  }
  EXPECT_EQ(listed.size(), static_cast<size_t>(oci::kLastCapability + 1));
}

TEST(FeaturesTest, SeccompActionsOperatorsArchsAndFlagsBothWays) {
  Json sc = Features()["linux"]["seccomp"];
  auto actions = Listed(sc["actions"]), ops = Listed(sc["operators"]), archs = Listed(sc["archs"]),
       flags = Listed(sc["knownFlags"]);
  for (const std::string a :
       {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
        "SCMP_ACT_FOO", "SCMP_ACT_USER_NOTIF", "scmp_act_allow"}) {
    Json s = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {Rule(a)}}};
    if (a == "SCMP_ACT_NOTIFY") s["listenerPath"] = "/run/listener.sock";
    EXPECT_EQ(SeccompWorks(s), actions.count(a) == 1) << a;
  }
  for (const std::string o : {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                              "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_FOO"}) {
    Json args = {{{"index", 0}, {"value", 1}, {"op", o}}};
    Json s = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {Rule("SCMP_ACT_ERRNO", args)}}};
    EXPECT_EQ(SeccompWorks(s), ops.count(o) == 1) << o;
  }
  std::vector<std::string> arch_candidates(archs.begin(), archs.end());
  for (const char* a : oci::seccomp_arch_names()) arch_candidates.push_back(a);
  for (const char* a : {"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "x86_64"})
    arch_candidates.push_back(a);
  for (const auto& a : arch_candidates) {
    Json s = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {a}}};
    EXPECT_EQ(SeccompWorks(s), archs.count(a) == 1) << a;
  }
  for (const std::string f :
       {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_NEW_LISTENER", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}) {
    Json s = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {f}}};
    EXPECT_EQ(Parses({{"seccomp", s}}), flags.count(f) == 1) << f;
  }
  for (const auto& f : sc["supportedFlags"]) EXPECT_EQ(flags.count(f.get<std::string>()), 1u);
}

TEST(FeaturesTest, HooksListedAreTheOnesTheConfigReads) {
  auto listed = Listed(Features()["hooks"]);
  EXPECT_EQ(listed.size(), 6u);
  for (const auto& h : listed) {
    Json c = {
        {"ociVersion", "1.0.2"},
        {"root", {{"path", "rootfs"}}},
        {"process", {{"args", {"/bin/true"}}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}}},
        {"hooks", {{h, {{{"path", "/bin/true"}}}}}}};
    auto r = oci::parse_config(c.dump(), "config.json");
    ASSERT_TRUE(r.ok()) << h;
    const oci::Hooks& k = r->hooks;
    size_t n = k.prestart.size() + k.create_runtime.size() + k.create_container.size() +
               k.start_container.size() + k.poststart.size() + k.poststop.size();
    EXPECT_EQ(n, 1u) << h << " was not read";
  }
}

TEST(FeaturesTest, MountOptionsBothWays) {
  auto listed = Listed(Features()["mountOptions"]);
  // runc 1.1.5's `features` list, plus a filesystem option.
  std::vector<std::string> candidates(listed.begin(), listed.end());
  for (const char* o : {"acl",          "async",       "atime",          "bind",
                        "defaults",     "dev",         "diratime",       "dirsync",
                        "exec",         "iversion",    "lazytime",       "loud",
                        "mand",         "noacl",       "noatime",        "nodev",
                        "nodiratime",   "noexec",      "noiversion",     "nolazytime",
                        "nomand",       "norelatime",  "nostrictatime",  "nosuid",
                        "nosymfollow",  "private",     "ratime",         "rbind",
                        "rdev",         "rdiratime",   "relatime",       "remount",
                        "rexec",        "rnoatime",    "rnodev",         "rnodiratime",
                        "rnoexec",      "rnorelatime", "rnostrictatime", "rnosuid",
                        "rnosymfollow", "ro",          "rprivate",       "rrelatime",
                        "rro",          "rrw",         "rshared",        "rslave",
                        "rstrictatime", "rsuid",       "rsymfollow",     "runbindable",
                        "rw",           "shared",      "silent",         "slave",
                        "strictatime",  "suid",        "symfollow",      "sync",
                        "tmpcopyup",    "unbindable",  "size=64k"})
    candidates.push_back(o);
  for (const auto& o : candidates) {
    auto r = kernel::parse_mount_options({o}, "mounts[0].options");
    bool recognised = r.ok() && r->data.empty();
    EXPECT_EQ(recognised, listed.count(o) == 1) << o;
  }
}

}  // namespace
}  // namespace runtime
