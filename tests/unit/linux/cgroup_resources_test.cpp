// Tests of src/linux/cgroup_resources.cpp: which files get which values, for a v1 host, this
// hybrid host (hugetlb on cgroup2) and a cgroup2-only host (runc 1.1's conversions), against
// fixtures of the files each kind of host has.
#include "linux/cgroup_resources.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace kernel {
namespace {

struct FakeFs {
  std::set<std::string> files;
  std::map<std::string, std::string> text;
  CgroupFiles view() const {
    return {[this](const std::string& p) { return files.count(p) || text.count(p); },
            [this](const std::string& p) -> std::optional<std::string> {
              auto it = text.find(p);
              if (it == text.end()) return std::nullopt;
              return it->second;
            }};
  }
};

Hierarchy v1(const std::string& controllers) {
  Hierarchy h;
  h.mountpoint = "/sys/fs/cgroup/" + controllers;
  h.controllers = controllers;
  return h;
}

// This host: v1 hierarchies, and the cgroup2 mount owning hugetlb.
CgroupSet hybrid() {
  CgroupSet cg;
  for (const char* c : {"memory", "cpu", "cpuset", "pids", "blkio"}) {
    cg.hierarchies.push_back(v1(c));
    cg.dirs.push_back(std::string("/sys/fs/cgroup/") + c + "/c1");
  }
  Hierarchy u;
  u.mountpoint = "/sys/fs/cgroup/unified";
  u.v2 = true;
  cg.hierarchies.push_back(u);
  cg.dirs.push_back("/sys/fs/cgroup/unified/c1");
  return cg;
}

CgroupSet v2_only() {
  CgroupSet cg;
  Hierarchy h;
  h.mountpoint = "/sys/fs/cgroup";
  h.v2 = true;
  cg.hierarchies.push_back(h);
  cg.dirs.push_back("/sys/fs/cgroup/kube/c1");
  return cg;
}

FakeFs hybrid_files() {
  FakeFs fs;
  fs.files = {"/sys/fs/cgroup/memory/c1/memory.memsw.limit_in_bytes",
              "/sys/kernel/mm/hugepages/hugepages-2048kB",
              "/sys/kernel/mm/hugepages/hugepages-1048576kB"};
  fs.text["/sys/fs/cgroup/memory/c1/memory.limit_in_bytes"] = "9223372036854771712\n";
  fs.text["/sys/fs/cgroup/unified/cgroup.controllers"] = "hugetlb\n";
  fs.text["/sys/fs/cgroup/unified/cgroup.subtree_control"] = "\n";
  return fs;
}

FakeFs v2_files() {
  FakeFs fs;
  fs.files = {"/sys/kernel/mm/hugepages/hugepages-2048kB", "/sys/fs/cgroup/kube/c1/memory.high"};
  fs.text["/sys/fs/cgroup/cgroup.controllers"] = "cpuset cpu io memory hugetlb pids rdma misc\n";
  fs.text["/sys/fs/cgroup/cgroup.subtree_control"] = "cpu memory pids\n";
  fs.text["/sys/fs/cgroup/kube/cgroup.subtree_control"] = "cpu memory pids\n";
  return fs;
}

// "file=value" per write, the directory left out.
std::vector<std::string> plan(const CgroupSet& cg, const oci::Resources& r, const FakeFs& fs,
                              std::string* error = nullptr) {
  auto w = plan_resources(cg, r, fs.view());
  if (!w.ok()) {
    if (error) *error = w.error().message();
    return {};
  }
  std::vector<std::string> out;
  for (const auto& x : *w) out.push_back(x.path + "=" + x.value);
  return out;
}

TEST(CgroupResourcesTest, EnginesNoOpValuesWriteNothing) {
  oci::Resources r;  // docker 20.10 and podman 4.3 with --pids-limit -1
  r.memory = oci::MemoryResources{};
  r.memory->disable_oom_killer = false;
  r.cpu = oci::CpuResources{};
  r.cpu->shares = 0;
  r.block_io = oci::BlockIoResources{};
  r.block_io->weight = 0;
  r.pids_limit = 0;
  std::string err;
  EXPECT_TRUE(plan(hybrid(), r, hybrid_files(), &err).empty()) << err;
  EXPECT_EQ(err, "");
}

TEST(CgroupResourcesTest, V1FilesAsRuncWritesThem) {
  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = 32 << 20;
  r.memory->swap = 64 << 20;
  r.memory->reservation = 16 << 20;
  r.memory->swappiness = 10;
  r.memory->disable_oom_killer = true;
  r.cpu = oci::CpuResources{};
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->cpus = "0-1";
  r.pids_limit = -1;
  EXPECT_EQ(plan(hybrid(), r, hybrid_files()),
            (std::vector<std::string>{
                "/sys/fs/cgroup/memory/c1/memory.limit_in_bytes=33554432",
                "/sys/fs/cgroup/memory/c1/memory.memsw.limit_in_bytes=67108864",
                "/sys/fs/cgroup/memory/c1/memory.soft_limit_in_bytes=16777216",
                "/sys/fs/cgroup/memory/c1/memory.oom_control=1",
                "/sys/fs/cgroup/memory/c1/memory.swappiness=10",
                "/sys/fs/cgroup/cpu/c1/cpu.shares=512",
                "/sys/fs/cgroup/cpu/c1/cpu.cfs_period_us=100000",
                "/sys/fs/cgroup/cpu/c1/cpu.cfs_quota_us=50000",
                "/sys/fs/cgroup/cpuset/c1/cpuset.cpus=0-1",
                "/sys/fs/cgroup/pids/c1/pids.max=max",
            }));
}

TEST(CgroupResourcesTest, UnlimitedSwapIsWrittenBeforeTheLimit) {
  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = -1;
  EXPECT_EQ(plan(hybrid(), r, hybrid_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/memory/c1/memory.memsw.limit_in_bytes=-1",
                                      "/sys/fs/cgroup/memory/c1/memory.limit_in_bytes=-1"}));
}

