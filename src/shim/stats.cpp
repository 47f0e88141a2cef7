#include "shim/stats.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "base/words.h"
#include "containerd/cgroups/v1/metrics.pb.h"
#include "containerd/cgroups/v2/metrics.pb.h"
#include "linux/cgroup.h"
#include "linux/cgroup_files.h"

namespace shim {

namespace {

namespace files = kernel::cgroup_files;
namespace v1 = io::containerd::cgroups::v1;
namespace v2 = io::containerd::cgroups::v2;

// containerd's typeurl registers its types by their full names, without a host or a '/'.
constexpr char kV1Type[] = "io.containerd.cgroups.v1.Metrics";
constexpr char kV2Type[] = "io.containerd.cgroups.v2.Metrics";

using Text = std::optional<std::string>;

base::Error malformed(const std::string& dir, const char* file, std::string_view text) {
  return base::Error(base::Category::internal,
                     "cannot parse `" + dir + "/" + file + "`: `" + base::clip(text) + "`");
}

bool is_dir(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A one-value file: nullopt when it is not there.
base::Result<std::optional<uint64_t>> single(const std::string& dir, const char* file,
                                             uint64_t max_value) {
  ASSIGN_OR_RETURN(Text t, files::read(dir, file));
  if (!t) return std::optional<uint64_t>();
  std::optional<uint64_t> v = files::parse_single(*t, max_value);
  if (!v) return malformed(dir, file, *t);
  return v;
}

// A one-value file, 0 when it is not there.
base::Result<uint64_t> single_or_zero(const std::string& dir, const char* file,
                                      uint64_t max_value) {
  ASSIGN_OR_RETURN(std::optional<uint64_t> v, single(dir, file, max_value));
  return v.value_or(0);
}

// A flat-keyed file: nullopt when it is not there.
base::Result<std::optional<files::KeyedValues>> flat_keyed(const std::string& dir,
                                                           const char* file) {
  ASSIGN_OR_RETURN(Text t, files::read(dir, file));
  if (!t) return std::optional<files::KeyedValues>();
  files::KeyedValues kv;
  std::string_view bad;
  if (!files::parse_flat_keyed(*t, kv, &bad)) return malformed(dir, file, bad);
  return std::optional<files::KeyedValues>(std::move(kv));
}

uint64_t get(const files::KeyedValues& kv, std::string_view key) {
  auto it = kv.find(key);
  return it == kv.end() ? 0 : it->second;
}

// Sets the fields of `msg` named by `table` from the keys of `kv` (absent keys leave 0).
template <class Msg, size_t N>
void set_from(Msg& msg, const files::KeyedValues& kv,
              const std::pair<const char*, void (Msg::*)(uint64_t)> (&table)[N]) {
  for (const auto& [key, set] : table)
    if (auto it = kv.find(std::string_view(key)); it != kv.end()) (msg.*set)(it->second);
}

// rdma.current / rdma.max lines, "mlx4_0 hca_handle=2 hca_object=2000" ("max": UINT32_MAX).
// As containerd: a line of another shape, or a value that is not a 32-bit number, is left out.
template <class Entry>
void add_rdma(std::string_view text, google::protobuf::RepeatedPtrField<Entry>& out) {
  for (auto line : base::split_lines(text)) {
    auto w = base::split_words(line);
    if (w.size() != 3) continue;
    Entry* e = out.Add();
    e->set_device(std::string(w[0]));
    for (size_t i = 1; i < 3; ++i) {
      auto kv = base::split(w[i], '=');
      if (kv.size() != 2) continue;
      std::optional<uint64_t> v = kv[1] == "max" ? UINT32_MAX : files::parse_u64(kv[1]);
      if (!v || *v > UINT32_MAX) continue;
      if (kv[0] == "hca_handle") e->set_hca_handles(static_cast<uint32_t>(*v));
      if (kv[0] == "hca_object") e->set_hca_objects(static_cast<uint32_t>(*v));
    }
  }
}

// ---- v1: containerd/cgroups' per-controller Stat ----

// cpuacct.stat is in USER_HZ ticks (containerd hard-codes 100; the kernel's is sysconf's).
uint64_t ticks_to_ns(uint64_t ticks) {
  static const uint64_t hz = [] {
    long t = sysconf(_SC_CLK_TCK);
    return t > 0 ? static_cast<uint64_t>(t) : 100;
  }();
  return static_cast<uint64_t>(static_cast<unsigned __int128>(ticks) * 1000000000u / hz);
}

base::Status cpu_v1(const kernel::CgroupSet& cg, v1::CPUStat& cpu) {
  v1::CPUUsage& usage = *cpu.mutable_usage();
  const std::string acct = files::v1_dir(cg, "cpuacct");
  ASSIGN_OR_RETURN(uint64_t total, single_or_zero(acct, "cpuacct.usage", 0));
  usage.set_total(total);
  ASSIGN_OR_RETURN(Text percpu, files::read(acct, "cpuacct.usage_percpu"));
  if (percpu) {
    std::vector<uint64_t> v;
    std::string_view bad;
    if (!files::parse_numbers(*percpu, v, &bad))
      return malformed(acct, "cpuacct.usage_percpu", bad);
    for (uint64_t n : v) usage.add_per_cpu(n);
  }
  ASSIGN_OR_RETURN(auto stat, flat_keyed(acct, "cpuacct.stat"));
  if (stat) {
    auto user = stat->find("user"), system = stat->find("system");
    if (user == stat->end() || system == stat->end())
      return base::Error(base::Category::internal,
                         "cannot parse `" + acct + "/cpuacct.stat`: no user and system lines");
    usage.set_user(ticks_to_ns(user->second));
    usage.set_kernel(ticks_to_ns(system->second));
  }
  v1::Throttle& thr = *cpu.mutable_throttling();
  ASSIGN_OR_RETURN(auto cs, flat_keyed(files::v1_dir(cg, "cpu"), "cpu.stat"));
  if (cs) {
    thr.set_periods(get(*cs, "nr_periods"));
    thr.set_throttled_periods(get(*cs, "nr_throttled"));
    thr.set_throttled_time(get(*cs, "throttled_time"));
  }
  return base::ok();
}

using MemoryStatV1 = std::pair<const char*, void (v1::MemoryStat::*)(uint64_t)>;
const MemoryStatV1 kMemoryStatV1[] = {
    {"cache", &v1::MemoryStat::set_cache},
    {"rss", &v1::MemoryStat::set_rss},
    {"rss_huge", &v1::MemoryStat::set_rss_huge},
    {"mapped_file", &v1::MemoryStat::set_mapped_file},
    {"dirty", &v1::MemoryStat::set_dirty},
    {"writeback", &v1::MemoryStat::set_writeback},
    {"pgpgin", &v1::MemoryStat::set_pg_pg_in},
    {"pgpgout", &v1::MemoryStat::set_pg_pg_out},
    {"pgfault", &v1::MemoryStat::set_pg_fault},
    {"pgmajfault", &v1::MemoryStat::set_pg_maj_fault},
    {"inactive_anon", &v1::MemoryStat::set_inactive_anon},
    {"active_anon", &v1::MemoryStat::set_active_anon},
    {"inactive_file", &v1::MemoryStat::set_inactive_file},
    {"active_file", &v1::MemoryStat::set_active_file},
    {"unevictable", &v1::MemoryStat::set_unevictable},
    {"hierarchical_memory_limit", &v1::MemoryStat::set_hierarchical_memory_limit},
    {"hierarchical_memsw_limit", &v1::MemoryStat::set_hierarchical_swap_limit},
    {"total_cache", &v1::MemoryStat::set_total_cache},
    {"total_rss", &v1::MemoryStat::set_total_rss},
    {"total_rss_huge", &v1::MemoryStat::set_total_rss_huge},
    {"total_mapped_file", &v1::MemoryStat::set_total_mapped_file},
    {"total_dirty", &v1::MemoryStat::set_total_dirty},
    {"total_writeback", &v1::MemoryStat::set_total_writeback},
    {"total_pgpgin", &v1::MemoryStat::set_total_pg_pg_in},
    {"total_pgpgout", &v1::MemoryStat::set_total_pg_pg_out},
    {"total_pgfault", &v1::MemoryStat::set_total_pg_fault},
    {"total_pgmajfault", &v1::MemoryStat::set_total_pg_maj_fault},
    {"total_inactive_anon", &v1::MemoryStat::set_total_inactive_anon},
    {"total_active_anon", &v1::MemoryStat::set_total_active_anon},
    {"total_inactive_file", &v1::MemoryStat::set_total_inactive_file},
    {"total_active_file", &v1::MemoryStat::set_total_active_file},
    {"total_unevictable", &v1::MemoryStat::set_total_unevictable},
};

// memory.<module>.{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes}; a file that is
// not there (no swap accounting, no kmem) leaves its field 0.
base::Status memory_entry_v1(const std::string& dir, const std::string& prefix,
                             v1::MemoryEntry& e) {
  using Setter = void (v1::MemoryEntry::*)(uint64_t);
  const std::pair<const char*, Setter> fields[] = {
      {".usage_in_bytes", &v1::MemoryEntry::set_usage},
      {".max_usage_in_bytes", &v1::MemoryEntry::set_max},
      {".failcnt", &v1::MemoryEntry::set_failcnt},
      {".limit_in_bytes", &v1::MemoryEntry::set_limit}};
  for (const auto& [suffix, set] : fields) {
    std::string file = prefix + suffix;
    ASSIGN_OR_RETURN(uint64_t v, single_or_zero(dir, file.c_str(), 0));
    (e.*set)(v);
  }
  return base::ok();
}

base::Status memory_v1(const std::string& dir, v1::Metrics& m) {
  ASSIGN_OR_RETURN(auto raw, flat_keyed(dir, "memory.stat"));
  if (!raw) return base::ok();
  v1::MemoryStat& mem = *m.mutable_memory();
  set_from(mem, *raw, kMemoryStatV1);
  TRY(memory_entry_v1(dir, "memory", *mem.mutable_usage()));
  TRY(memory_entry_v1(dir, "memory.memsw", *mem.mutable_swap()));
  TRY(memory_entry_v1(dir, "memory.kmem", *mem.mutable_kernel()));
  TRY(memory_entry_v1(dir, "memory.kmem.tcp", *mem.mutable_kernel_tcp()));
  ASSIGN_OR_RETURN(auto oom, flat_keyed(dir, "memory.oom_control"));
  if (oom) {
    v1::MemoryOomControl& o = *m.mutable_memory_oom_control();
    o.set_oom_kill_disable(get(*oom, "oom_kill_disable"));
    o.set_under_oom(get(*oom, "under_oom"));
    o.set_oom_kill(get(*oom, "oom_kill"));
  }
  return base::ok();
}

base::Status pids_v1(const std::string& dir, v1::Metrics& m) {
  ASSIGN_OR_RETURN(std::optional<uint64_t> current, single(dir, "pids.current", 0));
  if (!current) return base::ok();
  ASSIGN_OR_RETURN(uint64_t limit, single_or_zero(dir, "pids.max", 0));  // "max": 0
  m.mutable_pids()->set_current(*current);
  m.mutable_pids()->set_limit(limit);
  return base::ok();
}

base::Status hugetlb_v1(const std::string& dir, v1::Metrics& m) {
  std::vector<std::string> sizes = files::hugetlb_sizes(dir, ".usage_in_bytes");
  std::sort(sizes.begin(), sizes.end());
  for (const auto& size : sizes) {
    const std::string pre = "hugetlb." + size;
    ASSIGN_OR_RETURN(uint64_t usage, single_or_zero(dir, (pre + ".usage_in_bytes").c_str(), 0));
    ASSIGN_OR_RETURN(uint64_t max, single_or_zero(dir, (pre + ".max_usage_in_bytes").c_str(), 0));
    ASSIGN_OR_RETURN(uint64_t failcnt, single_or_zero(dir, (pre + ".failcnt").c_str(), 0));
    v1::HugetlbStat* h = m.add_hugetlb();
    h->set_pagesize(size);
    h->set_usage(usage);
    h->set_max(max);
    h->set_failcnt(failcnt);
  }
  return base::ok();
}

// /proc/partitions: "major minor #blocks name" after a header line and a blank one; the first
// name of a device number wins, as containerd's getDevices.
struct Partition {
  uint64_t major, minor;
  std::string name;
};

base::Result<std::vector<Partition>> read_partitions(const std::string& path) {
  std::vector<Partition> out;
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string file = path.substr(slash + 1);
  ASSIGN_OR_RETURN(Text t, files::read(dir, file));
  if (!t) return out;  // the entries keep empty device names
  auto lines = base::split_lines(*t);
  for (size_t i = 2; i < lines.size(); ++i) {
    auto w = base::split_words(lines[i]);
    if (w.empty()) continue;
    auto major = w.size() == 4 ? files::parse_u64(w[0]) : std::nullopt;
    auto minor = w.size() == 4 ? files::parse_u64(w[1]) : std::nullopt;
    if (!major || !minor) return malformed(dir, file.c_str(), lines[i]);
    out.push_back({*major, *minor, "/dev/" + std::string(w[3])});
  }
  return out;
}

// Appends the entries of blkio.<name>: lines "MAJ:MIN Op value" or "MAJ:MIN value" ("Total N"
// is skipped). False when the file is not there.
base::Result<bool> blkio_entries(const std::string& dir, const std::string& name,
                                 const std::vector<Partition>& parts,
                                 google::protobuf::RepeatedPtrField<v1::BlkIOEntry>& out) {
  const std::string file = "blkio." + name;
  ASSIGN_OR_RETURN(Text t, files::read(dir, file));
  if (!t) return false;
  for (auto line : base::split_lines(*t)) {
    auto w = base::split_words(line);
    if (w.empty() || (w.size() == 2 && w[0] == "Total")) continue;
    auto dev = base::split(w[0], ':');
    if ((w.size() != 2 && w.size() != 3) || dev.size() != 2)
      return malformed(dir, file.c_str(), line);
    auto major = files::parse_u64(dev[0]), minor = files::parse_u64(dev[1]);
    auto value = files::parse_u64(w.back());
    if (!major || !minor || !value) return malformed(dir, file.c_str(), line);
    v1::BlkIOEntry* e = out.Add();
    e->set_major(*major);
    e->set_minor(*minor);
    e->set_value(*value);
    if (w.size() == 3) e->set_op(std::string(w[1]));
    for (const auto& p : parts) {
      if (p.major == *major && p.minor == *minor) {
        e->set_device(p.name);
        break;
      }
    }
  }
  return true;
}

// The CFQ files where the cgroup has them and they hold entries, else the throttling ones.
base::Status blkio_v1(const std::string& dir, const std::string& partitions, v1::Metrics& m) {
  if (!is_dir(dir)) return base::ok();
  ASSIGN_OR_RETURN(std::vector<Partition> parts, read_partitions(partitions));
  v1::BlkIOStat b;
  bool found = false;
  ASSIGN_OR_RETURN(bool cfq, blkio_entries(dir, "io_serviced_recursive", parts,
                                           *b.mutable_io_serviced_recursive()));
  if (cfq) {
    using Field = google::protobuf::RepeatedPtrField<v1::BlkIOEntry>* (v1::BlkIOStat::*)();
    const std::pair<const char*, Field> others[] = {
        {"sectors_recursive", &v1::BlkIOStat::mutable_sectors_recursive},
        {"io_service_bytes_recursive", &v1::BlkIOStat::mutable_io_service_bytes_recursive},
        {"io_queued_recursive", &v1::BlkIOStat::mutable_io_queued_recursive},
        {"io_service_time_recursive", &v1::BlkIOStat::mutable_io_service_time_recursive},
        {"io_wait_time_recursive", &v1::BlkIOStat::mutable_io_wait_time_recursive},
        {"io_merged_recursive", &v1::BlkIOStat::mutable_io_merged_recursive},
        {"time_recursive", &v1::BlkIOStat::mutable_io_time_recursive}};
    for (const auto& [name, field] : others) TRY(blkio_entries(dir, name, parts, *(b.*field)()));
    found = true;
  }
  // Only lists so far: an entry, even of zeros, makes the message's encoding non-empty.
  const bool cfq_entries = b.ByteSizeLong() > 0;
  if (!cfq_entries) {
    ASSIGN_OR_RETURN(bool serviced, blkio_entries(dir, "throttle.io_serviced", parts,
                                                  *b.mutable_io_serviced_recursive()));
    ASSIGN_OR_RETURN(bool bytes, blkio_entries(dir, "throttle.io_service_bytes", parts,
                                               *b.mutable_io_service_bytes_recursive()));
    found = found || serviced || bytes;
  }
  if (found) *m.mutable_blkio() = std::move(b);
  return base::ok();
}

base::Status rdma_v1(const std::string& dir, v1::Metrics& m) {
  ASSIGN_OR_RETURN(Text current, files::read(dir, "rdma.current"));
  ASSIGN_OR_RETURN(Text max, files::read(dir, "rdma.max"));
  if (!current || !max) return base::ok();
  // A device removed between the two reads: no figures, as containerd.
  if (base::split_lines(*current).size() != base::split_lines(*max).size()) return base::ok();
  v1::RdmaStat& r = *m.mutable_rdma();
  add_rdma(*current, *r.mutable_current());
  add_rdma(*max, *r.mutable_limit());
  return base::ok();
}

base::Result<v1::Metrics> collect_v1(const kernel::CgroupSet& cg, const std::string& partitions) {
  v1::Metrics m;
  TRY(cpu_v1(cg, *m.mutable_cpu()));
  TRY(memory_v1(files::v1_dir(cg, "memory"), m));
  TRY(pids_v1(files::v1_dir(cg, "pids"), m));
  TRY(hugetlb_v1(files::v1_dir(cg, "hugetlb"), m));
  TRY(blkio_v1(files::v1_dir(cg, "blkio"), partitions, m));
  TRY(rdma_v1(files::v1_dir(cg, "rdma"), m));
  return m;
}

// ---- v2: containerd/cgroups' v2 Manager.Stat ----

using MemoryStatV2 = std::pair<const char*, void (v2::MemoryStat::*)(uint64_t)>;
const MemoryStatV2 kMemoryStatV2[] = {
    {"anon", &v2::MemoryStat::set_anon},
    {"file", &v2::MemoryStat::set_file},
    {"kernel_stack", &v2::MemoryStat::set_kernel_stack},
    {"slab", &v2::MemoryStat::set_slab},
    {"sock", &v2::MemoryStat::set_sock},
    {"shmem", &v2::MemoryStat::set_shmem},
    {"file_mapped", &v2::MemoryStat::set_file_mapped},
    {"file_dirty", &v2::MemoryStat::set_file_dirty},
    {"file_writeback", &v2::MemoryStat::set_file_writeback},
    {"anon_thp", &v2::MemoryStat::set_anon_thp},
    {"inactive_anon", &v2::MemoryStat::set_inactive_anon},
    {"active_anon", &v2::MemoryStat::set_active_anon},
    {"inactive_file", &v2::MemoryStat::set_inactive_file},
    {"active_file", &v2::MemoryStat::set_active_file},
    {"unevictable", &v2::MemoryStat::set_unevictable},
    {"slab_reclaimable", &v2::MemoryStat::set_slab_reclaimable},
    {"slab_unreclaimable", &v2::MemoryStat::set_slab_unreclaimable},
    {"pgfault", &v2::MemoryStat::set_pgfault},
    {"pgmajfault", &v2::MemoryStat::set_pgmajfault},
    {"workingset_refault", &v2::MemoryStat::set_workingset_refault},
    {"workingset_activate", &v2::MemoryStat::set_workingset_activate},
    {"workingset_nodereclaim", &v2::MemoryStat::set_workingset_nodereclaim},
    {"pgrefill", &v2::MemoryStat::set_pgrefill},
    {"pgscan", &v2::MemoryStat::set_pgscan},
    {"pgsteal", &v2::MemoryStat::set_pgsteal},
    {"pgactivate", &v2::MemoryStat::set_pgactivate},
    {"pgdeactivate", &v2::MemoryStat::set_pgdeactivate},
    {"pglazyfree", &v2::MemoryStat::set_pglazyfree},
    {"pglazyfreed", &v2::MemoryStat::set_pglazyfreed},
    {"thp_fault_alloc", &v2::MemoryStat::set_thp_fault_alloc},
    {"thp_collapse_alloc", &v2::MemoryStat::set_thp_collapse_alloc},
};

// io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device; keys other
// than these four, and pairs that are not key=number, are left out (as containerd).
base::Status io_v2(const std::string& dir, v2::IOStat& io) {
  ASSIGN_OR_RETURN(Text t, files::read(dir, "io.stat"));
  if (!t) return base::ok();
  for (auto line : base::split_lines(*t)) {
    auto w = base::split_words(line);
    if (w.size() < 2) continue;
    auto dev = base::split(w[0], ':');
    if (dev.size() != 2) continue;
    auto major = files::parse_u64(dev[0]), minor = files::parse_u64(dev[1]);
    if (!major || !minor) return malformed(dir, "io.stat", line);
    v2::IOEntry* e = io.add_usage();
    e->set_major(*major);
    e->set_minor(*minor);
    for (size_t i = 1; i < w.size(); ++i) {
      auto kv = base::split(w[i], '=');
      std::optional<uint64_t> v = kv.size() == 2 ? files::parse_u64(kv[1]) : std::nullopt;
      if (!v) continue;
      if (kv[0] == "rbytes") e->set_rbytes(*v);
      if (kv[0] == "wbytes") e->set_wbytes(*v);
      if (kv[0] == "rios") e->set_rios(*v);
      if (kv[0] == "wios") e->set_wios(*v);
    }
  }
  return base::ok();
}

// hugetlb.<size>.current and .max ("max": UINT64_MAX), one entry per size.
base::Status hugetlb_v2(const std::string& dir, v2::Metrics& m) {
  std::vector<std::string> sizes = files::hugetlb_sizes(dir, ".current");
  for (auto& s : files::hugetlb_sizes(dir, ".max")) sizes.push_back(std::move(s));
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  for (const auto& size : sizes) {
    const std::string pre = "hugetlb." + size;
    ASSIGN_OR_RETURN(uint64_t current, single_or_zero(dir, (pre + ".current").c_str(), UINT64_MAX));
    ASSIGN_OR_RETURN(uint64_t max, single_or_zero(dir, (pre + ".max").c_str(), UINT64_MAX));
    v2::HugeTlbStat* h = m.add_hugetlb();
    h->set_pagesize(size);
    h->set_current(current);
    h->set_max(max);
  }
  return base::ok();
}

// memory.stat (with the memory controller only, as containerd), the sizes (whatever the
// controllers) and memory.events (when it is there).
base::Status memory_v2(const std::string& dir, bool controller, v2::Metrics& m) {
  v2::MemoryStat& mem = *m.mutable_memory();
  if (controller) {
    ASSIGN_OR_RETURN(auto ms, flat_keyed(dir, "memory.stat"));
    if (ms) set_from(mem, *ms, kMemoryStatV2);
  }
  using Setter = void (v2::MemoryStat::*)(uint64_t);
  const std::pair<const char*, Setter> sizes[] = {
      {"memory.current", &v2::MemoryStat::set_usage},
      {"memory.max", &v2::MemoryStat::set_usage_limit},
      {"memory.swap.current", &v2::MemoryStat::set_swap_usage},
      {"memory.swap.max", &v2::MemoryStat::set_swap_limit}};
  for (const auto& [file, set] : sizes) {
    ASSIGN_OR_RETURN(uint64_t v, single_or_zero(dir, file, UINT64_MAX));
    (mem.*set)(v);
  }
  ASSIGN_OR_RETURN(auto events, flat_keyed(dir, "memory.events"));
  if (events && !events->empty()) {
    v2::MemoryEvents& e = *m.mutable_memory_events();
    e.set_low(get(*events, "low"));
    e.set_high(get(*events, "high"));
    e.set_max(get(*events, "max"));
    e.set_oom(get(*events, "oom"));
    e.set_oom_kill(get(*events, "oom_kill"));
  }
  return base::ok();
}

base::Result<v2::Metrics> collect_v2(const std::string& dir) {
  ASSIGN_OR_RETURN(Text controllers, files::read(dir, "cgroup.controllers"));
  if (!controllers)
    return base::Error(base::Category::not_found,
                       "cgroup does not exist: no `" + dir + "/cgroup.controllers`");
  bool cpu = false, memory = false;
  for (auto c : base::split_words(*controllers)) {
    cpu = cpu || c == "cpu";
    memory = memory || c == "memory";
  }
  v2::Metrics m;
  v2::PidsStat& pids = *m.mutable_pids();
  ASSIGN_OR_RETURN(uint64_t pids_current, single_or_zero(dir, "pids.current", UINT64_MAX));
  ASSIGN_OR_RETURN(uint64_t pids_max, single_or_zero(dir, "pids.max", UINT64_MAX));
  pids.set_current(pids_current);
  pids.set_limit(pids_max);

  // cgroup2 has cpu.stat's usage without the cpu controller; containerd reads it only with one.
  v2::CPUStat& c = *m.mutable_cpu();
  if (cpu) {
    ASSIGN_OR_RETURN(auto cs, flat_keyed(dir, "cpu.stat"));
    if (cs) {
      c.set_usage_usec(get(*cs, "usage_usec"));
      c.set_user_usec(get(*cs, "user_usec"));
      c.set_system_usec(get(*cs, "system_usec"));
      c.set_nr_periods(get(*cs, "nr_periods"));
      c.set_nr_throttled(get(*cs, "nr_throttled"));
      c.set_throttled_usec(get(*cs, "throttled_usec"));
    }
  }

  TRY(memory_v2(dir, memory, m));
  TRY(io_v2(dir, *m.mutable_io()));
  v2::RdmaStat& rdma = *m.mutable_rdma();
  ASSIGN_OR_RETURN(Text rdma_current, files::read(dir, "rdma.current"));
  if (rdma_current) add_rdma(*rdma_current, *rdma.mutable_current());
  ASSIGN_OR_RETURN(Text rdma_max, files::read(dir, "rdma.max"));
  if (rdma_max) add_rdma(*rdma_max, *rdma.mutable_limit());
  TRY(hugetlb_v2(dir, m));
  return m;
}

template <class Msg>
google::protobuf::Any pack(const Msg& m, const char* type) {
  google::protobuf::Any any;
  any.set_type_url(type);
  any.set_value(m.SerializeAsString());
  return any;
}

}  // namespace

base::Result<google::protobuf::Any> collect_metrics(const kernel::CgroupSet& cg,
                                                    const std::string& partitions) {
  auto gone = [] { return base::Error(base::Category::not_found, "cgroup does not exist"); };
  if (files::pure_v2(cg)) {
    const std::string dir = files::v2_dir(cg);
    if (!is_dir(dir)) return gone();
    ASSIGN_OR_RETURN(v2::Metrics m, collect_v2(dir));
    return pack(m, kV2Type);
  }
  bool any_dir = false;
  for (size_t i = 0; i < cg.hierarchies.size() && i < cg.dirs.size() && !any_dir; ++i)
    any_dir = !cg.hierarchies[i].v2 && is_dir(cg.dirs[i]);
  if (!any_dir) return gone();
  ASSIGN_OR_RETURN(v1::Metrics m, collect_v1(cg, partitions));
  return pack(m, kV1Type);
}

}  // namespace shim
