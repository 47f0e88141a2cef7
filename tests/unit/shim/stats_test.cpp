// Tests of src/shim/stats.cpp (the Stats metrics) and of OomMonitor on a cgroup2 tree, on
// directories standing in for a container's cgroups. The file texts follow what the kernel
// writes (this machine's v1 hierarchies; Documentation/admin-guide/cgroup-v2.rst for cgroup2),
// with distinct values so that a field read from the wrong key fails.
#include "shim/stats.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/file.h"
#include "containerd/cgroups/v1/metrics.pb.h"
#include "containerd/cgroups/v2/metrics.pb.h"
#include "linux/cgroup.h"
#include "shim/oom.h"
#include "temp_dir.h"

namespace shim {
namespace {

namespace v1 = io::containerd::cgroups::v1;
namespace v2 = io::containerd::cgroups::v2;

// memory.stat keys and the v1 fields containerd's memory.go parseStats puts them in.
struct V1Key {
  const char* key;
  uint64_t (v1::MemoryStat::*get)() const;
};
const V1Key kV1Keys[] = {
    {"cache", &v1::MemoryStat::cache},
    {"rss", &v1::MemoryStat::rss},
    {"rss_huge", &v1::MemoryStat::rss_huge},
    {"mapped_file", &v1::MemoryStat::mapped_file},
    {"dirty", &v1::MemoryStat::dirty},
    {"writeback", &v1::MemoryStat::writeback},
    {"pgpgin", &v1::MemoryStat::pg_pg_in},
    {"pgpgout", &v1::MemoryStat::pg_pg_out},
    {"pgfault", &v1::MemoryStat::pg_fault},
    {"pgmajfault", &v1::MemoryStat::pg_maj_fault},
    {"inactive_anon", &v1::MemoryStat::inactive_anon},
    {"active_anon", &v1::MemoryStat::active_anon},
    {"inactive_file", &v1::MemoryStat::inactive_file},
    {"active_file", &v1::MemoryStat::active_file},
    {"unevictable", &v1::MemoryStat::unevictable},
    {"hierarchical_memory_limit", &v1::MemoryStat::hierarchical_memory_limit},
    {"hierarchical_memsw_limit", &v1::MemoryStat::hierarchical_swap_limit},
    {"total_cache", &v1::MemoryStat::total_cache},
    {"total_rss", &v1::MemoryStat::total_rss},
    {"total_rss_huge", &v1::MemoryStat::total_rss_huge},
    {"total_mapped_file", &v1::MemoryStat::total_mapped_file},
    {"total_dirty", &v1::MemoryStat::total_dirty},
    {"total_writeback", &v1::MemoryStat::total_writeback},
    {"total_pgpgin", &v1::MemoryStat::total_pg_pg_in},
    {"total_pgpgout", &v1::MemoryStat::total_pg_pg_out},
    {"total_pgfault", &v1::MemoryStat::total_pg_fault},
    {"total_pgmajfault", &v1::MemoryStat::total_pg_maj_fault},
    {"total_inactive_anon", &v1::MemoryStat::total_inactive_anon},
    {"total_active_anon", &v1::MemoryStat::total_active_anon},
    {"total_inactive_file", &v1::MemoryStat::total_inactive_file},
    {"total_active_file", &v1::MemoryStat::total_active_file},
    {"total_unevictable", &v1::MemoryStat::total_unevictable},
};

// memory.stat keys and the v2 fields containerd's v2/manager.go Stat puts them in.
struct V2Key {
  const char* key;
  uint64_t (v2::MemoryStat::*get)() const;
};
const V2Key kV2Keys[] = {
    {"anon", &v2::MemoryStat::anon},
    {"file", &v2::MemoryStat::file},
    {"kernel_stack", &v2::MemoryStat::kernel_stack},
    {"slab", &v2::MemoryStat::slab},
    {"sock", &v2::MemoryStat::sock},
    {"shmem", &v2::MemoryStat::shmem},
    {"file_mapped", &v2::MemoryStat::file_mapped},
    {"file_dirty", &v2::MemoryStat::file_dirty},
    {"file_writeback", &v2::MemoryStat::file_writeback},
    {"anon_thp", &v2::MemoryStat::anon_thp},
    {"inactive_anon", &v2::MemoryStat::inactive_anon},
    {"active_anon", &v2::MemoryStat::active_anon},
    {"inactive_file", &v2::MemoryStat::inactive_file},
    {"active_file", &v2::MemoryStat::active_file},
    {"unevictable", &v2::MemoryStat::unevictable},
    {"slab_reclaimable", &v2::MemoryStat::slab_reclaimable},
    {"slab_unreclaimable", &v2::MemoryStat::slab_unreclaimable},
    {"pgfault", &v2::MemoryStat::pgfault},
    {"pgmajfault", &v2::MemoryStat::pgmajfault},
    {"workingset_refault", &v2::MemoryStat::workingset_refault},
    {"workingset_activate", &v2::MemoryStat::workingset_activate},
    {"workingset_nodereclaim", &v2::MemoryStat::workingset_nodereclaim},
    {"pgrefill", &v2::MemoryStat::pgrefill},
    {"pgscan", &v2::MemoryStat::pgscan},
    {"pgsteal", &v2::MemoryStat::pgsteal},
    {"pgactivate", &v2::MemoryStat::pgactivate},
    {"pgdeactivate", &v2::MemoryStat::pgdeactivate},
    {"pglazyfree", &v2::MemoryStat::pglazyfree},
    {"pglazyfreed", &v2::MemoryStat::pglazyfreed},
    {"thp_fault_alloc", &v2::MemoryStat::thp_fault_alloc},
    {"thp_collapse_alloc", &v2::MemoryStat::thp_collapse_alloc},
};

// The value a fixture gives the i-th key of a table.
uint64_t value_of(size_t i) {
  return 1000003 + 7919 * i;
}

class StatsTest : public testutil::TempDirTest {
 protected:
  std::string dir(const std::string& name) {
    std::string d = dir_ + "/" + name;
    EXPECT_TRUE(base::mkdir_all(d).ok());
    return d;
  }
  void put(const std::string& d, const std::string& file, const std::string& text) {
    ASSERT_TRUE(base::write_file_atomic(d + "/" + file, text).ok()) << d << "/" << file;
  }
  // A v1 hierarchy mounted at <tmp>/<name> with the container's cgroup in it, "c1".
  std::string add_v1(kernel::CgroupSet& cg, const std::string& name) {
    cg.hierarchies.push_back({dir_ + "/" + name, name, false});
    cg.dirs.push_back(dir(name + "/c1"));
    return cg.dirs.back();
  }
  std::string add_v2(kernel::CgroupSet& cg) {
    cg.hierarchies.push_back({dir_ + "/unified", "", true});
    cg.dirs.push_back(dir("unified/c1"));
    return cg.dirs.back();
  }
  std::string partitions() {
    // As /proc/partitions: a header, a blank line, "major minor #blocks name".
    put(dir_, "partitions",
        "major minor  #blocks  name\n\n 254        0  268435456 vda\n 254        1  1048576 vda1\n"
        "   8       16  10485760 sdb\n");
    return dir_ + "/partitions";
  }

