#include "linux/cgroup_resources.h"

#include <sys/stat.h>

#include <algorithm>
#include <cinttypes>

#include "base/file.h"
#include "base/words.h"

namespace kernel {

namespace {

const std::string kRes = "linux.resources.";

std::string num(int64_t v) {
  return std::to_string(v);
}

// runc writes "max" for -1 in the v2 files.
std::string max_or(int64_t v) {
  return v < 0 ? "max" : std::to_string(v);
}

bool listed(const std::string& text, const std::string& word) {
  for (std::string_view w : base::split_words(text))
    if (w == word) return true;
  return false;
}

class Planner {
 public:
  Planner(const CgroupSet& cg, const CgroupFiles& files) : cg_(cg), files_(files) {}

  // The container's directory in the v1 hierarchy that has `controller`.
  std::optional<std::string> v1(const std::string& controller) const {
    for (size_t i = 0; i < cg_.hierarchies.size(); ++i)
      if (!cg_.hierarchies[i].v2 && cg_.hierarchies[i].has(controller)) return cg_.dirs[i];
    return std::nullopt;
  }

  // The container's cgroup2 directory, whatever controllers it has.
  std::optional<std::string> v2_dir() const {
    for (size_t i = 0; i < cg_.hierarchies.size(); ++i)
      if (cg_.hierarchies[i].v2) return cg_.dirs[i];
    return std::nullopt;
  }

  // The container's cgroup2 directory when the cgroup2 mount offers `controller`; the
  // controller is enabled (planned) in every ancestor's cgroup.subtree_control on the way.
  std::optional<std::string> v2(const std::string& controller) {
    for (size_t i = 0; i < cg_.hierarchies.size(); ++i) {
      if (!cg_.hierarchies[i].v2) continue;
      const std::string& mount = cg_.hierarchies[i].mountpoint;
      auto offered = files_.read(mount + "/cgroup.controllers");
      if (!offered || !listed(*offered, controller)) return std::nullopt;
      const std::string& dir = cg_.dirs[i];
      for (size_t slash = mount.size(); slash < dir.size(); slash = dir.find('/', slash + 1)) {
        std::string ancestor = dir.substr(0, slash);
        std::string file = ancestor + "/cgroup.subtree_control";
        auto enabled = files_.read(file);
        if (enabled && listed(*enabled, controller)) continue;
        if (std::find_if(writes_.begin(), writes_.end(), [&](const CgroupWrite& w) {
              return w.path == file && w.value == "+" + controller;
            }) != writes_.end())
          continue;
        writes_.push_back(
            {file, "+" + controller, "enable the cgroup2 `" + controller + "` controller"});
        enabling_.push_back(controller);
      }
      return dir;
    }
    return std::nullopt;
  }

  // v1 if a hierarchy has it, else the cgroup2 directory if it offers it.
  struct Place {
    std::string dir;
    bool v2 = false;
  };
  std::optional<Place> place(const std::string& controller) {
    if (auto d = v1(controller)) return Place{*d, false};
    if (auto d = v2(controller)) return Place{*d, true};
    return std::nullopt;
  }

  void write(const std::string& dir, const std::string& file, const std::string& value,
             const std::string& field) {
    writes_.push_back({dir + "/" + file, value, field});
  }
  bool exists(const std::string& dir, const std::string& file) const {
    return files_.exists(dir + "/" + file);
  }
  std::optional<std::string> read(const std::string& dir, const std::string& file) const {
    return files_.read(dir + "/" + file);
  }

  // Whether the plan enables `controller` on cgroup2 (its files appear only once applied).
  bool enabling(const std::string& controller) const {
    return std::find(enabling_.begin(), enabling_.end(), controller) != enabling_.end();
  }

  void fail(const std::string& field, const std::string& what) {
    if (!error_) error_ = base::invalid("`" + field + "`: " + what);
  }
  void no_controller(const std::string& field, const std::string& controller) {
    fail(field, "no mounted cgroup hierarchy has the `" + controller + "` controller");
  }

  base::Result<std::vector<CgroupWrite>> result() {
    if (error_) return *error_;
    return std::move(writes_);
  }

