#include "runtime/systemd.h"

#include <unistd.h>

#include <cinttypes>
#include <climits>
#include <map>
#include <optional>
#include <string_view>

#include "base/file.h"
#include "base/log.h"
#include "base/words.h"
#include "dbus/connection.h"
#include "linux/device_filter.h"

namespace runtime {

using base::Result;
using base::Status;
using dbus::Value;

namespace {

constexpr const char* kFlag = "`--systemd-cgroup`";
constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr auto kCallTimeout = std::chrono::seconds(25);
constexpr auto kJobTimeout = std::chrono::seconds(30);  // runc's

base::Error systemd_error(const std::string& what, const dbus::Message& reply) {
  std::string text = reply.error_text();
  base::Category cat = base::Category::unavailable;
  if (reply.error_name == "org.freedesktop.DBus.Error.InvalidArgs")
    cat = base::Category::invalid_argument;
  return base::Error(cat, std::string(kFlag) + ": systemd's " + what + ": " + reply.error_name +
                              (text.empty() ? "" : ": " + text));
}

// "0-3,8" → the bit mask as systemd reads it (byte i holds CPUs 8i..8i+7).
Result<std::vector<Value>> cpu_mask(const std::string& list, const std::string& field) {
  std::vector<uint8_t> bytes;
  auto bad = [&](const std::string& why) {
    return base::invalid("`" + field + "`: `" + base::clip(list) + "`: " + why);
  };
  auto number = [&](std::string s, uint32_t& out) {
    s.erase(0, s.find_first_not_of(' '));
    s.erase(s.find_last_not_of(' ') + 1);
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
      return false;
    out = static_cast<uint32_t>(std::stoul(s));
    return out < 65536;
  };
  for (std::string_view field : base::split(list, ',')) {
    const std::string part(field);
    if (part.find_first_not_of(' ') == std::string::npos) continue;
    uint32_t lo = 0, hi = 0;
    size_t dash = part.find('-');
    if (!number(part.substr(0, dash), lo) ||
        !number(dash == std::string::npos ? part : part.substr(dash + 1), hi))
      return bad("not a list of numbers and ranges below 65536");
    if (lo > hi) return bad("the range `" + part + "` runs backwards");
    for (uint32_t i = lo; i <= hi; ++i) {
      if (bytes.size() <= i / 8) bytes.resize(i / 8 + 1);
      bytes[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
    }
  }
  if (bytes.empty()) return bad("empty");
  std::vector<Value> out;
  for (uint8_t b : bytes) out.push_back(Value::byte(b));
  return out;
}

// The group of major `major` in /proc/devices ("char-pts"), "" when none is listed.
std::string device_group(char type, int64_t major) {
  auto text = base::read_file("/proc/devices");
  if (!text.ok()) return "";
  bool in_section = false;
  const std::string_view section = type == 'b' ? "Block devices:" : "Character devices:";
  for (std::string_view line : base::split_lines(*text)) {
    if (line.empty()) continue;
    if (line.back() == ':') {
      in_section = line == section;
      continue;
    }
    auto words = base::split_words(line);
    if (!in_section || words.size() != 2 || words[0] != std::to_string(major)) continue;
    return (type == 'b' ? "block-" : "char-") + std::string(words[1]);
  }
  return "";
}

std::vector<Property> device_properties(const std::vector<oci::DeviceRule>& rules,
                                        std::vector<std::string>* warnings) {
  std::vector<Property> props;
  auto all = kernel::container_device_rules(rules);
  std::vector<std::string> fields(all.size(), "linux.resources.devices");
  auto set = kernel::reduce_device_rules(all, fields);
  auto allow_list = [](std::vector<Value> entries) {
    return property("DeviceAllow", Value::array("(ss)", std::move(entries)));
  };
  if (!set.ok()) {
    // Refused by the cgroupfs side too (create fails there, naming the rule); systemd gets
    // the deny-all policy meanwhile.
    return {property("DevicePolicy", Value::string("strict")), allow_list({})};
  }
  if (set->default_allow && set->exceptions.empty())
    return {property("DevicePolicy", Value::string("auto")), allow_list({})};
  props.push_back(property("DevicePolicy", Value::string("strict")));
  props.push_back(allow_list({}));
  if (set->default_allow) {
    warnings->push_back(
        "systemd doesn't support blacklist device rules -- applying temporary deny-all rule");
    return props;
  }
  std::vector<Value> entries;
  for (const auto& e : set->exceptions) {
    std::string perms;
    if (e.access & kernel::kDevRead) perms += 'r';
    if (e.access & kernel::kDevWrite) perms += 'w';
    if (e.access & kernel::kDevMknod) perms += 'm';
    const std::string kind = e.type == 'b' ? "block" : "char";
    std::string rule = std::string(1, e.type) + " " +
                       (e.major < 0 ? "*" : std::to_string(e.major)) + ":" +
                       (e.minor < 0 ? "*" : std::to_string(e.minor)) + " " + perms;
    std::string path;
    if (e.major < 0) {
      if (e.minor >= 0) {
        warnings->push_back(
            "systemd doesn't support '*:n' device rules -- temporarily ignoring "
            "rule: " +
            rule);
        continue;
      }
      path = kind + "-*";
    } else if (e.minor < 0) {
      path = device_group(e.type, e.major);
      if (path.empty()) {
        warnings->push_back("could not find device group for '" + rule +
                            "' in /proc/devices -- temporarily ignoring it");
        continue;
      }
    } else {
      path = "/dev/" + kind + "/" + std::to_string(e.major) + ":" + std::to_string(e.minor);
      if (!base::path_exists(path) && !base::path_exists("/sys" + path)) {
        warnings->push_back("skipping device " + path + " for systemd: it does not exist");
        continue;
      }
    }
    entries.push_back(Value::structure({Value::string(path), Value::string(perms)}));
  }
  props.push_back(allow_list(std::move(entries)));
  return props;
}

}  // namespace

Result<std::string> expand_slice(const std::string& slice) {
  const std::string suffix = ".slice";
  auto bad = [&] { return base::invalid("invalid slice name: " + base::clip(slice, 200)); };
  if (!slice.ends_with(suffix) || slice.find('/') != std::string::npos ||
      slice.find('\0') != std::string::npos)
    return bad();
  std::string_view name = std::string_view(slice).substr(0, slice.size() - suffix.size());
  if (name == "-") return std::string("/");
  std::string path, prefix;
  for (std::string_view part : base::split(name, '-')) {
    if (part.empty()) return bad();
    path += "/" + prefix + std::string(part) + suffix;
    prefix += std::string(part) + "-";
  }
  return path;
}

Result<SystemdUnit> parse_systemd_path(const std::string& cgroups_path, const std::string& id) {
  std::string slice, prefix = "rune", name = id;
  if (!cgroups_path.empty()) {
    auto parts = base::split(cgroups_path, ':');
    if (parts.size() != 3)
      return base::invalid(
          "`linux.cgroupsPath`: expected cgroupsPath to be of format \"slice:prefix:name\" for "
          "systemd cgroups, got \"" +
          base::clip(cgroups_path, 200) + "\" instead");
    slice = parts[0];
    prefix = parts[1];
    name = parts[2];
  }
  SystemdUnit u;
  u.slice = slice.empty() ? "system.slice" : slice;
  auto path = expand_slice(u.slice);
  if (!path.ok()) return std::move(path).error().wrap("`linux.cgroupsPath`");
  u.slice_path = *path;
  u.name = name;
  u.unit = name.ends_with(".slice") ? name : prefix + "-" + name + ".scope";
  // A unit name is at most 255 bytes of [A-Za-z0-9:_.\-\\@]; systemd refuses others.
  if (u.unit.size() > 255 || name.empty() ||
      u.unit.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.-"
                               "\\@") != std::string::npos)
    return base::invalid("`linux.cgroupsPath`: `" + base::clip(cgroups_path, 200) +
                         "` gives the unit name `" + base::clip(u.unit, 200) +
                         "`, which systemd does not accept");
  return u;
}

Driver driver_of(const kernel::CgroupSet& cg) {
  for (const auto& h : cg.hierarchies)
    if (!h.v2) return Driver::v1;
  return Driver::unified;
}

Property property(const std::string& name, Value value) {
  return Value::structure({Value::string(name), Value::variant(std::move(value))});
}

std::vector<Property> unit_properties(const SystemdUnit& u, pid_t pid, Driver d) {
  std::vector<Property> p;
  p.push_back(property("Description", Value::string("libcontainer container " + u.name)));
  if (u.unit == u.name) {  // a slice: its parent is a dependency
    p.push_back(property("Wants", Value::array("s", {Value::string(u.slice)})));
  } else {
    p.push_back(property("Slice", Value::string(u.slice)));
    p.push_back(property("Delegate", Value::boolean(true)));
  }
  p.push_back(property("PIDs", Value::array("u", {Value::u32(static_cast<uint32_t>(pid))})));
  for (const char* a : {"MemoryAccounting", "CPUAccounting",
                        d == Driver::v1 ? "BlockIOAccounting" : "IOAccounting", "TasksAccounting"})
    p.push_back(property(a, Value::boolean(true)));
  p.push_back(property("DefaultDependencies", Value::boolean(false)));
  return p;
}

namespace {

Value u64_or_max(int64_t v) {
  return Value::u64(v < 0 ? UINT64_MAX : static_cast<uint64_t>(v));
}

// runc's addCpuQuota.
void add_cpu_quota(std::vector<Property>& p, int64_t quota, uint64_t period,
                   const std::function<int()>& ver) {
  if (period != 0 && ver() >= 242) p.push_back(property("CPUQuotaPeriodUSec", Value::u64(period)));
  if (quota != 0 || period != 0) {
    uint64_t per_sec = UINT64_MAX;  // USEC_INFINITY
    if (quota > 0) {
      uint64_t per = period ? period : 100000;
      per_sec = static_cast<uint64_t>(quota) * 1000000 / per;
      if (per_sec % 10000) per_sec = (per_sec / 10000 + 1) * 10000;  // whole percents, up
    }
    p.push_back(property("CPUQuotaPerSecUSec", Value::u64(per_sec)));
  }
}

// runc's addCpuset (systemd 244 and later). Bad lists are refused by the cgroupfs writes that
// follow, naming the field.
void add_cpuset(std::vector<Property>& p, const std::string& cpus, const std::string& mems,
                const std::function<int()>& ver) {
  if ((cpus.empty() && mems.empty()) || ver() < 244) return;
  if (!cpus.empty())
    if (auto m = cpu_mask(cpus, "linux.resources.cpu.cpus"); m.ok())
      p.push_back(property("AllowedCPUs", Value::array("y", std::move(m).value())));
  if (!mems.empty())
    if (auto m = cpu_mask(mems, "linux.resources.cpu.mems"); m.ok())
      p.push_back(property("AllowedMemoryNodes", Value::array("y", std::move(m).value())));
}

std::optional<uint64_t> number_or_max(const std::string& v) {
  if (v == "max") return UINT64_MAX;
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoull(v);
}

// runc's unifiedResToSystemdProps: the keys systemd has a property for (the others only go to
// the files).
void add_unified(std::vector<Property>& p, const std::map<std::string, std::string>& unified,
                 const std::function<int()>& ver) {
  static const std::map<std::string, const char*> memory = {{"memory.high", "MemoryHigh"},
                                                            {"memory.low", "MemoryLow"},
                                                            {"memory.min", "MemoryMin"},
                                                            {"memory.max", "MemoryMax"},
                                                            {"memory.swap.max", "MemorySwapMax"}};
  for (const auto& [k, raw] : unified) {
    // The kernel takes surrounding blanks, so does runc.
    const auto words = base::split_words(raw);
    const std::string v = words.size() > 0 ? std::string(words[0]) : "";
    const std::string second = words.size() > 1 ? std::string(words[1]) : "";
    const std::string extra = words.size() > 2 ? std::string(words[2]) : "";
    if (k == "cpu.max") {
      auto quota = number_or_max(v);
      auto period = second.empty() ? std::optional<uint64_t>(100000) : number_or_max(second);
      if (!quota || !period || second == "max" || !extra.empty()) continue;
      add_cpu_quota(p, v == "max" ? 0 : static_cast<int64_t>(*quota), *period, ver);
      continue;
    }
    if (!second.empty()) continue;
    auto n = number_or_max(v);
    if (k == "cpu.weight" && n && v != "max") {
      p.push_back(property("CPUWeight", Value::u64(*n)));
    } else if (k == "cpuset.cpus") {
      add_cpuset(p, v, "", ver);
    } else if (k == "cpuset.mems") {
      add_cpuset(p, "", v, ver);
    } else if (memory.count(k) && n) {
      p.push_back(property(memory.at(k), Value::u64(*n)));
    } else if (k == "pids.max" && n) {
      p.push_back(property("TasksMax", Value::u64(*n)));
    }
  }
}

}  // namespace

std::vector<Property> resource_properties(const oci::Resources& r,
                                          const std::vector<oci::DeviceRule>& device_rules,
                                          const std::function<int()>& systemd_version,
                                          std::vector<std::string>* warnings, Driver d) {
  std::vector<Property> p;
  if (!device_rules.empty()) p = device_properties(device_rules, warnings);
  int version = -2;
  const std::function<int()> ver = [&] {
    if (version == -2) version = systemd_version();
    return version;
  };
  const int64_t memory = r.memory ? r.memory->limit.value_or(0) : 0;
  const uint64_t shares = r.cpu ? r.cpu->shares.value_or(0) : 0;
  const int64_t quota = r.cpu ? r.cpu->quota.value_or(0) : 0;
  const uint64_t period = r.cpu ? r.cpu->period.value_or(0) : 0;
  const bool pids = r.pids_limit && (*r.pids_limit > 0 || *r.pids_limit == -1);
  if (d == Driver::v1) {
    if (memory != 0) p.push_back(property("MemoryLimit", u64_or_max(memory)));
    if (shares != 0) p.push_back(property("CPUShares", Value::u64(shares)));
    add_cpu_quota(p, quota, period, ver);
    if (r.block_io && r.block_io->weight && *r.block_io->weight != 0)
      p.push_back(property("BlockIOWeight", Value::u64(*r.block_io->weight)));
    if (pids) p.push_back(property("TasksMax", u64_or_max(*r.pids_limit)));
    if (r.cpu) add_cpuset(p, r.cpu->cpus, r.cpu->mems, ver);
    return p;
  }
  if (memory != 0) p.push_back(property("MemoryMax", u64_or_max(memory)));
  if (r.memory && r.memory->reservation && *r.memory->reservation != 0)
    p.push_back(property("MemoryLow", u64_or_max(*r.memory->reservation)));
  // runc's ConvertMemorySwapToCgroupV2Value (pairs it refuses are refused by the files' writes).
  const int64_t swap = r.memory ? r.memory->swap.value_or(0) : 0;
  int64_t swap_v2 = 0;
  if (memory == -1 && swap == 0)
    swap_v2 = -1;
  else if (swap == -1 || swap == 0)
    swap_v2 = swap;
  else if (memory > 0 && swap >= memory)
    swap_v2 = swap - memory;
  if (swap_v2 != 0) p.push_back(property("MemorySwapMax", u64_or_max(swap_v2)));
  // runc's ConvertCPUSharesToCgroupV2Value: shares [2, 262144] onto weights [1, 10000].
  if (shares >= 2) p.push_back(property("CPUWeight", Value::u64(1 + (shares - 2) * 9999 / 262142)));
  add_cpu_quota(p, quota, period, ver);
  if (pids) p.push_back(property("TasksMax", u64_or_max(*r.pids_limit)));
  if (r.cpu) add_cpuset(p, r.cpu->cpus, r.cpu->mems, ver);
  add_unified(p, r.unified, ver);
  return p;
}
Result<dbus::Message> Systemd::call(const std::string& member, std::vector<Value> body) {
  auto r = bus_.call(dbus::method_call(kSystemd, kManagerPath, kManager, member, std::move(body)),
                     kCallTimeout);
  if (!r.ok()) return std::move(r).error().wrap(std::string(kFlag) + ": systemd");
  return r;
}

Result<std::string> Systemd::job_result(const std::string& job, const std::string& what) {
  auto sig = bus_.wait_signal(
      [&](const dbus::Message& m) {
        return m.interface == kManager && m.member == "JobRemoved" && m.signature() == "uoss" &&
               m.body[1].str == job;
      },
      kJobTimeout);
  if (!sig.ok())
    return std::move(sig).error().wrap(std::string(kFlag) + ": waiting for systemd to " + what);
  return sig->body[3].str;
}

Result<Systemd> Systemd::connect() {
  const std::string address = dbus::system_bus_address();
  auto bus = dbus::Connection::open(address);
  if (!bus.ok() && geteuid() == 0) {
    // No bus: systemd's own socket, as runc does for root.
    auto direct = dbus::Connection::open("unix:path=/run/systemd/private", false);
    if (direct.ok()) bus = std::move(direct);
  }
  if (!bus.ok()) return std::move(bus).error().wrap(std::string(kFlag) + ": no systemd answers");
  Systemd s(std::move(bus).value());
  // JobRemoved reaches the connection that asked for the job; the match lets the bus pass it.
  auto m = s.bus_.call(
      dbus::method_call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                        "AddMatch",
                        {Value::string("type='signal',interface='org.freedesktop.systemd1."
                                       "Manager',member='JobRemoved'")}),
      kCallTimeout);
  if (!m.ok()) return std::move(m).error().wrap(std::string(kFlag) + ": AddMatch");
  return s;
}

