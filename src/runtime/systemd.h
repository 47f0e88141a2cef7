// `rune --systemd-cgroup`: the container's cgroups as a transient systemd scope, the way
// runc 1.1.5's systemd driver makes them on a v1 or hybrid host. `linux.cgroupsPath` is
// `slice:prefix:name` (empty: `:rune:<id>`); the scope `<prefix>-<name>.scope` (or the slice
// `<name>` when it ends in .slice) goes into the slice with runc's properties (StartTransientUnit,
// waiting for the job), the resources systemd knows are set as unit properties (SetUnitProperties),
// and rune then makes, joins and writes the cgroupfs directories as with cgroupfs: systemd's paths
// `<mount>/<pid 1's cgroup minus init.scope>/<expanded slice>/<unit>`. Delete stops the unit.
// systemd is reached over D-Bus (src/dbus: no library is loaded); where none answers, the error
// names the flag.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "dbus/connection.h"
#include "dbus/message.h"
#include "linux/cgroup.h"
#include "oci/config.h"

namespace runtime {

struct SystemdUnit {
  std::string slice;       // as given, "system.slice" when empty
  std::string slice_path;  // expanded: "/a.slice/a-b.slice"; "/" for "-.slice"
  std::string name;        // the container's name part (the unit's, or the slice)
  std::string unit;        // "prefix-name.scope", or the name when it is a slice
};

// `linux.cgroupsPath` under the systemd driver (runc's format and texts).
base::Result<SystemdUnit> parse_systemd_path(const std::string& cgroups_path,
                                             const std::string& id);
// systemd's slice name → its cgroup path ("a-b.slice" → "/a.slice/a-b.slice").
base::Result<std::string> expand_slice(const std::string& slice);

// A unit property as systemd takes it: (name, variant).
using Property = dbus::Value;
Property property(const std::string& name, dbus::Value value);

// Which of runc's two systemd drivers: v1 (a v1 or hybrid host: the container's cgroups are v1
// hierarchies) or unified (cgroup2 alone).
enum class Driver { v1, unified };
Driver driver_of(const kernel::CgroupSet& cg);

// What StartTransientUnit gets for the container (runc 1.1.5's list and order).
std::vector<Property> unit_properties(const SystemdUnit& u, pid_t pid, Driver d);
// linux.resources as unit properties (runc's genV1/genV2ResourcesProperties): the device policy
// (when the config has device rules), then v1: MemoryLimit, CPUShares, the CPU quota,
// BlockIOWeight, TasksMax, AllowedCPUs/AllowedMemoryNodes; unified: MemoryMax, MemoryLow,
// MemorySwapMax, CPUWeight, the CPU quota, TasksMax, the cpusets, and the `unified` keys systemd
// has properties for. `systemd_version` is asked only when a property needs it (-1: unknown).
// Warnings (rules systemd cannot express) go to `warnings`. Values the cgroupfs writes refuse are
// left out here (those writes name the field).
std::vector<Property> resource_properties(const oci::Resources& r,
                                          const std::vector<oci::DeviceRule>& device_rules,
                                          const std::function<int()>& systemd_version,
                                          std::vector<std::string>* warnings, Driver d);

// A connection to systemd's manager.
class Systemd {
 public:
  // The system bus (as root, systemd's private socket when no bus answers). Errors name
  // `--systemd-cgroup`.
  static base::Result<Systemd> connect();

  // StartTransientUnit(unit, "replace", props) and its job's end ("done", else an error after
  // ResetFailedUnit). An existing unit is accepted, as runc does.
  base::Status start_unit(const std::string& unit, std::vector<Property> props);
  // SetUnitProperties(unit, runtime, props).
  base::Status set_properties(const std::string& unit, std::vector<Property> props);
  // StopUnit(unit, "replace") and its job's end. A unit that does not exist is no error.
  base::Status stop_unit(const std::string& unit);
  // The manager's Version as a number (252 for "252.38-1"), -1 when it cannot be read.
  int version();

 private:
  explicit Systemd(dbus::Connection bus) : bus_(std::move(bus)) {}
  // A Manager method's reply (an error reply too); transport errors name the flag.
  base::Result<dbus::Message> call(const std::string& member, std::vector<dbus::Value> body);
  // Waits for JobRemoved of `job`; its result ("done", "failed", ...).
  base::Result<std::string> job_result(const std::string& job, const std::string& what);

  dbus::Connection bus_;
  int version_ = -2;  // not asked yet
};

}  // namespace runtime
