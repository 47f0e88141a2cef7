// Tests of src/linux/cgroup_stats.cpp on directories standing in for a container's cgroups:
// runc's stats shape from v1 and v2 files, and the v2 OOM watch.
#include "linux/cgroup_stats.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "temp_dir.h"

namespace kernel {
namespace {

class CgroupStatsTest : public testutil::TempDirTest {
 protected:
  std::string dir(const std::string& name) {
    std::string d = dir_ + "/" + name;
    mkdir(d.c_str(), 0755);
    return d;
  }
  void put(const std::string& d, const std::string& file, const std::string& text) {
    ASSERT_TRUE(base::write_file_atomic(d + "/" + file, text).ok());
  }
};

TEST_F(CgroupStatsTest, V1InRuncsShapeAndOrder) {
  std::string cpu = dir("cpu"), mem = dir("memory"), pids = dir("pids"), cpuset = dir("cpuset");
  put(cpu, "cpuacct.usage", "300\n");
  put(cpu, "cpuacct.usage_percpu", "100 200 \n");
  put(cpu, "cpuacct.usage_all", "cpu user system\n0 10 90\n1 20 180\n");
  put(cpu, "cpuacct.stat", "user 2\nsystem 3\n");
  put(cpu, "cpu.stat", "nr_periods 5\nnr_throttled 1\nthrottled_time 77\n");
  put(mem, "memory.limit_in_bytes", "33554432\n");
  put(mem, "memory.usage_in_bytes", "4096\n");
  put(mem, "memory.max_usage_in_bytes", "8192\n");
  put(mem, "memory.failcnt", "3\n");
  put(mem, "memory.stat", "cache 0\nrss 4096\n");
  put(pids, "pids.current", "2\n");
  put(pids, "pids.max", "max\n");
  put(cpuset, "cpuset.cpus", "0-2,5\n");
  put(cpuset, "cpuset.mems", "0\n");
  put(cpuset, "cpuset.sched_relax_domain_level", "-1\n");
  CgroupSet cg;
  cg.hierarchies = {{cpu, "cpu,cpuacct", false},
                    {mem, "memory", false},
                    {pids, "pids", false},
                    {cpuset, "cpuset", false}};
  cg.dirs = {cpu, mem, pids, cpuset};
  auto s = stats_json(cg);
  ASSERT_TRUE(s.ok()) << s.error().what();
  auto j = nlohmann::ordered_json::parse(*s);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"cpu", "cpuset", "memory", "pids", "blkio", "hugetlb",
                                            "intel_rdt", "network_interfaces"}));
  const long tick = sysconf(_SC_CLK_TCK);
  EXPECT_EQ(j["cpu"]["usage"]["total"], 300);
  EXPECT_EQ(j["cpu"]["usage"]["percpu"], (std::vector<int>{100, 200}));
  EXPECT_EQ(j["cpu"]["usage"]["percpu_kernel"], (std::vector<int>{90, 180}));
  EXPECT_EQ(j["cpu"]["usage"]["percpu_user"], (std::vector<int>{10, 20}));
  EXPECT_EQ(j["cpu"]["usage"]["kernel"], 3 * (1000000000 / tick));
  EXPECT_EQ(j["cpu"]["usage"]["user"], 2 * (1000000000 / tick));
  EXPECT_EQ(j["cpu"]["throttling"].dump(),
            R"({"periods":5,"throttledPeriods":1,"throttledTime":77})");
  EXPECT_EQ(j["cpuset"]["cpus"], (std::vector<int>{0, 1, 2, 5}));
  EXPECT_EQ(j["cpuset"]["sched_relax_domain_level"], -1);
  EXPECT_FALSE(j["memory"].contains("cache"));  // omitted when 0, as runc
  EXPECT_EQ(j["memory"]["usage"].dump(),
            R"({"limit":33554432,"usage":4096,"max":8192,"failcnt":3})");
  EXPECT_EQ(j["memory"]["swap"].dump(), R"({"limit":0,"failcnt":0})");
  EXPECT_EQ(j["memory"]["raw"]["rss"], 4096);
  EXPECT_EQ(j["pids"].dump(), R"({"current":2})");  // "max": no limit, omitted
  EXPECT_EQ(j["blkio"].dump(), "{}");
  EXPECT_TRUE(j["network_interfaces"].is_null());
}

TEST_F(CgroupStatsTest, V2FilesMapToTheSameShape) {
  std::string d = dir("c1");
  put(d, "cpu.stat",
      "usage_usec 7\nuser_usec 4\nsystem_usec 3\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
  put(d, "memory.current", "4096\n");
  put(d, "memory.max", "max\n");
  put(d, "memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
  put(d, "memory.stat", "anon 4096\nfile 8192\n");
  put(d, "pids.current", "3\n");
  put(d, "pids.max", "64\n");
  put(d, "io.stat", "8:0 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
  CgroupSet cg;
  cg.hierarchies = {{dir_, "", true}};
  cg.dirs = {d};
  auto s = stats_json(cg);
  ASSERT_TRUE(s.ok()) << s.error().what();
  auto j = nlohmann::ordered_json::parse(*s);
  EXPECT_EQ(j["cpu"]["usage"].dump(), R"({"total":7000,"kernel":3000,"user":4000})");
  EXPECT_EQ(j["memory"]["cache"], 8192);
  EXPECT_EQ(j["memory"]["usage"]["limit"], UINT64_MAX);
  EXPECT_EQ(j["memory"]["usage"]["usage"], 4096);
  EXPECT_EQ(j["memory"]["usage"]["failcnt"], 2);
  EXPECT_EQ(j["pids"].dump(), R"({"current":3,"limit":64})");
  EXPECT_EQ(
      j["blkio"].dump(),
      R"({"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":512},{"major":8,"op":"Write"}],)"
      R"("ioServicedRecursive":[{"major":8,"op":"Read","value":1},{"major":8,"op":"Write"}]})");
}

TEST_F(CgroupStatsTest, V2OomWatchCountsNewKills) {
  std::string d = dir("c1");
  put(d, "memory.events", "oom 1\noom_kill 1\n");
  CgroupSet cg;
  cg.hierarchies = {{dir_, "", true}};
  cg.dirs = {d};
  auto w = OomWatch::open(cg);
  ASSERT_TRUE(w.ok()) << w.error().what();
  // Written in place (the kernel updates the file; inotify sees a modification).
  ASSERT_TRUE(base::write_file(d + "/memory.events", "oom 3\noom_kill 3\n").ok());
  pollfd p = {w->fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  EXPECT_EQ(w->take(), 2u);
  EXPECT_EQ(w->take(), 0u);
}

TEST_F(CgroupStatsTest, NoMemoryCgroupIsAnError) {
  CgroupSet cg;
  cg.hierarchies = {{dir_, "pids", false}};
  cg.dirs = {dir("pids")};
  auto w = OomWatch::open(cg);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().what().find("no memory cgroup"), std::string::npos);
}

}  // namespace
}  // namespace kernel