TEST(CgroupResourcesTest, HybridHugetlbGoesThroughCgroup2AndIsEnabledThere) {
  oci::Resources r;
  r.hugepage_limits = {{"2MB", 4 << 20}, {"1GB", 1u << 30}};
  EXPECT_EQ(plan(hybrid(), r, hybrid_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/unified/cgroup.subtree_control=+hugetlb",
                                      "/sys/fs/cgroup/unified/c1/hugetlb.2MB.max=4194304",
                                      "/sys/fs/cgroup/unified/c1/hugetlb.1GB.max=1073741824"}));
  r.hugepage_limits = {{"4MB", 1}};
  std::string err;
  plan(hybrid(), r, hybrid_files(), &err);
  EXPECT_EQ(err,
            "`linux.resources.hugepageLimits[0].pageSize`: `4MB` is not a huge page size of this "
            "machine (see /sys/kernel/mm/hugepages)");
}

TEST(CgroupResourcesTest, ControllersMountedNowhereAreErrorsNamingTheField) {
  oci::Resources r;
  r.network = oci::NetworkResources{};
  r.network->class_id = 0x100001;
  std::string err;
  plan(hybrid(), r, hybrid_files(), &err);
  EXPECT_EQ(err,
            "`linux.resources.network.classID`: no mounted cgroup hierarchy has the `net_cls` "
            "controller");
  oci::Resources rd;
  rd.rdma["mlx5_0"] = oci::RdmaLimit{3, 4};
  plan(hybrid(), rd, hybrid_files(), &err);
  EXPECT_EQ(err, "`linux.resources.rdma`: no mounted cgroup hierarchy has the `rdma` controller");
}