Status Systemd::start_unit(const std::string& unit, std::vector<Property> props) {
  ASSIGN_OR_RETURN(dbus::Message r,
                   call("StartTransientUnit",
                        {Value::string(unit), Value::string("replace"),
                         Value::array("(sv)", std::move(props)), Value::array("(sa(sv))", {})}));
  if (r.type == dbus::Type::error) {
    if (r.error_name == "org.freedesktop.systemd1.UnitExists") return base::ok();
    return systemd_error("StartTransientUnit of `" + unit + "`", r);
  }
  if (r.signature() != "o")
    return base::Error(
        base::Category::unavailable,
        std::string(kFlag) + ": StartTransientUnit answered `" + r.signature() + "`");
  auto result = job_result(r.body[0].str, "create " + unit);
  if (!result.ok() || *result != "done") {
    (void)call("ResetFailedUnit", {Value::string(unit)});
    if (!result.ok()) return std::move(result).error();
    return base::Error(
        base::Category::unavailable,
        std::string(kFlag) + ": error creating systemd unit `" + unit + "`: got `" + *result + "`");
  }
  return base::ok();
}

Status Systemd::set_properties(const std::string& unit, std::vector<Property> props) {
  if (props.empty()) return base::ok();
  ASSIGN_OR_RETURN(dbus::Message r,
                   call("SetUnitProperties", {Value::string(unit), Value::boolean(true),
                                              Value::array("(sv)", std::move(props))}));
  if (r.type == dbus::Type::error) return systemd_error("SetUnitProperties of `" + unit + "`", r);
  return base::ok();
}

