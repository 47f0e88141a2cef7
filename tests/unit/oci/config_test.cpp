#include "oci/config.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

namespace oci {
namespace {

using json = nlohmann::json;

json minimal() {
  return json::parse(R"({
    "ociVersion": "1.0.2-dev",
    "root": {"path": "rootfs"},
    "process": {"args": ["/bin/true"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
    "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "uts"}]}
  })");
}

// Parses `j` and returns the error message ("" if it parsed).
std::string error_of(const json& j) {
  auto r = parse_config(j.dump(), "config.json");
  return r.ok() ? "" : r.error().message();
}

Config parse_ok(const json& j) {
  auto r = parse_config(j.dump(), "config.json");
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? std::move(r).value() : Config{};
}

TEST(ParseConfigTest, ParsesAMinimalConfig) {
  auto r = parse_config(minimal().dump());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->root_path, "rootfs");
  EXPECT_EQ(r->process.args.at(0), "/bin/true");
  EXPECT_EQ(r->linux.namespaces.size(), 3u);
  EXPECT_TRUE(r->linux.find_ns(NsType::mount));
  EXPECT_FALSE(r->linux.find_ns(NsType::network));
}

TEST(ParseConfigTest, ParsesProcessFields) {
  json j = minimal();
  j["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"umask", 63}, {"additionalGids", {5, 6}}};
  j["process"]["env"] = {"A=1", "PATH=/bin"};
  j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 10}, {"hard", 20}}};
  j["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_KILL"}},
                                  {"effective", {"CAP_KILL"}}};
  j["process"]["oomScoreAdj"] = 100;
  j["process"]["noNewPrivileges"] = true;
  auto r = parse_config(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Process& p = r->process;
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(*p.user.umask, 63u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.rlimits.at(0).resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.capabilities->bounding, (1u << 0) | (1u << 5));
  EXPECT_EQ(p.capabilities->effective, 1u << 5);
  EXPECT_EQ(*p.oom_score_adj, 100);
  EXPECT_TRUE(p.no_new_privileges);
}

TEST(ParseConfigTest, MalformedJsonNamesTheFile) {
  auto r = parse_config("{not json", "/b/config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "`/b/config.json` is not valid JSON: line 1, column 3: syntax error while parsing "
            "object key - invalid literal; last read: '{no'; expected string literal");
}

TEST(ParseConfigTest, WrongTypeNamesTheField) {
  json j = minimal();
  j["process"]["user"]["uid"] = "root";
  EXPECT_EQ(error_of(j), "config.json: `process.user.uid`: expected an integer, got a string");
}

TEST(ParseConfigTest, MissingRequiredFieldsAreNamed) {
  json j = minimal();
  j.erase("process");
  EXPECT_EQ(error_of(j), "config.json: `process`: is required");
  j = minimal();
  j["process"]["args"] = json::array();
  EXPECT_NE(error_of(j).find("`process.args`"), std::string::npos);
  j = minimal();
  j["root"].erase("path");
  EXPECT_NE(error_of(j).find("`root.path`"), std::string::npos);
}

TEST(ParseConfigTest, UnknownNamespaceTypeIsRejected) {
  json j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "bogus"}});
  EXPECT_EQ(error_of(j), "config.json: `linux.namespaces[3].type`: unknown namespace type `bogus`");
}

TEST(ParseConfigTest, DuplicateNamespaceIsRejected) {
  json j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "pid"}});
  EXPECT_NE(error_of(j).find("listed twice"), std::string::npos);
}