  // Every v1 controller containerd reads, its files as the kernel writes them.
  kernel::CgroupSet v1_tree() {
    kernel::CgroupSet cg;
    std::string cpu = add_v1(cg, "cpu"), acct = add_v1(cg, "cpuacct"), mem = add_v1(cg, "memory"),
                pids = add_v1(cg, "pids"), blkio = add_v1(cg, "blkio"),
                huge = add_v1(cg, "hugetlb"), rdma = add_v1(cg, "rdma");
    put(cpu, "cpu.stat",
        "nr_periods 17\nnr_throttled 5\nthrottled_time 123456789\nnr_bursts 0\nburst_time 0\n");
    put(acct, "cpuacct.usage", "100512362217603\n");
    put(acct, "cpuacct.usage_percpu", "48356406189796 52155968112874 \n");
    put(acct, "cpuacct.stat", "user 8393396\nsystem 1657839\n");
    std::string stat;
    for (size_t i = 0; i < std::size(kV1Keys); ++i)
      stat += std::string(kV1Keys[i].key) + " " + std::to_string(value_of(i)) + "\n";
    // Keys containerd does not map.
    stat += "shmem 9990144\nswap 0\nworkingset_refault_file 11674\ntotal_shmem 22618112\n";
    put(mem, "memory.stat", stat);
    put(mem, "memory.oom_control", "oom_kill_disable 1\nunder_oom 2\noom_kill 3\n");
    int base = 10;
    for (const char* prefix : {"memory", "memory.memsw", "memory.kmem", "memory.kmem.tcp"}) {
      put(mem, std::string(prefix) + ".usage_in_bytes", std::to_string(base + 1) + "\n");
      put(mem, std::string(prefix) + ".max_usage_in_bytes", std::to_string(base + 2) + "\n");
      put(mem, std::string(prefix) + ".failcnt", std::to_string(base + 3) + "\n");
      put(mem, std::string(prefix) + ".limit_in_bytes", std::to_string(base + 4) + "\n");
      base += 10;
    }
    put(pids, "pids.current", "5\n");
    put(pids, "pids.max", "max\n");
    put(blkio, "blkio.throttle.io_service_bytes",
        "254:0 Read 4096\n254:0 Write 8192\n254:0 Sync 12288\n254:0 Async 0\n254:0 Discard 0\n"
        "254:0 Total 12288\n7:3 Read 512\nTotal 12800\n");
    put(blkio, "blkio.throttle.io_serviced",
        "254:0 Read 3\n254:0 Write 4\n254:0 Sync 7\n254:0 Async 0\n254:0 Discard 0\n"
        "254:0 Total 7\nTotal 7\n");
    put(blkio, "blkio.throttle.io_serviced_recursive", "254:0 Read 99\nTotal 99\n");
    put(huge, "hugetlb.2MB.usage_in_bytes", "2097152\n");
    put(huge, "hugetlb.2MB.max_usage_in_bytes", "4194304\n");
    put(huge, "hugetlb.2MB.failcnt", "6\n");
    put(huge, "hugetlb.2MB.limit_in_bytes", "9223372036854771712\n");
    put(huge, "hugetlb.1GB.usage_in_bytes", "1073741824\n");
    put(huge, "hugetlb.1GB.max_usage_in_bytes", "2147483648\n");
    put(huge, "hugetlb.1GB.failcnt", "8\n");
    put(rdma, "rdma.current",
        "mlx4_0 hca_handle=2 hca_object=2000\nocrdma1 hca_handle=3 hca_object=9\n");
    put(rdma, "rdma.max",
        "mlx4_0 hca_handle=max hca_object=max\nocrdma1 hca_handle=5 hca_object=60\n");
    return cg;
  }

