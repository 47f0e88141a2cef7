#include "linux/cgroup_stats.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "base/file.h"
#include "base/words.h"
#include "linux/cgroup_files.h"

namespace kernel {

namespace {

using json = nlohmann::ordered_json;

namespace files = cgroup_files;

// Best effort, as runc's events: a file that cannot be read or parsed reads as absent or 0.
std::optional<std::string> read(const std::string& dir, const std::string& file) {
  auto t = files::read(dir, file);
  if (!t.ok()) return std::nullopt;
  return std::move(t).value();
}

// A number file ("max" reads as `max_value`); 0 when absent.
uint64_t num(const std::string& dir, const std::string& file, uint64_t max_value = 0) {
  auto t = read(dir, file);
  if (!t) return 0;
  return files::parse_single(*t, max_value).value_or(0);
}

int64_t snum(const std::string& dir, const std::string& file) {
  auto t = read(dir, file);
  return t ? std::strtoll(t->c_str(), nullptr, 10) : 0;
}

// "key value" lines.
files::KeyedValues flat_keyed(const std::string& dir, const std::string& file) {
  files::KeyedValues out;
  if (auto t = read(dir, file)) (void)files::parse_flat_keyed(*t, out);
  return out;
}

std::vector<uint64_t> numbers(const std::string& dir, const std::string& file) {
  std::vector<uint64_t> out;
  if (auto t = read(dir, file)) (void)files::parse_numbers(*t, out);
  return out;
}

// "0-2,4" -> [0,1,2,4]
std::vector<uint16_t> cpu_list(const std::string& dir, const std::string& file) {
  std::vector<uint16_t> out;
  auto t = read(dir, file);
  if (!t) return out;
  std::string s = *t;
  size_t at = 0;
  while (at < s.size()) {
    size_t comma = s.find(',', at);
    std::string part = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? s.size() : comma + 1;
    if (part.empty() || part == "\n") continue;
    size_t dash = part.find('-');
    unsigned long lo = std::strtoul(part.c_str(), nullptr, 10);
    unsigned long hi =
        dash == std::string::npos ? lo : std::strtoul(part.c_str() + dash + 1, nullptr, 10);
    for (unsigned long c = lo; c <= hi && c < 65536; ++c) out.push_back(static_cast<uint16_t>(c));
  }
  return out;
}

void put_nonzero(json& j, const char* key, uint64_t v) {
  if (v) j[key] = v;
}

json memory_entry(const std::string& dir, const std::string& prefix) {
  json e;
  e["limit"] = num(dir, prefix + ".limit_in_bytes");
  put_nonzero(e, "usage", num(dir, prefix + ".usage_in_bytes"));
  put_nonzero(e, "max", num(dir, prefix + ".max_usage_in_bytes"));
  e["failcnt"] = num(dir, prefix + ".failcnt");
  return e;
}

// blkio v1 "MAJ:MIN Op value" lines ("Total N" lines are skipped, as runc does).
json blkio_entries(const std::string& dir, const std::string& file) {
  json out = json::array();
  auto t = read(dir, file);
  if (!t) return out;
  for (auto line : base::split_lines(*t)) {
    auto w = base::split_words(line);
    if (w.size() < 2) continue;
    std::string dev(w[0]);
    size_t colon = dev.find(':');
    if (colon == std::string::npos) continue;
    json e;
    put_nonzero(e, "major", std::strtoull(dev.c_str(), nullptr, 10));
    put_nonzero(e, "minor", std::strtoull(dev.c_str() + colon + 1, nullptr, 10));
    if (w.size() == 3) {
      e["op"] = std::string(w[1]);
      put_nonzero(e, "value", std::strtoull(std::string(w[2]).c_str(), nullptr, 10));
    } else {
      put_nonzero(e, "value", std::strtoull(std::string(w[1]).c_str(), nullptr, 10));
    }
    out.push_back(std::move(e));
  }
  return out;
}

json hugetlb_v1(const std::string& dir) {
  json out = json::object();
  for (const auto& size : files::hugetlb_sizes(dir, ".usage_in_bytes")) {
    json h;
    put_nonzero(h, "usage", num(dir, "hugetlb." + size + ".usage_in_bytes"));
    put_nonzero(h, "max", num(dir, "hugetlb." + size + ".max_usage_in_bytes"));
    h["failcnt"] = num(dir, "hugetlb." + size + ".failcnt");
    out[size] = std::move(h);
  }
  return out;
}

json stats_v1(const CgroupSet& cg) {
  json d;
  const std::string cpuacct = files::v1_dir(cg, "cpuacct"), cpu = files::v1_dir(cg, "cpu");
  json usage;
  put_nonzero(usage, "total", num(cpuacct, "cpuacct.usage"));
  if (auto v = numbers(cpuacct, "cpuacct.usage_percpu"); !v.empty()) usage["percpu"] = v;
  // cpuacct.usage_all: "cpu user system" per cpu, after a header line.
  std::vector<uint64_t> pk, pu;
  if (auto t = read(cpuacct, "cpuacct.usage_all")) {
    auto lines = base::split_lines(*t);
    for (size_t i = 1; i < lines.size(); ++i) {
      auto w = base::split_words(lines[i]);
      if (w.size() != 3) continue;
      pu.push_back(std::strtoull(std::string(w[1]).c_str(), nullptr, 10));
      pk.push_back(std::strtoull(std::string(w[2]).c_str(), nullptr, 10));
    }
  }
  if (!pk.empty()) usage["percpu_kernel"] = pk;
  if (!pu.empty()) usage["percpu_user"] = pu;
  // cpuacct.stat is in clock ticks.
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  auto st = flat_keyed(cpuacct, "cpuacct.stat");
  usage["kernel"] = st["system"] * tick_ns;
  usage["user"] = st["user"] * tick_ns;
  json thr = json::object();
  auto cs = flat_keyed(cpu, "cpu.stat");
  put_nonzero(thr, "periods", cs["nr_periods"]);
  put_nonzero(thr, "throttledPeriods", cs["nr_throttled"]);
  put_nonzero(thr, "throttledTime", cs["throttled_time"]);
  d["cpu"] = {{"usage", usage}, {"throttling", thr}};

  const std::string cpuset = files::v1_dir(cg, "cpuset");
  json cset;
  if (auto v = cpu_list(cpuset, "cpuset.cpus"); !v.empty()) cset["cpus"] = v;
  cset["cpu_exclusive"] = num(cpuset, "cpuset.cpu_exclusive");
  if (auto v = cpu_list(cpuset, "cpuset.mems"); !v.empty()) cset["mems"] = v;
  for (const char* f : {"mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
                        "memory_spread_slab", "memory_pressure", "sched_load_balance"})
    cset[f] = num(cpuset, std::string("cpuset.") + f);
  cset["sched_relax_domain_level"] = snum(cpuset, "cpuset.sched_relax_domain_level");
  d["cpuset"] = cset;

  const std::string mem = files::v1_dir(cg, "memory");
  json m;
  auto raw = flat_keyed(mem, "memory.stat");
  put_nonzero(m, "cache", raw["cache"]);
  m["usage"] = memory_entry(mem, "memory");
  m["swap"] = memory_entry(mem, "memory.memsw");
  m["kernel"] = memory_entry(mem, "memory.kmem");
  m["kernelTCP"] = memory_entry(mem, "memory.kmem.tcp");
  if (!raw.empty()) m["raw"] = raw;
  d["memory"] = m;

  const std::string pids = files::v1_dir(cg, "pids");
  json p = json::object();
  put_nonzero(p, "current", num(pids, "pids.current"));
  put_nonzero(p, "limit", num(pids, "pids.max"));
  d["pids"] = p;

  const std::string blkio = files::v1_dir(cg, "blkio");
  json b = json::object();
  // The CFQ/BFQ files where the scheduler has them, else the throttle ones (as runc).
  bool cfq = read(blkio, "blkio.io_service_bytes_recursive").has_value();
  const std::string pre = cfq ? "blkio." : "blkio.throttle.";
  struct {
    const char* key;
    const char* file;
    bool cfq_only;
  } files[] = {{"ioServiceBytesRecursive", "io_service_bytes_recursive", false},
               {"ioServicedRecursive", "io_serviced_recursive", false},
               {"ioQueueRecursive", "io_queued_recursive", true},
               {"ioServiceTimeRecursive", "io_service_time_recursive", true},
               {"ioWaitTimeRecursive", "io_wait_time_recursive", true},
               {"ioMergedRecursive", "io_merged_recursive", true},
               {"ioTimeRecursive", "time_recursive", true},
               {"sectorsRecursive", "sectors_recursive", true}};
  for (const auto& f : files) {
    if (f.cfq_only && !cfq) continue;
    json e = blkio_entries(blkio, pre + f.file);
    if (!e.empty()) b[f.key] = std::move(e);
  }
  d["blkio"] = b;
  d["hugetlb"] = hugetlb_v1(files::v1_dir(cg, "hugetlb"));
  return d;
}

json stats_v2(const std::string& dir) {
  json d;
  auto cs = flat_keyed(dir, "cpu.stat");
  json usage;
  put_nonzero(usage, "total", cs["usage_usec"] * 1000);
  usage["kernel"] = cs["system_usec"] * 1000;
  usage["user"] = cs["user_usec"] * 1000;
  json thr = json::object();
  put_nonzero(thr, "periods", cs["nr_periods"]);
  put_nonzero(thr, "throttledPeriods", cs["nr_throttled"]);
  put_nonzero(thr, "throttledTime", cs["throttled_usec"] * 1000);
  d["cpu"] = {{"usage", usage}, {"throttling", thr}};
  json cset;
  if (auto v = cpu_list(dir, "cpuset.cpus.effective"); !v.empty()) cset["cpus"] = v;
  cset["cpu_exclusive"] = 0;
  if (auto v = cpu_list(dir, "cpuset.mems.effective"); !v.empty()) cset["mems"] = v;
  for (const char* f : {"mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
                        "memory_spread_slab", "memory_pressure", "sched_load_balance"})
    cset[f] = 0;
  cset["sched_relax_domain_level"] = 0;
  d["cpuset"] = cset;
  json m;
  auto raw = flat_keyed(dir, "memory.stat");
  put_nonzero(m, "cache", raw["file"]);
  auto events = flat_keyed(dir, "memory.events");
  json u;
  u["limit"] = num(dir, "memory.max", UINT64_MAX);
  put_nonzero(u, "usage", num(dir, "memory.current"));
  put_nonzero(u, "max", num(dir, "memory.peak"));
  u["failcnt"] = events["max"];
  m["usage"] = u;
  json s;
  s["limit"] = num(dir, "memory.swap.max", UINT64_MAX);
  put_nonzero(s, "usage", num(dir, "memory.swap.current"));
  s["failcnt"] = 0;
  m["swap"] = s;
  m["kernel"] = {{"limit", 0}, {"failcnt", 0}};
  m["kernelTCP"] = {{"limit", 0}, {"failcnt", 0}};
  if (!raw.empty()) m["raw"] = raw;
  d["memory"] = m;
  json p = json::object();
  put_nonzero(p, "current", num(dir, "pids.current"));
  put_nonzero(p, "limit", num(dir, "pids.max"));
  d["pids"] = p;
  // io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. ..."
  json bytes = json::array(), ios = json::array();
  if (auto t = read(dir, "io.stat")) {
    for (auto line : base::split_lines(*t)) {
      auto w = base::split_words(line);
      if (w.empty()) continue;
      std::string dev(w[0]);
      uint64_t major = std::strtoull(dev.c_str(), nullptr, 10);
      uint64_t minor = std::strtoull(dev.c_str() + dev.find(':') + 1, nullptr, 10);
      for (size_t i = 1; i < w.size(); ++i) {
        std::string kv(w[i]);
        size_t eq = kv.find('=');
        if (eq == std::string::npos) continue;
        std::string k = kv.substr(0, eq);
        uint64_t v = std::strtoull(kv.c_str() + eq + 1, nullptr, 10);
        json e;
        put_nonzero(e, "major", major);
        put_nonzero(e, "minor", minor);
        if (k == "rbytes" || k == "wbytes") {
          e["op"] = k == "rbytes" ? "Read" : "Write";
          put_nonzero(e, "value", v);
          bytes.push_back(e);
        } else if (k == "rios" || k == "wios") {
          e["op"] = k == "rios" ? "Read" : "Write";
          put_nonzero(e, "value", v);
          ios.push_back(e);
        }
      }
    }
  }
  json b = json::object();
  if (!bytes.empty()) b["ioServiceBytesRecursive"] = bytes;
  if (!ios.empty()) b["ioServicedRecursive"] = ios;
  d["blkio"] = b;
  json h = json::object();
  for (const auto& size : files::hugetlb_sizes(dir, ".current")) {
    json e;
    put_nonzero(e, "usage", num(dir, "hugetlb." + size + ".current"));
    e["failcnt"] = flat_keyed(dir, "hugetlb." + size + ".events")["max"];
    h[size] = e;
  }
  d["hugetlb"] = h;
  return d;
}

}  // namespace

base::Result<std::string> stats_json(const CgroupSet& cg) {
  if (cg.dirs.empty())
    return base::Error(base::Category::failed_precondition, "the container has no cgroups");
  json d = files::pure_v2(cg) ? stats_v2(files::v2_dir(cg)) : stats_v1(cg);
  d["intel_rdt"] = json::object();
  d["network_interfaces"] = nullptr;
  return d.dump();
}

base::Result<OomWatch> OomWatch::open(const CgroupSet& cg) {
  OomWatch w;
  if (std::string mem = files::v1_dir(cg, "memory"); !mem.empty()) {
    w.control_.reset(::open((mem + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC));
    if (!w.control_.valid()) return base::sys_error("open `" + mem + "/memory.oom_control`");
    w.fd_.reset(eventfd(0, EFD_CLOEXEC));
    if (!w.fd_.valid()) return base::sys_error("eventfd");
    std::string line = std::to_string(w.fd_.get()) + " " + std::to_string(w.control_.get());
    TRY_WRAP(base::write_file(mem + "/cgroup.event_control", line),
             "watch `" + mem + "/memory.oom_control`");
    return w;
  }
  std::string dir = files::v2_dir(cg);
  if (dir.empty() || !read(dir, "memory.events"))
    return base::Error(base::Category::failed_precondition,
                       "the container has no memory cgroup to watch for OOM kills");
  w.v2_ = true;
  w.events_ = dir + "/memory.events";
  w.fd_.reset(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!w.fd_.valid() || inotify_add_watch(w.fd_.get(), w.events_.c_str(), IN_MODIFY) < 0)
    return base::sys_error("watch `" + w.events_ + "`");
  w.seen_ = flat_keyed(dir, "memory.events")["oom_kill"];
  return w;
}

uint64_t OomWatch::take() {
  if (!v2_) {
    uint64_t n = 0;
    return ::read(fd_.get(), &n, sizeof n) == sizeof n ? n : 0;
  }
  char buf[4096];
  while (::read(fd_.get(), buf, sizeof buf) > 0) {
  }
  std::string dir = events_.substr(0, events_.rfind('/'));
  // The count only grows: a read that misses it (or a smaller one) changes nothing.
  auto events = flat_keyed(dir, "memory.events");
  auto it = events.find("oom_kill");
  if (it == events.end() || it->second <= seen_) return 0;
  uint64_t n = it->second - seen_;
  seen_ = it->second;
  return n;
}

}  // namespace kernel