TEST(CgroupResourcesTest, BlkioWeightNeedsAFileThisKernelHas) {
  oci::Resources r;
  r.block_io = oci::BlockIoResources{};
  r.block_io->weight = 500;
  std::string err;
  plan(hybrid(), r, hybrid_files(), &err);
  EXPECT_NE(err.find("`linux.resources.blockIO.weight`: this kernel has no `blkio.bfq.weight`"),
            std::string::npos)
      << err;
  FakeFs bfq = hybrid_files();
  bfq.files.insert("/sys/fs/cgroup/blkio/c1/blkio.bfq.weight");
  EXPECT_EQ(plan(hybrid(), r, bfq),
            (std::vector<std::string>{"/sys/fs/cgroup/blkio/c1/blkio.bfq.weight=500"}));
  r.block_io->weight.reset();
  r.block_io->throttle_read_bps = {{8, 0, {}, {}, 1048576}};
  EXPECT_EQ(plan(hybrid(), r, hybrid_files()),
            (std::vector<std::string>{
                "/sys/fs/cgroup/blkio/c1/blkio.throttle.read_bps_device=8:0 1048576"}));
}

TEST(CgroupResourcesTest, V2ConversionsAsRunc) {
  EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);

  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = 32 << 20;
  r.memory->swap = 48 << 20;
  r.memory->reservation = 8 << 20;
  r.cpu = oci::CpuResources{};
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.pids_limit = 100;
  r.hugepage_limits = {{"2MB", 2 << 20}};
  r.unified["memory.high"] = "30000000";
  EXPECT_EQ(plan(v2_only(), r, v2_files()),
            (std::vector<std::string>{
                "/sys/fs/cgroup/kube/c1/memory.swap.max=16777216",
                "/sys/fs/cgroup/kube/c1/memory.max=33554432",
                "/sys/fs/cgroup/kube/c1/memory.low=8388608",
                "/sys/fs/cgroup/kube/c1/cpu.weight=39",
                "/sys/fs/cgroup/kube/c1/cpu.max=50000 100000",
                "/sys/fs/cgroup/kube/c1/pids.max=100",
                "/sys/fs/cgroup/cgroup.subtree_control=+hugetlb",
                "/sys/fs/cgroup/kube/cgroup.subtree_control=+hugetlb",
                "/sys/fs/cgroup/kube/c1/hugetlb.2MB.max=2097152",
                "/sys/fs/cgroup/kube/c1/memory.high=30000000",
            }));
}

TEST(CgroupResourcesTest, V2RefusesWhatItCannotExpress) {
  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->swap = 1 << 20;
  std::string err;
  plan(v2_only(), r, v2_files(), &err);
  EXPECT_EQ(err, "`linux.resources.memory.swap`: a swap limit needs a memory limit");
  r.memory->limit = 2 << 20;
  plan(v2_only(), r, v2_files(), &err);
  EXPECT_EQ(err,
            "`linux.resources.memory.swap`: memory+swap (1048576) is below the memory limit "
            "(2097152)");
  oci::Resources rt;
  rt.cpu = oci::CpuResources{};
  rt.cpu->realtime_runtime = 1000;
  plan(v2_only(), rt, v2_files(), &err);
  EXPECT_EQ(err, "`linux.resources.cpu.realtimeRuntime`: cgroup v2 has no real-time CPU limits");
  oci::Resources u;
  u.unified["cgroup.nosuchfile"] = "1";
  plan(v2_only(), u, v2_files(), &err);
  EXPECT_EQ(err,
            "`linux.resources.unified.cgroup.nosuchfile`: the container's cgroup2 directory has no "
            "file `cgroup.nosuchfile`");
}

TEST(CgroupResourcesTest, V2MemoryEdgesAsRunc) {
  // -1 alone: both unlimited. swap == limit: no swap (0). swap -1: unlimited swap.
  auto mem = [](std::optional<int64_t> limit, std::optional<int64_t> swap) {
    oci::Resources r;
    r.memory = oci::MemoryResources{};
    r.memory->limit = limit;
    r.memory->swap = swap;
    return r;
  };
  EXPECT_EQ(plan(v2_only(), mem(-1, {}), v2_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/memory.swap.max=max",
                                      "/sys/fs/cgroup/kube/c1/memory.max=max"}));
  EXPECT_EQ(plan(v2_only(), mem(32 << 20, 32 << 20), v2_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/memory.swap.max=0",
                                      "/sys/fs/cgroup/kube/c1/memory.max=33554432"}));
  EXPECT_EQ(plan(v2_only(), mem(32 << 20, -1), v2_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/memory.swap.max=max",
                                      "/sys/fs/cgroup/kube/c1/memory.max=33554432"}));
  oci::Resources oom = mem(32 << 20, {});
  oom.memory->disable_oom_killer = true;
  std::string err;
  plan(v2_only(), oom, v2_files(), &err);
  EXPECT_EQ(err,
            "`linux.resources.memory.disableOOMKiller`: cgroup v2 has no switch to disable the OOM "
            "killer");
}