  // A cgroup2 directory with every file containerd reads.
  kernel::CgroupSet v2_tree() {
    kernel::CgroupSet cg;
    std::string d = add_v2(cg);
    put(d, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    put(d, "cpu.stat",
        "usage_usec 100355032748\nuser_usec 83802691595\nsystem_usec 16552341153\n"
        "nice_usec 3629892974\nnr_periods 41\nnr_throttled 13\nthrottled_usec 777\nnr_bursts 0\n"
        "burst_usec 0\n");
    std::string stat =
        "kernel 9\npagetables 8\npercpu 7\nvmalloc 6\nzswap 0\nfile_thp 0\n"
        "workingset_refault_anon 5\nworkingset_refault_file 4\n";
    for (size_t i = 0; i < std::size(kV2Keys); ++i)
      stat += std::string(kV2Keys[i].key) + " " + std::to_string(value_of(i)) + "\n";
    put(d, "memory.stat", stat);
    put(d, "memory.current", "4194304\n");
    put(d, "memory.max", "max\n");
    put(d, "memory.swap.current", "8192\n");
    put(d, "memory.swap.max", "1073741824\n");
    put(d, "memory.events", "low 1\nhigh 2\nmax 3\noom 4\noom_kill 5\n");
    put(d, "pids.current", "7\n");
    put(d, "pids.max", "max\n");
    put(d, "io.stat",
        "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
        "254:0 rbytes=11 wbytes=12 rios=13 wios=14 dbytes=15 dios=16\n");
    put(d, "rdma.current", "mlx4_0 hca_handle=2 hca_object=2000\n");
    put(d, "rdma.max", "mlx4_0 hca_handle=max hca_object=4000\n");
    put(d, "hugetlb.2MB.current", "2097152\n");
    put(d, "hugetlb.2MB.max", "max\n");
    put(d, "hugetlb.2MB.rsvd.current", "5\n");
    put(d, "hugetlb.2MB.rsvd.max", "6\n");
    put(d, "hugetlb.2MB.events", "max 0\n");
    put(d, "hugetlb.1GB.current", "0\n");
    put(d, "hugetlb.1GB.max", "1073741824\n");
    return cg;
  }
};

template <class M>
M unpack(const base::Result<google::protobuf::Any>& any, const char* type) {
  M m;
  EXPECT_TRUE(any.ok()) << any.error().what();
  if (!any.ok()) return m;
  EXPECT_EQ(any->type_url(), type);
  EXPECT_TRUE(m.ParseFromString(any->value()));
  return m;
}

v1::Metrics v1_metrics(const base::Result<google::protobuf::Any>& any) {
  return unpack<v1::Metrics>(any, "io.containerd.cgroups.v1.Metrics");
}
v2::Metrics v2_metrics(const base::Result<google::protobuf::Any>& any) {
  return unpack<v2::Metrics>(any, "io.containerd.cgroups.v2.Metrics");
}

uint64_t ticks_ns(uint64_t ticks) {
  return ticks * 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
}

TEST_F(StatsTest, V1FillsEveryFieldUnderItsTypeUrl) {
  v1::Metrics m = v1_metrics(collect_metrics(v1_tree(), partitions()));

  ASSERT_TRUE(m.has_cpu());
  EXPECT_EQ(m.cpu().usage().total(), 100512362217603u);
  EXPECT_EQ(
      std::vector<uint64_t>(m.cpu().usage().per_cpu().begin(), m.cpu().usage().per_cpu().end()),
      (std::vector<uint64_t>{48356406189796u, 52155968112874u}));
  EXPECT_EQ(m.cpu().usage().user(), ticks_ns(8393396));
  EXPECT_EQ(m.cpu().usage().kernel(), ticks_ns(1657839));
  EXPECT_EQ(m.cpu().throttling().periods(), 17u);
  EXPECT_EQ(m.cpu().throttling().throttled_periods(), 5u);
  EXPECT_EQ(m.cpu().throttling().throttled_time(), 123456789u);

  ASSERT_TRUE(m.has_memory());
  for (size_t i = 0; i < std::size(kV1Keys); ++i)
    EXPECT_EQ((m.memory().*kV1Keys[i].get)(), value_of(i)) << kV1Keys[i].key;
  const v1::MemoryEntry* entries[] = {&m.memory().usage(), &m.memory().swap(), &m.memory().kernel(),
                                      &m.memory().kernel_tcp()};
  uint64_t base = 10;
  for (const v1::MemoryEntry* e : entries) {
    EXPECT_EQ(e->usage(), base + 1) << base;
    EXPECT_EQ(e->max(), base + 2) << base;
    EXPECT_EQ(e->failcnt(), base + 3) << base;
    EXPECT_EQ(e->limit(), base + 4) << base;
    base += 10;
  }
  ASSERT_TRUE(m.has_memory_oom_control());
  EXPECT_EQ(m.memory_oom_control().oom_kill_disable(), 1u);
  EXPECT_EQ(m.memory_oom_control().under_oom(), 2u);
  EXPECT_EQ(m.memory_oom_control().oom_kill(), 3u);

  ASSERT_TRUE(m.has_pids());
  EXPECT_EQ(m.pids().current(), 5u);
  EXPECT_EQ(m.pids().limit(), 0u);  // "max": no limit

  // No CFQ files: the throttling ones, named from the partitions file ("" when unknown).
  ASSERT_TRUE(m.has_blkio());
  const auto& bytes = m.blkio().io_service_bytes_recursive();
  ASSERT_EQ(bytes.size(), 7);
  EXPECT_EQ(bytes[0].op(), "Read");
  EXPECT_EQ(bytes[0].device(), "/dev/vda");
  EXPECT_EQ(bytes[0].major(), 254u);
  EXPECT_EQ(bytes[0].minor(), 0u);
  EXPECT_EQ(bytes[0].value(), 4096u);
  EXPECT_EQ(bytes[1].op(), "Write");
  EXPECT_EQ(bytes[1].value(), 8192u);
  EXPECT_EQ(bytes[5].op(), "Total");
  EXPECT_EQ(bytes[6].device(), "");
  EXPECT_EQ(bytes[6].major(), 7u);
  EXPECT_EQ(bytes[6].minor(), 3u);
  EXPECT_EQ(bytes[6].value(), 512u);
  const auto& ios = m.blkio().io_serviced_recursive();
  ASSERT_EQ(ios.size(), 6);
  EXPECT_EQ(ios[1].op(), "Write");
  EXPECT_EQ(ios[1].value(), 4u);
  EXPECT_EQ(m.blkio().sectors_recursive_size(), 0);

  ASSERT_EQ(m.hugetlb_size(), 2);
  EXPECT_EQ(m.hugetlb(0).pagesize(), "1GB");
  EXPECT_EQ(m.hugetlb(0).usage(), 1073741824u);
  EXPECT_EQ(m.hugetlb(0).max(), 2147483648u);
  EXPECT_EQ(m.hugetlb(0).failcnt(), 8u);
  EXPECT_EQ(m.hugetlb(1).pagesize(), "2MB");
  EXPECT_EQ(m.hugetlb(1).usage(), 2097152u);
  EXPECT_EQ(m.hugetlb(1).max(), 4194304u);
  EXPECT_EQ(m.hugetlb(1).failcnt(), 6u);

  ASSERT_TRUE(m.has_rdma());
  ASSERT_EQ(m.rdma().current_size(), 2);
  EXPECT_EQ(m.rdma().current(0).device(), "mlx4_0");
  EXPECT_EQ(m.rdma().current(0).hca_handles(), 2u);
  EXPECT_EQ(m.rdma().current(0).hca_objects(), 2000u);
  EXPECT_EQ(m.rdma().current(1).device(), "ocrdma1");
  EXPECT_EQ(m.rdma().current(1).hca_objects(), 9u);
  ASSERT_EQ(m.rdma().limit_size(), 2);
  EXPECT_EQ(m.rdma().limit(0).hca_handles(), UINT32_MAX);
  EXPECT_EQ(m.rdma().limit(0).hca_objects(), UINT32_MAX);
  EXPECT_EQ(m.rdma().limit(1).hca_handles(), 5u);
  EXPECT_EQ(m.rdma().limit(1).hca_objects(), 60u);

  EXPECT_EQ(m.network_size(), 0);
  EXPECT_FALSE(m.has_cgroup_stats());
}

TEST_F(StatsTest, V1ReadsANumericPidsLimit) {
  kernel::CgroupSet cg = v1_tree();
  put(dir_ + "/pids/c1", "pids.max", "64\n");
  v1::Metrics m = v1_metrics(collect_metrics(cg, partitions()));
  EXPECT_EQ(m.pids().limit(), 64u);
}

TEST_F(StatsTest, V1ReadsCfqFilesWhenTheyHaveEntries) {
  kernel::CgroupSet cg = v1_tree();
  const std::string b = dir_ + "/blkio/c1";
  const char* names[] = {"io_service_bytes_recursive",
                         "io_serviced_recursive",
                         "io_queued_recursive",
                         "io_service_time_recursive",
                         "io_wait_time_recursive",
                         "io_merged_recursive",
                         "time_recursive",
                         "sectors_recursive"};
  for (size_t i = 0; i < std::size(names); ++i) {
    // time_recursive and sectors_recursive have no operation column.
    bool op = i < 6;
    put(b, std::string("blkio.") + names[i],
        op ? "8:16 Read " + std::to_string(100 + i) + "\n8:16 Total 1\nTotal 1\n"
           : "8:16 " + std::to_string(100 + i) + "\n");
  }
  v1::Metrics m = v1_metrics(collect_metrics(cg, partitions()));
  const auto& k = m.blkio();
  const google::protobuf::RepeatedPtrField<v1::BlkIOEntry>* lists[] = {
      &k.io_service_bytes_recursive(), &k.io_serviced_recursive(),  &k.io_queued_recursive(),
      &k.io_service_time_recursive(),  &k.io_wait_time_recursive(), &k.io_merged_recursive(),
      &k.io_time_recursive(),          &k.sectors_recursive()};
  for (size_t i = 0; i < std::size(lists); ++i) {
    ASSERT_EQ(lists[i]->size(), i < 6 ? 2 : 1) << names[i];
    const v1::BlkIOEntry& e = (*lists[i])[0];
    EXPECT_EQ(e.value(), 100 + i) << names[i];
    EXPECT_EQ(e.op(), i < 6 ? "Read" : "") << names[i];
    EXPECT_EQ(e.device(), "/dev/sdb") << names[i];
    EXPECT_EQ(e.major(), 8u);
    EXPECT_EQ(e.minor(), 16u);
  }
}

TEST_F(StatsTest, V1FallsBackToThrottlingWhenCfqFilesAreEmpty) {
  kernel::CgroupSet cg = v1_tree();
  const std::string b = dir_ + "/blkio/c1";
  for (const char* f : {"io_service_bytes_recursive", "io_serviced_recursive",
                        "io_queued_recursive", "sectors_recursive"})
    put(b, std::string("blkio.") + f, "Total 0\n");
  v1::Metrics m = v1_metrics(collect_metrics(cg, partitions()));
  EXPECT_EQ(m.blkio().io_service_bytes_recursive_size(), 7);
  EXPECT_EQ(m.blkio().io_serviced_recursive_size(), 6);
  EXPECT_EQ(m.blkio().io_queued_recursive_size(), 0);
}

TEST_F(StatsTest, V1LeavesOutControllersWithoutFiles) {
  kernel::CgroupSet cg;
  std::string mem = add_v1(cg, "memory");
  add_v1(cg, "pids");  // a directory without files
  add_v1(cg, "blkio");
  cg.hierarchies.push_back({dir_ + "/rdma", "rdma", false});
  cg.dirs.push_back(dir_ + "/rdma/gone");  // no directory
  put(mem, "memory.stat", "cache 4096\n");
  v1::Metrics m = v1_metrics(collect_metrics(cg, partitions()));
  // containerd makes the CPU message and its parts before reading anything.
  ASSERT_TRUE(m.has_cpu());
  EXPECT_TRUE(m.cpu().has_usage());
  EXPECT_TRUE(m.cpu().has_throttling());
  EXPECT_EQ(m.cpu().usage().total(), 0u);
  ASSERT_TRUE(m.has_memory());
  EXPECT_EQ(m.memory().cache(), 4096u);
  EXPECT_TRUE(m.memory().has_usage());
  EXPECT_TRUE(m.memory().has_kernel_tcp());
  EXPECT_FALSE(m.has_memory_oom_control());
  EXPECT_FALSE(m.has_pids());
  EXPECT_FALSE(m.has_blkio());
  EXPECT_FALSE(m.has_rdma());
  EXPECT_EQ(m.hugetlb_size(), 0);
}

TEST_F(StatsTest, V1WithoutSwapAccountingLeavesSwapZero) {
  kernel::CgroupSet cg = v1_tree();
  const std::string mem = dir_ + "/memory/c1";
  for (const char* f : {"usage_in_bytes", "max_usage_in_bytes", "failcnt", "limit_in_bytes"})
    ASSERT_EQ(unlink((mem + "/memory.memsw." + f).c_str()), 0);
  v1::Metrics m = v1_metrics(collect_metrics(cg, partitions()));
  EXPECT_EQ(m.memory().usage().usage(), 11u);
  EXPECT_EQ(m.memory().usage().limit(), 14u);
  EXPECT_TRUE(m.memory().has_swap());
  EXPECT_EQ(m.memory().swap().usage(), 0u);
  EXPECT_EQ(m.memory().swap().max(), 0u);
  EXPECT_EQ(m.memory().swap().failcnt(), 0u);
  EXPECT_EQ(m.memory().swap().limit(), 0u);
  EXPECT_EQ(m.memory().kernel().usage(), 31u);  // read after the missing ones
  EXPECT_EQ(m.memory().kernel_tcp().limit(), 44u);
}

TEST_F(StatsTest, V1ReadsTheFirstPartitionNameOfADevice) {
  kernel::CgroupSet cg = v1_tree();
  put(dir_, "parts", "major minor  #blocks  name\n\n 254 0 1 vda\n 254 0 1 other\n");
  v1::Metrics m = v1_metrics(collect_metrics(cg, dir_ + "/parts"));
  EXPECT_EQ(m.blkio().io_service_bytes_recursive(0).device(), "/dev/vda");
}

TEST_F(StatsTest, V1WithoutAPartitionsFileLeavesDeviceNamesEmpty) {
  v1::Metrics m = v1_metrics(collect_metrics(v1_tree(), dir_ + "/no-partitions"));
  ASSERT_EQ(m.blkio().io_service_bytes_recursive_size(), 7);
  EXPECT_EQ(m.blkio().io_service_bytes_recursive(0).device(), "");
}

TEST_F(StatsTest, V1IgnoresRdmaWhenItsFilesDisagree) {
  kernel::CgroupSet cg = v1_tree();
  put(dir_ + "/rdma/c1", "rdma.max", "mlx4_0 hca_handle=max hca_object=max\n");
  v1::Metrics m = v1_metrics(collect_metrics(cg, partitions()));
  EXPECT_FALSE(m.has_rdma());
}

struct Malformed {
  const char* controller;
  const char* file;
  const char* text;
};

class StatsMalformedTest : public StatsTest, public ::testing::WithParamInterface<Malformed> {};

TEST_P(StatsMalformedTest, V1FileThatDoesNotParseIsAnErrorNamingIt) {
  const Malformed& p = GetParam();
  kernel::CgroupSet cg = v1_tree();
  const std::string path = dir_ + "/" + p.controller + "/c1/" + p.file;
  put(dir_ + "/" + p.controller + "/c1", p.file, p.text);
  auto any = collect_metrics(cg, partitions());
  ASSERT_FALSE(any.ok());
  EXPECT_NE(any.error().message().find("`" + path + "`"), std::string::npos)
      << any.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Files, StatsMalformedTest,
    ::testing::Values(Malformed{"memory", "memory.stat", "cache 1\nrss 12kB\n"},
                      Malformed{"memory", "memory.stat", "cache 1 2\n"},
                      Malformed{"memory", "memory.usage_in_bytes", "lots\n"},
                      Malformed{"memory", "memory.oom_control", "under_oom\n"},
                      Malformed{"cpu", "cpu.stat", "nr_periods x\n"},
                      Malformed{"cpuacct", "cpuacct.stat", "user 1\n"},
                      Malformed{"cpuacct", "cpuacct.usage_percpu", "1 2 three\n"},
                      Malformed{"pids", "pids.current", "-\n"},
                      Malformed{"hugetlb", "hugetlb.2MB.failcnt", "1 2\n"},
                      Malformed{"blkio", "blkio.throttle.io_serviced", "254:0 Read\n"},
                      Malformed{"blkio", "blkio.throttle.io_serviced", "254-0 Read 1\n"}));

TEST_F(StatsTest, V2FillsEveryFieldUnderItsTypeUrl) {
  v2::Metrics m = v2_metrics(collect_metrics(v2_tree()));

  ASSERT_TRUE(m.has_pids());
  EXPECT_EQ(m.pids().current(), 7u);
  EXPECT_EQ(m.pids().limit(), UINT64_MAX);

  ASSERT_TRUE(m.has_cpu());
  EXPECT_EQ(m.cpu().usage_usec(), 100355032748u);
  EXPECT_EQ(m.cpu().user_usec(), 83802691595u);
  EXPECT_EQ(m.cpu().system_usec(), 16552341153u);
  EXPECT_EQ(m.cpu().nr_periods(), 41u);
  EXPECT_EQ(m.cpu().nr_throttled(), 13u);
  EXPECT_EQ(m.cpu().throttled_usec(), 777u);

  ASSERT_TRUE(m.has_memory());
  for (size_t i = 0; i < std::size(kV2Keys); ++i)
    EXPECT_EQ((m.memory().*kV2Keys[i].get)(), value_of(i)) << kV2Keys[i].key;
  EXPECT_EQ(m.memory().usage(), 4194304u);
  EXPECT_EQ(m.memory().usage_limit(), UINT64_MAX);
  EXPECT_EQ(m.memory().swap_usage(), 8192u);
  EXPECT_EQ(m.memory().swap_limit(), 1073741824u);

  ASSERT_TRUE(m.has_memory_events());
  EXPECT_EQ(m.memory_events().low(), 1u);
  EXPECT_EQ(m.memory_events().high(), 2u);
  EXPECT_EQ(m.memory_events().max(), 3u);
  EXPECT_EQ(m.memory_events().oom(), 4u);
  EXPECT_EQ(m.memory_events().oom_kill(), 5u);

  ASSERT_TRUE(m.has_io());
  ASSERT_EQ(m.io().usage_size(), 2);
  EXPECT_EQ(m.io().usage(0).major(), 8u);
  EXPECT_EQ(m.io().usage(0).minor(), 16u);
  EXPECT_EQ(m.io().usage(0).rbytes(), 1459200u);
  EXPECT_EQ(m.io().usage(0).wbytes(), 314773504u);
  EXPECT_EQ(m.io().usage(0).rios(), 192u);
  EXPECT_EQ(m.io().usage(0).wios(), 353u);
  EXPECT_EQ(m.io().usage(1).major(), 254u);
  EXPECT_EQ(m.io().usage(1).minor(), 0u);
  EXPECT_EQ(m.io().usage(1).rbytes(), 11u);
  EXPECT_EQ(m.io().usage(1).wbytes(), 12u);
  EXPECT_EQ(m.io().usage(1).rios(), 13u);
  EXPECT_EQ(m.io().usage(1).wios(), 14u);

  ASSERT_TRUE(m.has_rdma());
  ASSERT_EQ(m.rdma().current_size(), 1);
  EXPECT_EQ(m.rdma().current(0).device(), "mlx4_0");
  EXPECT_EQ(m.rdma().current(0).hca_handles(), 2u);
  EXPECT_EQ(m.rdma().current(0).hca_objects(), 2000u);
  ASSERT_EQ(m.rdma().limit_size(), 1);
  EXPECT_EQ(m.rdma().limit(0).hca_handles(), UINT32_MAX);
  EXPECT_EQ(m.rdma().limit(0).hca_objects(), 4000u);

  // One entry per size (the rsvd files are not sizes of their own).
  ASSERT_EQ(m.hugetlb_size(), 2);
  EXPECT_EQ(m.hugetlb(0).pagesize(), "1GB");
  EXPECT_EQ(m.hugetlb(0).current(), 0u);
  EXPECT_EQ(m.hugetlb(0).max(), 1073741824u);
  EXPECT_EQ(m.hugetlb(1).pagesize(), "2MB");
  EXPECT_EQ(m.hugetlb(1).current(), 2097152u);
  EXPECT_EQ(m.hugetlb(1).max(), UINT64_MAX);
}

TEST_F(StatsTest, V2ReadsCpuAndMemoryStatOnlyWithTheirControllers) {
  kernel::CgroupSet cg = v2_tree();
  put(cg.dirs[0], "cgroup.controllers", "pids io\n");
  v2::Metrics m = v2_metrics(collect_metrics(cg));
  ASSERT_TRUE(m.has_cpu());
  EXPECT_EQ(m.cpu().usage_usec(), 0u);
  EXPECT_EQ(m.cpu().nr_periods(), 0u);
  ASSERT_TRUE(m.has_memory());
  EXPECT_EQ(m.memory().anon(), 0u);
  EXPECT_EQ(m.memory().pgfault(), 0u);
  // The sizes are read whatever the controllers, as containerd.
  EXPECT_EQ(m.memory().usage(), 4194304u);
  EXPECT_EQ(m.memory().usage_limit(), UINT64_MAX);
  EXPECT_EQ(m.pids().current(), 7u);
}

TEST_F(StatsTest, V2MissingFilesReadAsZeroAndNoMemoryEvents) {
  kernel::CgroupSet cg;
  std::string d = add_v2(cg);
  put(d, "cgroup.controllers", "cpu memory pids\n");
  put(d, "pids.max", "64\n");
  v2::Metrics m = v2_metrics(collect_metrics(cg));
  EXPECT_EQ(m.pids().current(), 0u);
  EXPECT_EQ(m.pids().limit(), 64u);
  EXPECT_TRUE(m.has_cpu());
  EXPECT_TRUE(m.has_memory());
  EXPECT_EQ(m.memory().swap_limit(), 0u);
  EXPECT_FALSE(m.has_memory_events());
  EXPECT_TRUE(m.has_io());
  EXPECT_EQ(m.io().usage_size(), 0);
  EXPECT_TRUE(m.has_rdma());
  EXPECT_EQ(m.hugetlb_size(), 0);
}

TEST_F(StatsTest, V2FileThatDoesNotParseIsAnErrorNamingIt) {
  for (const char* file : {"memory.stat", "cpu.stat", "memory.events", "memory.current"}) {
    kernel::CgroupSet cg = v2_tree();
    put(cg.dirs[0], file, "anon 1 2\n");
    auto any = collect_metrics(cg);
    ASSERT_FALSE(any.ok()) << file;
    EXPECT_NE(any.error().message().find("`" + cg.dirs[0] + "/" + file + "`"), std::string::npos)
        << any.error().message();
  }
}

TEST_F(StatsTest, NoDirectoryIsNotFound) {
  kernel::CgroupSet v1;
  v1.hierarchies.push_back({dir_ + "/memory", "memory", false});
  v1.dirs.push_back(dir_ + "/memory/gone");
  kernel::CgroupSet v2;
  v2.hierarchies.push_back({dir_, "", true});
  v2.dirs.push_back(dir_ + "/gone");
  kernel::CgroupSet none;
  for (const kernel::CgroupSet* cg : {&v1, &v2, &none}) {
    auto any = collect_metrics(*cg);
    ASSERT_FALSE(any.ok());
    EXPECT_EQ(any.error().category(), base::Category::not_found);
    EXPECT_EQ(any.error().message(), "cgroup does not exist");
  }
}

TEST_F(StatsTest, HybridSetGivesV1) {
  kernel::CgroupSet cg = v1_tree();
  std::string d = add_v2(cg);
  put(d, "cgroup.controllers", "cpu memory\n");
  put(d, "cpu.stat", "usage_usec 1\n");
  v1::Metrics m = v1_metrics(collect_metrics(cg, partitions()));
  EXPECT_EQ(m.cpu().usage().total(), 100512362217603u);
}

// Waits up to 5 s for `n` to reach `want`.
bool reaches(const std::atomic<int>& n, int want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (n.load() < want && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return n.load() == want;
}

// Rewrites `path` in place with a text of the same length, as the kernel's counters change: no
// truncation (a reader could see the file empty, a count gone back to 0), no rename (inotify
// watches the inode).
void overwrite(const std::string& path, const std::string& text) {
  base::UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << path;
  ASSERT_EQ(pwrite(fd.get(), text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
}

// cgroup2: the monitor watches memory.events with inotify, which a plain file stands in for.
// v1 cannot be faked this way: its watch registers an eventfd by writing to the hierarchy's
// cgroup.event_control, which only the kernel's cgroup filesystem accepts.
TEST_F(StatsTest, OomMonitorReportsEachNewOomKillOnCgroup2) {
  kernel::CgroupSet cg;
  std::string d = add_v2(cg);
  put(d, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
  std::atomic<int> kills{0};
  auto mon = OomMonitor::start(cg, [&kills] { kills.fetch_add(1); });
  ASSERT_TRUE(mon.ok()) << mon.error().what();
  overwrite(d + "/memory.events", "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n");
  EXPECT_TRUE(reaches(kills, 1)) << kills.load();
  overwrite(d + "/memory.events", "low 0\nhigh 0\nmax 3\noom 3\noom_kill 3\n");
  EXPECT_TRUE(reaches(kills, 3)) << kills.load();
  (*mon)->drain();
  EXPECT_EQ(kills.load(), 3);
}

TEST_F(StatsTest, OomMonitorWithoutAMemoryCgroupIsAnError) {
  kernel::CgroupSet cg;
  add_v1(cg, "pids");
  auto mon = OomMonitor::start(cg, [] {});
  ASSERT_FALSE(mon.ok());
  EXPECT_NE(mon.error().message().find("no memory cgroup"), std::string::npos);
  // The pid form: a pid that cannot exist has no cgroups at all.
  auto by_pid = OomMonitor::start(static_cast<pid_t>(INT_MAX), [] {});
  ASSERT_FALSE(by_pid.ok());
  EXPECT_EQ(by_pid.error().category(), base::Category::failed_precondition);
}

}  // namespace
}  // namespace shim