TEST(ParseConfigTest, SchedulerIoPriorityPersonalityAndTimeOffsets) {
  json j = minimal();
  j["process"]["scheduler"] = {{"policy", "SCHED_DEADLINE"},
                               {"flags", {"SCHED_FLAG_RESET_ON_FORK"}},
                               {"runtime", 10},
                               {"deadline", 20},
                               {"period", 30}};
  j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 4}};
  j["linux"]["personality"] = {{"domain", "LINUX32"}};
  j["linux"]["namespaces"].push_back({{"type", "time"}});
  j["linux"]["timeOffsets"] = {{"boottime", {{"secs", 5}, {"nanosecs", 7}}}};
  Config c = parse_ok(j);
  ASSERT_TRUE(c.process.scheduler && c.process.io_priority && c.linux.personality);
  EXPECT_EQ(c.process.scheduler->policy, 6u);
  EXPECT_EQ(c.process.scheduler->flags, 1u);
  EXPECT_EQ(c.process.scheduler->period, 30u);
  EXPECT_EQ(c.process.io_priority->klass, 2);
  EXPECT_EQ(*c.linux.personality, 8u);
  EXPECT_EQ(c.linux.time_offsets.at("boottime").nanosecs, 7u);

  struct Case {
    const char* pointer;
    json value;
    const char* error;
  } cases[] = {
      {"/process/scheduler/policy", "SCHED_X",
       "`process.scheduler.policy`: `SCHED_X` is not one of SCHED_OTHER, SCHED_FIFO"},
      {"/process/scheduler/nice", 20, "`process.scheduler.nice`: must be between -20 and 19"},
      {"/process/scheduler/flags", {"NOPE"}, "`process.scheduler.flags[0]`: `NOPE` is not one of"},
      {"/process/ioPriority/priority", 8, "`process.ioPriority.priority`: must be between 0 and 7"},
      {"/process/ioPriority/class", "RT", "`process.ioPriority.class`: `RT` is not one of"},
      {"/linux/personality/domain", "LINUX64", "`linux.personality.domain`: `LINUX64`"},
      {"/linux/personality/flags", {"X"}, "`linux.personality.flags[0]`: `X`: the runtime-spec"},
      {"/linux/timeOffsets/realtime", {{"secs", 1}}, "`linux.timeOffsets`: `realtime` is not"},
      {"/linux/timeOffsets/boottime/nanosecs", 1000000000,
       "`linux.timeOffsets.boottime.nanosecs`: must be below 1000000000"},
  };
  for (const auto& k : cases) {
    json b = j;
    b[json::json_pointer(k.pointer)] = k.value;
    std::string e = error_of(b);
    EXPECT_NE(e.find(k.error), std::string::npos) << k.pointer << " -> " << e;
  }
  json no_ns = minimal();
  no_ns["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}};
  EXPECT_EQ(error_of(no_ns),
            "config.json: `linux.timeOffsets`: is set but there is no `time` namespace");
}

TEST(ParseConfigTest, NoNamespacesAtAllIsAccepted) {
  json j = minimal();
  j["linux"]["namespaces"] = json::array();  // valid, and runc runs it
  EXPECT_TRUE(parse_ok(j).linux.namespaces.empty());
  j["hostname"] = "box";  // but a hostname needs a UTS namespace
  EXPECT_EQ(error_of(j), "config.json: `hostname`: setting it needs a `uts` namespace");
}