Status Systemd::stop_unit(const std::string& unit) {
  ASSIGN_OR_RETURN(dbus::Message r,
                   call("StopUnit", {Value::string(unit), Value::string("replace")}));
  if (r.type == dbus::Type::error) {
    if (r.error_name == "org.freedesktop.systemd1.NoSuchUnit") return base::ok();
    return systemd_error("StopUnit of `" + unit + "`", r);
  }
  if (r.signature() != "o") return base::ok();
  ASSIGN_OR_RETURN(std::string result, job_result(r.body[0].str, "remove " + unit));
  if (result != "done")
    base::log::warn("error removing unit `" + unit + "`: got `" + result + "`. Continuing...");
  return base::ok();
}

int Systemd::version() {
  if (version_ != -2) return version_;
  version_ = -1;
  auto r = bus_.call(dbus::method_call(kSystemd, kManagerPath, "org.freedesktop.DBus.Properties",
                                       "Get", {Value::string(kManager), Value::string("Version")}),
                     kCallTimeout);
  if (r.ok() && r->type == dbus::Type::method_return && r->signature() == "v" &&
      r->body[0].items[0].sig == "s") {
    const std::string& v = r->body[0].items[0].str;
    size_t i = v.find_first_of("0123456789");
    if (i != std::string::npos && (i == 0 || (i == 1 && v[0] == 'v')))
      version_ = std::atoi(v.c_str() + i);
  }
  if (version_ < 0) base::log::warn("unable to get systemd version");
  return version_;
}

}  // namespace runtime