 private:
  const CgroupSet& cg_;
  const CgroupFiles& files_;
  std::vector<CgroupWrite> writes_;
  std::vector<std::string> enabling_;
  std::optional<base::Error> error_;
};

// "2MB" -> 2048 (kB), as the page sizes under /sys/kernel/mm/hugepages are named; 0 if malformed.
uint64_t page_size_kb(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i > 12) return 0;
  uint64_t n = std::stoull(s.substr(0, i));
  std::string unit = s.substr(i);
  if (unit == "KB") return n;
  if (unit == "MB") return n * 1024;
  if (unit == "GB") return n * 1024 * 1024;
  return 0;
}

void plan_memory(Planner& p, const oci::MemoryResources& m) {
  const std::string f = kRes + "memory";
  bool any = m.limit || m.reservation || m.swap || m.swappiness || m.use_hierarchy ||
             m.disable_oom_killer.value_or(false);
  if (!any) return;  // docker's {"disableOOMKiller": false} asks for nothing
  auto at = p.place("memory");
  if (!at) return p.no_controller(f, "memory");
  int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
  if (!at->v2) {
    if (limit == -1 && swap == 0) swap = -1;  // both unlimited, as runc
    auto write_limit = [&] {
      if (limit != 0) p.write(at->dir, "memory.limit_in_bytes", num(limit), f + ".limit");
    };
    auto write_swap = [&] {
      if (swap == 0) return;
      if (!p.exists(at->dir, "memory.memsw.limit_in_bytes"))
        return p.fail(f + ".swap", "swap accounting is not enabled in this kernel");
      p.write(at->dir, "memory.memsw.limit_in_bytes", num(swap), f + ".swap");
    };
    // The kernel keeps memsw >= limit at every step: order the two writes as runc does.
    auto current = p.read(at->dir, "memory.limit_in_bytes");
    uint64_t cur = current ? std::strtoull(current->c_str(), nullptr, 10) : UINT64_MAX;
    if (limit != 0 && swap != 0 && (swap == -1 || cur < static_cast<uint64_t>(swap))) {
      write_swap();
      write_limit();
    } else {
      write_limit();
      write_swap();
    }
    if (m.reservation && *m.reservation != 0)
      p.write(at->dir, "memory.soft_limit_in_bytes", num(*m.reservation), f + ".reservation");
    if (m.disable_oom_killer.value_or(false))
      p.write(at->dir, "memory.oom_control", "1", f + ".disableOOMKiller");
    if (m.swappiness) p.write(at->dir, "memory.swappiness", num(*m.swappiness), f + ".swappiness");
    if (m.use_hierarchy)
      p.write(at->dir, "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0", f + ".useHierarchy");
    return;
  }
  // checkBeforeUpdate (runc, cgroup v2 only: v1's kernel refuses a limit below the usage by
  // itself, v2's would OOM-kill instead): a new limit must be above the current usage.
  if (m.check_before_update.value_or(false) && (limit > 0 || swap > 0)) {
    auto text = p.read(at->dir, "memory.current");
    uint64_t usage = text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
    if (text && swap > 0 && static_cast<uint64_t>(swap) <= usage)
      return p.fail(f + ".swap", "memory+swap limit " + num(swap) +
                                     " is not above the current usage " + std::to_string(usage) +
                                     " (checkBeforeUpdate)");
    if (text && limit > 0 && static_cast<uint64_t>(limit) <= usage)
      return p.fail(f + ".limit", "memory limit " + num(limit) +
                                      " is not above the current usage " + std::to_string(usage) +
                                      " (checkBeforeUpdate)");
  }
  // cgroup2: swap is memory.swap.max = (memory + swap) - memory.
  if (swap != 0 || limit == -1) {
    if (limit == -1 && swap == 0) {
      p.write(at->dir, "memory.swap.max", "max", f + ".swap");
    } else if (swap == -1) {
      p.write(at->dir, "memory.swap.max", "max", f + ".swap");
    } else if (limit == 0 || limit == -1) {
      return p.fail(f + ".swap", "a swap limit needs a memory limit");
    } else if (swap < limit) {
      return p.fail(f + ".swap", "memory+swap (" + num(swap) + ") is below the memory limit (" +
                                     num(limit) + ")");
    } else {
      p.write(at->dir, "memory.swap.max", num(swap - limit), f + ".swap");
    }
  }
  if (limit != 0) p.write(at->dir, "memory.max", max_or(limit), f + ".limit");
  if (m.reservation && *m.reservation != 0)
    p.write(at->dir, "memory.low", max_or(*m.reservation), f + ".reservation");
  if (m.disable_oom_killer.value_or(false))
    p.fail(f + ".disableOOMKiller", "cgroup v2 has no switch to disable the OOM killer");
}

void plan_cpu(Planner& p, const oci::CpuResources& c) {
  const std::string f = kRes + "cpu";
  bool cpu_any = c.shares.value_or(0) != 0 || c.quota.value_or(0) != 0 ||
                 c.period.value_or(0) != 0 || c.burst || c.idle ||
                 c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0;
  if (cpu_any) {
    auto at = p.place("cpu");
    if (!at) return p.no_controller(f, "cpu");
    if (!at->v2) {
      if (c.realtime_period.value_or(0) != 0)
        p.write(at->dir, "cpu.rt_period_us", num(*c.realtime_period), f + ".realtimePeriod");
      if (c.realtime_runtime.value_or(0) != 0)
        p.write(at->dir, "cpu.rt_runtime_us", num(*c.realtime_runtime), f + ".realtimeRuntime");
      if (c.shares.value_or(0) != 0) p.write(at->dir, "cpu.shares", num(*c.shares), f + ".shares");
      if (c.period.value_or(0) != 0)
        p.write(at->dir, "cpu.cfs_period_us", num(*c.period), f + ".period");
      if (c.quota.value_or(0) != 0)
        p.write(at->dir, "cpu.cfs_quota_us", num(*c.quota), f + ".quota");
      if (c.burst) p.write(at->dir, "cpu.cfs_burst_us", num(*c.burst), f + ".burst");
      if (c.idle) p.write(at->dir, "cpu.idle", num(*c.idle), f + ".idle");
    } else {
      if (c.realtime_period.value_or(0) != 0 || c.realtime_runtime.value_or(0) != 0)
        return p.fail(f + ".realtimeRuntime", "cgroup v2 has no real-time CPU limits");
      if (c.shares.value_or(0) != 0)
        p.write(at->dir, "cpu.weight", num(cpu_shares_to_weight(*c.shares)), f + ".shares");
      if (c.quota.value_or(0) != 0 || c.period.value_or(0) != 0) {
        std::string v = c.quota.value_or(0) > 0 ? num(*c.quota) : "max";
        if (c.period.value_or(0) != 0) v += " " + num(*c.period);
        p.write(at->dir, "cpu.max", v, c.quota.value_or(0) != 0 ? f + ".quota" : f + ".period");
      }
      if (c.burst) p.write(at->dir, "cpu.max.burst", num(*c.burst), f + ".burst");
      if (c.idle) p.write(at->dir, "cpu.idle", num(*c.idle), f + ".idle");
    }
  }
  if (!c.cpus.empty() || !c.mems.empty()) {
    auto at = p.place("cpuset");
    if (!at) return p.no_controller(f + (c.cpus.empty() ? ".mems" : ".cpus"), "cpuset");
    if (!c.cpus.empty()) p.write(at->dir, "cpuset.cpus", c.cpus, f + ".cpus");
    if (!c.mems.empty()) p.write(at->dir, "cpuset.mems", c.mems, f + ".mems");
  }
}

void plan_pids(Planner& p, int64_t limit) {
  const std::string f = kRes + "pids.limit";
  if (limit == 0) return;  // podman's {"limit": 0}: no limit
  auto at = p.place("pids");
  if (!at) return p.no_controller(f, "pids");
  p.write(at->dir, "pids.max", limit < 0 ? "max" : num(limit), f);
}

std::string device(const oci::BlockIoDevice& d) {
  return num(d.major) + ":" + num(d.minor);
}

void plan_block_io(Planner& p, const oci::BlockIoResources& b) {
  const std::string f = kRes + "blockIO";
  bool any = b.weight.value_or(0) != 0 || b.leaf_weight.value_or(0) != 0 ||
             !b.weight_device.empty() || !b.throttle_read_bps.empty() ||
             !b.throttle_write_bps.empty() || !b.throttle_read_iops.empty() ||
             !b.throttle_write_iops.empty();
  if (!any) return;  // docker's {"weight": 0} asks for nothing
  std::optional<Planner::Place> at;
  if (auto d = p.v1("blkio")) at = Planner::Place{*d, false};
  if (!at)
    if (auto d = p.v2("io")) at = Planner::Place{*d, true};
  if (!at) return p.no_controller(f, "blkio");
  if (!at->v2) {
    // No CFQ on current kernels: runc falls back to BFQ's file, which exists only with BFQ.
    std::string weight_file =
        p.exists(at->dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    std::string device_file = p.exists(at->dir, "blkio.weight_device") ? "blkio.weight_device"
                                                                       : "blkio.bfq.weight_device";
    if (b.weight.value_or(0) != 0) {
      if (!p.exists(at->dir, weight_file))
        return p.fail(f + ".weight", "this kernel has no `" + weight_file +
                                         "` (no CFQ or BFQ I/O scheduler in the blkio controller)");
      p.write(at->dir, weight_file, num(*b.weight), f + ".weight");
    }
    if (b.leaf_weight.value_or(0) != 0) {
      if (!p.exists(at->dir, "blkio.leaf_weight"))
        return p.fail(f + ".leafWeight", "this kernel has no `blkio.leaf_weight`");
      p.write(at->dir, "blkio.leaf_weight", num(*b.leaf_weight), f + ".leafWeight");
    }
    for (size_t i = 0; i < b.weight_device.size(); ++i) {
      const auto& d = b.weight_device[i];
      std::string fi = f + ".weightDevice[" + std::to_string(i) + "]";
      if (d.weight) {
        if (!p.exists(at->dir, device_file))
          return p.fail(fi, "this kernel has no `" + device_file + "`");
        p.write(at->dir, device_file, device(d) + " " + num(*d.weight), fi + ".weight");
      }
      if (d.leaf_weight) {
        if (!p.exists(at->dir, "blkio.leaf_weight_device"))
          return p.fail(fi + ".leafWeight", "this kernel has no `blkio.leaf_weight_device`");
        p.write(at->dir, "blkio.leaf_weight_device", device(d) + " " + num(*d.leaf_weight),
                fi + ".leafWeight");
      }
    }
    struct Throttle {
      const std::vector<oci::BlockIoDevice>& list;
      const char* file;
      const char* name;
    } throttles[] = {
        {b.throttle_read_bps, "blkio.throttle.read_bps_device", "throttleReadBpsDevice"},
        {b.throttle_write_bps, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice"},
        {b.throttle_read_iops, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice"},
        {b.throttle_write_iops, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice"},
    };
    for (const auto& t : throttles)
      for (size_t i = 0; i < t.list.size(); ++i)
        p.write(at->dir, t.file, device(t.list[i]) + " " + num(t.list[i].rate),
                f + "." + t.name + "[" + std::to_string(i) + "]");
    return;
  }
  // cgroup2: io.bfq.weight when BFQ is there, else io.weight on its own scale.
  if (b.weight.value_or(0) != 0) {
    if (p.exists(at->dir, "io.bfq.weight"))
      p.write(at->dir, "io.bfq.weight", num(*b.weight), f + ".weight");
    else
      p.write(at->dir, "io.weight", "default " + num(blkio_weight_to_io_weight(*b.weight)),
              f + ".weight");
  }
  if (b.leaf_weight.value_or(0) != 0)
    return p.fail(f + ".leafWeight", "cgroup v2 has no leaf weight");
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const auto& d = b.weight_device[i];
    std::string fi = f + ".weightDevice[" + std::to_string(i) + "]";
    if (d.leaf_weight) return p.fail(fi + ".leafWeight", "cgroup v2 has no leaf weight");
    if (d.weight) {
      if (!p.exists(at->dir, "io.bfq.weight"))
        return p.fail(fi, "per-device weights need the BFQ I/O scheduler (`io.bfq.weight`)");
      p.write(at->dir, "io.bfq.weight", device(d) + " " + num(*d.weight), fi + ".weight");
    }
  }
  struct Throttle {
    const std::vector<oci::BlockIoDevice>& list;
    const char* key;
    const char* name;
  } throttles[] = {
      {b.throttle_read_bps, "rbps", "throttleReadBpsDevice"},
      {b.throttle_write_bps, "wbps", "throttleWriteBpsDevice"},
      {b.throttle_read_iops, "riops", "throttleReadIOPSDevice"},
      {b.throttle_write_iops, "wiops", "throttleWriteIOPSDevice"},
  };
  for (const auto& t : throttles)
    for (size_t i = 0; i < t.list.size(); ++i)
      p.write(
          at->dir, "io.max",
          device(t.list[i]) + " " + t.key + "=" + (t.list[i].rate ? num(t.list[i].rate) : "max"),
          f + "." + t.name + "[" + std::to_string(i) + "]");
}

void plan_hugetlb(Planner& p, const std::vector<oci::HugepageLimit>& limits) {
  if (limits.empty()) return;
  const std::string f = kRes + "hugepageLimits";
  auto at = p.place("hugetlb");
  if (!at) return p.no_controller(f, "hugetlb");
  for (size_t i = 0; i < limits.size(); ++i) {
    const auto& l = limits[i];
    std::string fi = f + "[" + std::to_string(i) + "]";
    std::string file = "hugetlb." + l.page_size + (at->v2 ? ".max" : ".limit_in_bytes");
    uint64_t kb = page_size_kb(l.page_size);
    if (kb == 0 || !p.exists("/sys/kernel/mm/hugepages", "hugepages-" + num(kb) + "kB"))
      return p.fail(fi + ".pageSize", "`" + l.page_size +
                                          "` is not a huge page size of this machine (see "
                                          "/sys/kernel/mm/hugepages)");
    p.write(at->dir, file, num(static_cast<int64_t>(l.limit)), fi + ".limit");
  }
}

void plan_network(Planner& p, const oci::NetworkResources& n) {
  const std::string f = kRes + "network";
  if (n.class_id) {
    auto d = p.v1("net_cls");
    if (!d) return p.no_controller(f + ".classID", "net_cls");
    p.write(*d, "net_cls.classid", num(*n.class_id), f + ".classID");
  }
  if (!n.priorities.empty()) {
    auto d = p.v1("net_prio");
    if (!d) return p.no_controller(f + ".priorities", "net_prio");
    for (size_t i = 0; i < n.priorities.size(); ++i)
      p.write(*d, "net_prio.ifpriomap", n.priorities[i].first + " " + num(n.priorities[i].second),
              f + ".priorities[" + std::to_string(i) + "]");
  }
}

void plan_rdma(Planner& p, const std::map<std::string, oci::RdmaLimit>& rdma) {
  if (rdma.empty()) return;
  const std::string f = kRes + "rdma";
  auto at = p.place("rdma");
  if (!at) return p.no_controller(f, "rdma");
  for (const auto& [dev, l] : rdma) {
    std::string v = dev;
    if (l.hca_handles) v += " hca_handle=" + num(*l.hca_handles);
    if (l.hca_objects) v += " hca_object=" + num(*l.hca_objects);
    p.write(at->dir, "rdma.max", v, f + "." + dev);
  }
}

void plan_unified(Planner& p, const std::map<std::string, std::string>& unified) {
  if (unified.empty()) return;
  const std::string f = kRes + "unified";
  auto dir = p.v2_dir();
  if (!dir) return p.fail(f, "no cgroup2 hierarchy is mounted");
  for (const auto& [key, value] : unified) {
    // A controller's file needs the controller enabled on the way down.
    if (auto dot = key.find('.'); dot != std::string::npos) {
      std::string controller = key.substr(0, dot);
      if (controller != "cgroup") (void)p.v2(controller);
    }
    std::string controller = key.substr(0, key.find('.'));
    if (!p.enabling(controller) && !p.exists(*dir, key))
      return p.fail(f + "." + key, "the container's cgroup2 directory has no file `" + key + "`");
    p.write(*dir, key, value, f + "." + key);
  }
}

}  // namespace

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

CgroupFiles real_cgroup_files() {
  return {
      [](const std::string& path) {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0;
      },
      [](const std::string& path) -> std::optional<std::string> {
        auto t = base::read_file(path, 1 << 16);
        if (!t.ok()) return std::nullopt;
        return std::move(t).value();
      },
  };
}

base::Result<std::vector<CgroupWrite>> plan_resources(const CgroupSet& cg, const oci::Resources& r,
                                                      const CgroupFiles& files) {
  Planner p(cg, files);
  if (r.memory) plan_memory(p, *r.memory);
  if (r.cpu) plan_cpu(p, *r.cpu);
  if (r.pids_limit) plan_pids(p, *r.pids_limit);
  if (r.block_io) plan_block_io(p, *r.block_io);
  plan_hugetlb(p, r.hugepage_limits);
  if (r.network) plan_network(p, *r.network);
  plan_rdma(p, r.rdma);
  plan_unified(p, r.unified);
  return p.result();
}

base::Status apply_resources(const std::vector<CgroupWrite>& writes) {
  for (const auto& w : writes)
    TRY_WRAP(base::write_file(w.path, w.value),
             "`" + w.field + "`: write `" + w.value + "` to `" + w.path + "`");
  return base::ok();
}

std::vector<std::string> resource_warnings(const oci::Resources& r) {
  std::vector<std::string> out;
  if (r.memory && r.memory->kernel)
    out.push_back("`" + kRes + "memory.kernel`: kernel memory limits are not supported; ignored");
  if (r.memory && r.memory->kernel_tcp)
    out.push_back("`" + kRes +
                  "memory.kernelTCP`: kernel TCP memory limits are not supported; ignored");
  return out;
}

}  // namespace kernel