TEST(ParseConfigTest, UserNamespaceMappings) {
  json j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  EXPECT_EQ(error_of(j),
            "config.json: `linux.uidMappings`: is required for a new `user` namespace");
  json map = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  j["linux"]["uidMappings"] = map;
  j["linux"]["gidMappings"] = map;
  Config c = parse_ok(j);
  ASSERT_EQ(c.linux.uid_mappings.size(), 1u);
  EXPECT_EQ(c.linux.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(c.linux.gid_mappings[0].size, 65536u);

  json bad = j;
  bad["linux"]["uidMappings"][0]["size"] = 0;
  EXPECT_EQ(error_of(bad), "config.json: `linux.uidMappings[0].size`: must be at least 1");
  bad = j;
  bad["linux"]["gidMappings"][0]["hostID"] = 4294967000u;
  EXPECT_EQ(error_of(bad),
            "config.json: `linux.gidMappings[0].size`: the range from hostID 4294967000 does "
            "not fit in 32-bit ids");
  bad = j;
  bad["linux"]["uidMappings"][0].erase("hostID");
  EXPECT_EQ(error_of(bad), "config.json: `linux.uidMappings[0].hostID`: is required");
  bad = j;
  bad["linux"]["uidMappings"][0]["containerID"] = -1;
  EXPECT_NE(error_of(bad).find("`linux.uidMappings[0].containerID`"), std::string::npos);

  // A joined user namespace needs no mappings; mappings without a user namespace are an error.
  json joined = minimal();
  joined["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}});
  EXPECT_TRUE(parse_ok(joined).linux.uid_mappings.empty());
  json none = minimal();
  none["linux"]["gidMappings"] = map;
  EXPECT_EQ(error_of(none),
            "config.json: `linux.gidMappings`: is set but there is no `user` namespace");
}

TEST(ParseConfigTest, FieldsOfPartTwoAreRejectedByName) {
  struct Case {
    const char* pointer;
    json value;
    const char* field;
  } cases[] = {
      {"/linux/uidMappings",
       {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}},
       "`linux.uidMappings`"},
      {"/process/apparmorProfile", "x", "`process.apparmorProfile`"},
      {"/process/selinuxLabel", "x", "`process.selinuxLabel`"},
  };
  for (const auto& c : cases) {
    json j = minimal();
    j[json::json_pointer(c.pointer)] = c.value;
    std::string e = error_of(j);
    EXPECT_NE(e.find(c.field), std::string::npos) << c.pointer << " -> " << e;
  }
}

TEST(ParseConfigTest, ResourcesAreParsedWithTheirTypes) {
  json j = minimal();
  j["linux"]["resources"] = {
      {"memory", {{"limit", 33554432}, {"swap", -1}, {"disableOOMKiller", false}}},
      {"cpu", {{"shares", 1024}, {"quota", -1}, {"cpus", "0-1"}}},
      {"pids", {{"limit", 0}}},
      {"blockIO",
       {{"weight", 0}, {"throttleReadBpsDevice", {{{"major", 8}, {"minor", 0}, {"rate", 1}}}}}},
      {"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4194304}}}},
      {"unified", {{"memory.high", "1000"}}}};
  auto r = parse_config(j.dump(), "config.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Resources& res = r->linux.resources;
  EXPECT_EQ(res.memory->limit, 33554432);
  EXPECT_EQ(res.memory->swap, -1);
  EXPECT_EQ(res.memory->disable_oom_killer, false);
  EXPECT_EQ(res.cpu->shares, 1024u);
  EXPECT_EQ(res.cpu->quota, -1);
  EXPECT_EQ(res.cpu->cpus, "0-1");
  EXPECT_EQ(res.pids_limit, 0);
  EXPECT_EQ(res.block_io->throttle_read_bps[0].rate, 1u);
  EXPECT_EQ(res.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(res.unified.at("memory.high"), "1000");
}

TEST(ParseConfigTest, ResourceErrorsNameTheField) {
  struct Case {
    const char* pointer;
    json value;
    const char* error;
  } cases[] = {
      {"/linux/resources/memory/limit", "32m",
       "`linux.resources.memory.limit`: expected an integer, got a string"},
      {"/linux/resources/memory/swappiness", 101,
       "`linux.resources.memory.swappiness`: must be between 0 and 100, not 101"},
      {"/linux/resources/memory/limit", -2,
       "`linux.resources.memory.limit`: must be -1 (no limit) or a number of bytes, not -2"},
      {"/linux/resources/pids", json::object(), "`linux.resources.pids.limit`: is required"},
      {"/linux/resources/blockIO/weight", 70000,
       "`linux.resources.blockIO.weight`: expected an integer from 0 to 65535, got 70000"},
      {"/linux/resources/unified",
       {{"../x", "1"}},
       "`linux.resources.unified`: `../x` is not a cgroup file name"},
  };
  for (const auto& c : cases) {
    json j = minimal();
    j[json::json_pointer(c.pointer)] = c.value;
    EXPECT_EQ(error_of(j), std::string("config.json: ") + c.error) << c.pointer;
  }
}

TEST(ParseConfigTest, SeccompErrorsNameTheField) {
  struct Case {
    json value;
    const char* error;
  } cases[] = {
      {{{"defaultAction", "SCMP_ACT_NOPE"}},
       "`linux.seccomp.defaultAction`: unknown action `SCMP_ACT_NOPE`"},
      {json::object(), "`linux.seccomp.defaultAction`: is required"},
      {{{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_VAX"}}},
       "`linux.seccomp.architectures[0]`: unknown architecture `SCMP_ARCH_VAX`"},
      {{{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_NEW_LISTENER"}}},
       "`linux.seccomp.flags[0]`: flag `SECCOMP_FILTER_FLAG_NEW_LISTENER` is not supported "
       "(SECCOMP_FILTER_FLAG_TSYNC, _LOG and _SPEC_ALLOW are)"},
      {{{"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"mkdir"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ABOUT"}}}}}}}},
       "`linux.seccomp.syscalls[0].args[0].op`: unknown operator `SCMP_CMP_ABOUT`"},
      {{{"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"mkdir"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}}}},
       "`linux.seccomp.syscalls[0].args[0].index`: must be 0 to 5, not 6"},
      {{{"defaultAction", "SCMP_ACT_NOTIFY"}},
       "`linux.seccomp.listenerPath`: is required when an action is SCMP_ACT_NOTIFY"},
  };
  for (const auto& c : cases) {
    json j = minimal();
    j["linux"]["seccomp"] = c.value;
    EXPECT_EQ(error_of(j), std::string("config.json: ") + c.error) << c.value.dump();
  }
  json ok = minimal();
  ok["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", 1},
      {"syscalls", {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
  auto r = parse_config(ok.dump(), "config.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->linux.seccomp->default_errno_ret, 1u);
  EXPECT_EQ(r->linux.seccomp->syscalls[0].names.size(), 2u);
}

TEST(ParseConfigTest, IdsThatMeanNoChangeAreRefused) {
  // setresuid(-1, ...) leaves the id alone: the workload would run as root.
  for (const char* field : {"uid", "gid"}) {
    json j = minimal();
    j["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    j["process"]["user"][field] = 4294967295u;
    EXPECT_EQ(error_of(j), std::string("config.json: `process.user.") + field +
                               "`: 4294967295 is not a usable id (the kernel reads it as \"no "
                               "change\")");
  }
  json j = minimal();
  j["process"]["user"] = {{"uid", 0}, {"gid", 0}, {"additionalGids", {5, 4294967295u}}};
  EXPECT_NE(error_of(j).find("`process.user.additionalGids[1]`: 4294967295"), std::string::npos);
  j["process"]["user"]["uid"] = 4294967296u;
  EXPECT_NE(error_of(j).find("`process.user.uid`: expected an integer from 0 to 4294967295"),
            std::string::npos);
}

TEST(ParseConfigTest, StringsWithANulByteAreRefused) {
  struct Case {
    const char* pointer;
    const char* field;
  } cases[] = {{"/process/args/0", "`process.args[0]`"},
               {"/process/env/0", "`process.env[0]`"},
               {"/hostname", "`hostname`"},
               {"/root/path", "`root.path`"},
               {"/process/cwd", "`process.cwd`"},
               {"/mounts/0/destination", "`mounts[0].destination`"}};
  for (const auto& c : cases) {
    json j = minimal();
    j["process"]["env"] = {"A=1"};
    j["mounts"] = {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}};
    j[json::json_pointer(c.pointer)] = std::string("/ok\0/evil", 9);
    std::string e = error_of(j);
    EXPECT_NE(e.find(std::string(c.field) + ": contains a NUL byte at offset 3"), std::string::npos)
        << c.pointer << ": " << e;
  }
}

TEST(ParseConfigTest, RlimitsNeedBothValues) {
  json j = minimal();
  j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}}};
  EXPECT_EQ(error_of(j), "config.json: `process.rlimits[0].soft`: is required");
}

TEST(ParseConfigTest, EmptyPartTwoObjectsAreAccepted) {
  json j = minimal();
  j["hooks"] = json::object();
  j["linux"]["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
  EXPECT_EQ(error_of(j), "");
}

TEST(ParseConfigTest, UnknownCapabilityAndRlimitAreNamed) {
  json j = minimal();
  j["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_NOPE"}}};
  EXPECT_EQ(error_of(j),
            "config.json: `process.capabilities.bounding[1]`: unknown capability `CAP_NOPE`");
  j = minimal();
  j["process"]["rlimits"] = {{{"type", "RLIMIT_NOPE"}, {"soft", 1}, {"hard", 1}}};
  EXPECT_NE(error_of(j).find("`process.rlimits[0].type`"), std::string::npos);
}

TEST(ParseConfigTest, AmbientCapabilitiesThatCannotBeRaisedAreAccepted) {
  // Debian's `runc spec` lists ambient capabilities that are not inheritable; runc runs it.
  json j = minimal();
  j["process"]["capabilities"] = {{"ambient", {"CAP_CHOWN"}}, {"permitted", {"CAP_CHOWN"}}};
  auto r = parse_config(j.dump(), "config.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->process.capabilities->ambient, uint64_t{1} << 0);
}

TEST(ParseConfigTest, HostnameNeedsAUtsNamespaceNewOrJoined) {
  json j = minimal();
  j["hostname"] = "h";
  EXPECT_EQ(error_of(j), "");
  j["linux"]["namespaces"] = {{{"type", "mount"}}};
  EXPECT_EQ(error_of(j), "config.json: `hostname`: setting it needs a `uts` namespace");
  j["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "uts"}, {"path", "/proc/1/ns/uts"}}};
  EXPECT_EQ(error_of(j), "") << "joined by path, as runc allows";
}

TEST(ParseConfigTest, RelativeCwdAndBadEnvAreRejected) {
  json j = minimal();
  j["process"]["cwd"] = "tmp";
  EXPECT_NE(error_of(j).find("`process.cwd`"), std::string::npos);
  j = minimal();
  j["process"]["env"] = {"NOEQUALS"};
  EXPECT_NE(error_of(j).find("`process.env[0]`"), std::string::npos);
}

TEST(ParseConfigTest, DeviceRulesAreParsed) {
  json j = minimal();
  j["linux"]["resources"]["devices"] = {
      {{"allow", false}, {"access", "rwm"}},
      {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}};
  auto r = parse_config(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->linux.device_rules.size(), 2u);
  EXPECT_EQ(r->linux.device_rules[0].type, 'a');
  EXPECT_FALSE(r->linux.device_rules[0].major);
  EXPECT_EQ(*r->linux.device_rules[1].minor, 3);
  j["linux"]["resources"]["devices"][1]["access"] = "rwx";
  EXPECT_NE(error_of(j).find("`linux.resources.devices[1].access`"), std::string::npos);
}

TEST(ParseConfigTest, UnknownPropertiesAreIgnoredAsTheSpecRequires) {
  json j = minimal();
  j["futureField"] = {{"x", 1}};
  j["process"]["futureProcessField"] = 3;
  EXPECT_EQ(error_of(j), "");
}

TEST(NamespaceTest, CloneFlagsAndNames) {
  EXPECT_EQ(ns_clone_flag(NsType::network), CLONE_NEWNET);
  EXPECT_STREQ(ns_proc_name(NsType::mount), "mnt");
  EXPECT_STREQ(ns_config_name(NsType::network), "network");
}

}  // namespace
}  // namespace oci
