#include "runtime/systemd.h"

#include <gtest/gtest.h>

namespace runtime {
namespace {

TEST(SystemdSlice, ExpandsAsSystemd) {
  EXPECT_EQ(*expand_slice("system.slice"), "/system.slice");
  EXPECT_EQ(*expand_slice("test-a-b.slice"), "/test.slice/test-a.slice/test-a-b.slice");
  EXPECT_EQ(*expand_slice("-.slice"), "/");
  for (const char* bad :
       {".slice", "a--b.slice", "-a.slice", "a-.slice", "a/b.slice", "slice", "a.scope", ""}) {
    auto r = expand_slice(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(), std::string("invalid slice name: ") + bad);
  }
}

TEST(SystemdPath, SlicePrefixName) {
  auto u = parse_systemd_path("machine-x.slice:docker:abc", "id");
  ASSERT_TRUE(u.ok()) << u.error().what();
  EXPECT_EQ(u->slice, "machine-x.slice");
  EXPECT_EQ(u->slice_path, "/machine.slice/machine-x.slice");
  EXPECT_EQ(u->unit, "docker-abc.scope");
  EXPECT_EQ(u->name, "abc");
  // Empty: rune's scope in system.slice; an empty slice part too.
  u = parse_systemd_path("", "c1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->unit, "rune-c1.scope");
  EXPECT_EQ(u->slice, "system.slice");
  u = parse_systemd_path(":p:n", "c1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->slice_path, "/system.slice");
  EXPECT_EQ(u->unit, "p-n.scope");
  // A name ending in .slice is a slice unit.
  u = parse_systemd_path("a.slice:p:b.slice", "c1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->unit, "b.slice");
  auto props = unit_properties(*u, 5, Driver::v1);
  EXPECT_EQ(props[1].items[0].str, "Wants");
  EXPECT_EQ(props[1].items[1].items[0], dbus::Value::array("s", {dbus::Value::string("a.slice")}));
  // runc's texts.
  auto bad = parse_systemd_path("a:b", "c1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find(
                "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, "
                "got \"a:b\" instead"),
            std::string::npos);
  EXPECT_FALSE(parse_systemd_path("a:b:c:d", "c1").ok());
  EXPECT_FALSE(parse_systemd_path("x.slice:p:a b", "c1").ok());
  EXPECT_FALSE(parse_systemd_path("x.slice:p:", "c1").ok());
}

std::map<std::string, dbus::Value> by_name(const std::vector<Property>& props) {
  std::map<std::string, dbus::Value> m;
  for (const auto& p : props) m[p.items[0].str] = p.items[1].items[0];
  return m;
}

TEST(SystemdResources, AsRuncSetsThem) {
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = -1;
  r.cpu.emplace();
  r.cpu->shares = 1024;
  r.cpu->quota = 12345;  // 12.345 % of a CPU: rounded up to whole percents
  r.pids_limit = -1;
  int asked = 0;
  std::vector<std::string> warnings;
  auto m = by_name(resource_properties(
      r, {},
      [&] {
        ++asked;
        return 252;
      },
      &warnings, Driver::v1));
  EXPECT_EQ(m["MemoryLimit"], dbus::Value::u64(UINT64_MAX));
  EXPECT_EQ(m["CPUShares"], dbus::Value::u64(1024));
  EXPECT_EQ(m["CPUQuotaPerSecUSec"], dbus::Value::u64(130000));
  EXPECT_EQ(m.count("CPUQuotaPeriodUSec"), 0u);
  EXPECT_EQ(m["TasksMax"], dbus::Value::u64(UINT64_MAX));
  EXPECT_EQ(m.count("DevicePolicy"), 0u);  // no device rules in the config: none sent
  EXPECT_EQ(asked, 0);                     // the version is asked only when needed
  // A period: the version decides; an unlimited quota is infinity.
  r.cpu->quota = -1;
  r.cpu->period = 50000;
  m = by_name(resource_properties(
      r, {},
      [&] {
        ++asked;
        return 241;
      },
      &warnings, Driver::v1));
  EXPECT_EQ(m.count("CPUQuotaPeriodUSec"), 0u);
  EXPECT_EQ(m["CPUQuotaPerSecUSec"], dbus::Value::u64(UINT64_MAX));
  EXPECT_EQ(asked, 1);
  // pids 0 (podman's "unlimited") and shares 0 (docker's default): nothing.
  r = {};
  r.pids_limit = 0;
  r.cpu.emplace();
  r.cpu->shares = 0;
  r.cpu->cpus = "0-3,9";
  m = by_name(resource_properties(
      r, {}, [] { return 252; }, &warnings, Driver::v1));
  EXPECT_EQ(m.count("TasksMax"), 0u);
  EXPECT_EQ(m.count("CPUShares"), 0u);
  // systemd's byte order: byte i holds CPUs 8i..8i+7.
  EXPECT_EQ(m["AllowedCPUs"],
            dbus::Value::array("y", {dbus::Value::byte(0x0f), dbus::Value::byte(0x02)}));
  m = by_name(resource_properties(
      r, {}, [] { return 243; }, &warnings, Driver::v1));
  EXPECT_EQ(m.count("AllowedCPUs"), 0u);
}

TEST(SystemdResources, UnifiedDriverAsRuncsV2) {
  SystemdUnit u;
  u.slice = "system.slice";
  u.name = "c";
  u.unit = "rune-c.scope";
  auto start = unit_properties(u, 9, Driver::unified);
  EXPECT_EQ(start[6], property("IOAccounting", dbus::Value::boolean(true)));
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = 1000;
  r.memory->swap = 3000;  // memory+swap 3000: 2000 of swap on cgroup2
  r.memory->reservation = 500;
  r.cpu.emplace();
  r.cpu->shares = 1024;
  r.pids_limit = 50;
  r.unified = {{"memory.high", " 900\n"}, {"cpu.max", "max 50000"}, {"io.weight", "100"}};
  std::vector<std::string> warnings;
  auto p = resource_properties(
      r, {}, [] { return 252; }, &warnings, Driver::unified);
  std::vector<std::string> names;
  for (const auto& x : p) names.push_back(x.items[0].str);
  EXPECT_EQ(names, (std::vector<std::string>{"MemoryMax", "MemoryLow", "MemorySwapMax", "CPUWeight",
                                             "TasksMax", "CPUQuotaPeriodUSec", "CPUQuotaPerSecUSec",
                                             "MemoryHigh"}));
  auto m = by_name(p);
  EXPECT_EQ(m["MemorySwapMax"], dbus::Value::u64(2000));
  EXPECT_EQ(m["CPUWeight"], dbus::Value::u64(39));  // runc: 1 + (1024-2)*9999/262142
  EXPECT_EQ(m["CPUQuotaPerSecUSec"], dbus::Value::u64(UINT64_MAX));  // cpu.max "max 50000"
  EXPECT_EQ(m["MemoryHigh"], dbus::Value::u64(900));
  // -1 memory, no swap: both unlimited.
  r = {};
  r.memory.emplace();
  r.memory->limit = -1;
  m = by_name(resource_properties(
      r, {}, [] { return 252; }, &warnings, Driver::unified));
  EXPECT_EQ(m["MemoryMax"], dbus::Value::u64(UINT64_MAX));
  EXPECT_EQ(m["MemorySwapMax"], dbus::Value::u64(UINT64_MAX));
}

TEST(SystemdResources, DeviceRules) {
  std::vector<std::string> warnings;
  oci::DeviceRule deny_all;  // allow=false, type a
  oci::DeviceRule null_dev;
  null_dev.allow = true;
  null_dev.type = 'c';
  null_dev.major = 1;
  null_dev.minor = 3;
  null_dev.access = "rw";
  auto props = resource_properties(
      {}, {deny_all, null_dev}, [] { return 252; }, &warnings, Driver::v1);
  ASSERT_GE(props.size(), 3u);
  EXPECT_EQ(props[0], property("DevicePolicy", dbus::Value::string("strict")));
  EXPECT_EQ(props[1], property("DeviceAllow", dbus::Value::array("(ss)", {})));
  const auto& list = props[2].items[1].items[0].items;
  auto has = [&](const std::string& path, const std::string& perms) {
    for (const auto& e : list)
      if (e.items[0].str == path && e.items[1].str == perms) return true;
    return false;
  };
  EXPECT_TRUE(has("char-*", "m"));
  EXPECT_TRUE(has("block-*", "m"));
  EXPECT_TRUE(has("/dev/char/1:3", "rwm"));  // the config's rw merged with every container's rwm
  EXPECT_TRUE(has("char-pts", "rwm"));
  // Allow-all: systemd's "auto" policy.
  oci::DeviceRule allow_all;
  allow_all.allow = true;
  props = resource_properties(
      {}, {allow_all}, [] { return 252; }, &warnings, Driver::v1);
  ASSERT_EQ(props.size(), 2u);
  EXPECT_EQ(props[0], property("DevicePolicy", dbus::Value::string("auto")));
}

}  // namespace
}  // namespace runtime