TEST(CgroupResourcesTest, V2CpuMaxForms) {
  auto cpu = [](std::optional<int64_t> quota, std::optional<uint64_t> period) {
    oci::Resources r;
    r.cpu = oci::CpuResources{};
    r.cpu->quota = quota;
    r.cpu->period = period;
    return r;
  };
  EXPECT_EQ(plan(v2_only(), cpu(20000, {}), v2_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/cpu.max=20000"}));
  EXPECT_EQ(plan(v2_only(), cpu(-1, 100000), v2_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/cpu.max=max 100000"}));
  EXPECT_EQ(plan(v2_only(), cpu({}, 50000), v2_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/cpu.max=max 50000"}));
  oci::Resources r = cpu({}, {});
  r.cpu->shares = 2;
  r.cpu->burst = 1000;
  r.cpu->idle = 1;
  r.cpu->cpus = "0-1";
  r.cpu->mems = "0";
  r.pids_limit = -1;
  // cpuset is not enabled in the fixture's subtree_control: enabled on the way down.
  EXPECT_EQ(plan(v2_only(), r, v2_files()),
            (std::vector<std::string>{
                "/sys/fs/cgroup/kube/c1/cpu.weight=1",
                "/sys/fs/cgroup/kube/c1/cpu.max.burst=1000",
                "/sys/fs/cgroup/kube/c1/cpu.idle=1",
                "/sys/fs/cgroup/cgroup.subtree_control=+cpuset",
                "/sys/fs/cgroup/kube/cgroup.subtree_control=+cpuset",
                "/sys/fs/cgroup/kube/c1/cpuset.cpus=0-1",
                "/sys/fs/cgroup/kube/c1/cpuset.mems=0",
                "/sys/fs/cgroup/kube/c1/pids.max=max",
            }));
}

TEST(CgroupResourcesTest, V2BlockIoAsRunc) {
  oci::Resources r;
  r.block_io = oci::BlockIoResources{};
  r.block_io->weight = 500;
  r.block_io->throttle_read_bps = {{8, 0, {}, {}, 1048576}};
  r.block_io->throttle_write_iops = {{8, 16, {}, {}, 100}};
  // Without BFQ: io.weight on its 1-10000 scale (runc's conversion of 10-1000).
  EXPECT_EQ(plan(v2_only(), r, v2_files()), (std::vector<std::string>{
                                                "/sys/fs/cgroup/cgroup.subtree_control=+io",
                                                "/sys/fs/cgroup/kube/cgroup.subtree_control=+io",
                                                "/sys/fs/cgroup/kube/c1/io.weight=default 4950",
                                                "/sys/fs/cgroup/kube/c1/io.max=8:0 rbps=1048576",
                                                "/sys/fs/cgroup/kube/c1/io.max=8:16 wiops=100",
                                            }));
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
  // With BFQ: io.bfq.weight takes the weight as is, and the per-device weights.
  FakeFs bfq = v2_files();
  bfq.files.insert("/sys/fs/cgroup/kube/c1/io.bfq.weight");
  r.block_io->throttle_read_bps.clear();
  r.block_io->throttle_write_iops.clear();
  r.block_io->weight_device = {{7, 3, 300, {}, 0}};
  EXPECT_EQ(plan(v2_only(), r, bfq), (std::vector<std::string>{
                                         "/sys/fs/cgroup/cgroup.subtree_control=+io",
                                         "/sys/fs/cgroup/kube/cgroup.subtree_control=+io",
                                         "/sys/fs/cgroup/kube/c1/io.bfq.weight=500",
                                         "/sys/fs/cgroup/kube/c1/io.bfq.weight=7:3 300",
                                     }));
  std::string err;
  plan(v2_only(), r, v2_files(), &err);
  EXPECT_EQ(err,
            "`linux.resources.blockIO.weightDevice[0]`: per-device weights need the BFQ I/O "
            "scheduler (`io.bfq.weight`)");
}

TEST(CgroupResourcesTest, V1WeightDeviceGoesToBfqsFile) {
  oci::Resources r;
  r.block_io = oci::BlockIoResources{};
  r.block_io->weight_device = {{7, 3, 300, {}, 0}};
  std::string err;
  plan(hybrid(), r, hybrid_files(), &err);
  EXPECT_EQ(err,
            "`linux.resources.blockIO.weightDevice[0]`: this kernel has no "
            "`blkio.bfq.weight_device`");
  FakeFs bfq = hybrid_files();
  bfq.files.insert("/sys/fs/cgroup/blkio/c1/blkio.bfq.weight_device");
  EXPECT_EQ(plan(hybrid(), r, bfq),
            (std::vector<std::string>{"/sys/fs/cgroup/blkio/c1/blkio.bfq.weight_device=7:3 300"}));
}

TEST(CgroupResourcesTest, NetClsAndNetPrioWhereMounted) {
  CgroupSet cg = hybrid();
  cg.hierarchies.push_back(v1("net_cls,net_prio"));
  cg.dirs.push_back("/sys/fs/cgroup/net_cls,net_prio/c1");
  oci::Resources r;
  r.network = oci::NetworkResources{};
  r.network->class_id = 0x100001;
  r.network->priorities = {{"lo", 5}, {"eth0", 2}};
  EXPECT_EQ(plan(cg, r, hybrid_files()),
            (std::vector<std::string>{
                "/sys/fs/cgroup/net_cls,net_prio/c1/net_cls.classid=1048577",
                "/sys/fs/cgroup/net_cls,net_prio/c1/net_prio.ifpriomap=lo 5",
                "/sys/fs/cgroup/net_cls,net_prio/c1/net_prio.ifpriomap=eth0 2",
            }));
  r.network->class_id.reset();
  std::string err;
  plan(hybrid(), r, hybrid_files(), &err);
  EXPECT_EQ(err,
            "`linux.resources.network.priorities`: no mounted cgroup hierarchy has the `net_prio` "
            "controller");
}

TEST(CgroupResourcesTest, CheckBeforeUpdateRefusesALimitAtOrBelowUsage) {
  FakeFs fs = v2_files();
  fs.text["/sys/fs/cgroup/kube/c1/memory.current"] = "52428800\n";  // 50 MiB in use
  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = 32 << 20;
  r.memory->check_before_update = true;
  std::string err;
  plan(v2_only(), r, fs, &err);
  EXPECT_EQ(err,
            "`linux.resources.memory.limit`: memory limit 33554432 is not above the current usage "
            "52428800 (checkBeforeUpdate)");
  r.memory->limit = 50 << 20;  // equal: refused too, as runc
  EXPECT_TRUE(plan(v2_only(), r, fs).empty());
  r.memory->limit = 64 << 20;
  r.memory->swap = 40 << 20;
  plan(v2_only(), r, fs, &err);
  EXPECT_EQ(err,
            "`linux.resources.memory.swap`: memory+swap limit 41943040 is not above the current "
            "usage 52428800 (checkBeforeUpdate)");
  r.memory->swap.reset();
  EXPECT_EQ(plan(v2_only(), r, fs),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/memory.max=67108864"}));
  // Without it, or unreadable usage: no check.
  r.memory->limit = 32 << 20;
  r.memory->check_before_update = false;
  EXPECT_EQ(plan(v2_only(), r, fs),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/memory.max=33554432"}));
  r.memory->check_before_update = true;
  EXPECT_EQ(plan(v2_only(), r, v2_files()),
            (std::vector<std::string>{"/sys/fs/cgroup/kube/c1/memory.max=33554432"}));
}

}  // namespace
}  // namespace kernel
