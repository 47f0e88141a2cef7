// The OCI runtime-spec config.json model (spec 1.0 - 1.2 fields that rune implements).
//
// parse_config() is strict: a field of the wrong type, an unknown enum value, or a field that
// rune does not implement yet is an error that names the field (e.g. `linux.namespaces[2].type`).
// Unknown properties are ignored, as the spec requires.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json_reader.h"

namespace oci {

inline constexpr const char* kSpecVersion = "1.0.2-dev";

enum class NsType { pid, network, mount, ipc, uts, user, cgroup, time };
inline constexpr int kNsTypeCount = 8;  // NsType's values are 0 .. kNsTypeCount - 1
// Kernel CLONE_NEW* flag of a namespace type.
int ns_clone_flag(NsType t);
// Name used in config.json ("network") and in /proc/PID/ns ("net").
const char* ns_config_name(NsType t);
const char* ns_proc_name(NsType t);

struct Namespace {
  NsType type;
  std::string path;  // empty: create a new one
};

// One line of /proc/<pid>/uid_map or gid_map: `size` ids from `container_id` in the container
// are `host_id` onwards outside it.
struct IdMapping {
  uint32_t container_id = 0, host_id = 0, size = 0;
};

struct Rlimit {
  std::string type;  // RLIMIT_NOFILE
  int resource = 0;
  uint64_t soft = 0, hard = 0;
};

struct Capabilities {
  uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};

struct User {
  uint32_t uid = 0, gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
};

// process.scheduler: sched_setattr(2)'s attributes, names resolved.
struct Scheduler {
  std::string policy_name;  // SCHED_FIFO, ... (for messages)
  uint32_t policy = 0;
  int32_t nice = 0;
  uint32_t priority = 0;
  uint64_t flags = 0;
  uint64_t runtime = 0, deadline = 0, period = 0;
};

// process.ioPriority: ioprio_set(2)'s class and level.
struct IoPriority {
  int klass = 0;  // IOPRIO_CLASS_RT 1, BE 2, IDLE 3
  int priority = 0;
};

// linux.timeOffsets: one clock's offset in the new time namespace.
struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct ConsoleSize {
  uint32_t height = 0, width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;  // process.consoleSize (with a terminal)
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::optional<Scheduler> scheduler;
  std::optional<IoPriority> io_priority;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct Device {
  std::string path;
  char type = 'c';  // c, u (= c), b, p
  int64_t major = 0, minor = 0;
  std::optional<uint32_t> file_mode, uid, gid;
};

struct DeviceRule {
  bool allow = false;
  char type = 'a';                      // a, c, b
  std::optional<int64_t> major, minor;  // nullopt = any (*)
  std::string access = "rwm";
};

// linux.resources, as the runtime-spec has them; an unset value is nullopt (or empty).
struct MemoryResources {
  std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer, use_hierarchy, check_before_update;
};

struct CpuResources {
  std::optional<uint64_t> shares, period, realtime_period, burst;
  std::optional<int64_t> quota, realtime_runtime, idle;
  std::string cpus, mems;
};

struct BlockIoDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;  // weightDevice
  uint64_t rate = 0;                            // throttle*Device
};

struct BlockIoResources {
  std::optional<uint16_t> weight, leaf_weight;
  std::vector<BlockIoDevice> weight_device;
  std::vector<BlockIoDevice> throttle_read_bps, throttle_write_bps, throttle_read_iops,
      throttle_write_iops;
};

struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB"
  uint64_t limit = 0;
};

struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::vector<std::pair<std::string, uint32_t>> priorities;  // interface, priority
};

struct RdmaLimit {
  std::optional<uint32_t> hca_handles, hca_objects;
};

struct Resources {
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<int64_t> pids_limit;
  std::optional<BlockIoResources> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<NetworkResources> network;
  std::map<std::string, RdmaLimit> rdma;
  std::map<std::string, std::string> unified;
};

// linux.seccomp. Names are kept as written (validated against the sets below); src/linux maps
// them to the kernel's values.
struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0, value_two = 0;
  std::string op;  // SCMP_CMP_*
};

struct SeccompRule {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_*
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_*
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompRule> syscalls;
};

// The seccomp names the runtime-spec allows (runc 1.1's sets), the flags rune takes, and the hook
// names: the tables the parser checks against (`rune features` lists them).
bool is_seccomp_action(std::string_view name);
bool is_seccomp_operator(std::string_view name);
bool is_seccomp_arch(std::string_view name);
std::span<const char* const> seccomp_action_names();
std::span<const char* const> seccomp_operator_names();
std::span<const char* const> seccomp_arch_names();
std::span<const char* const> seccomp_flag_names();
std::vector<const char*> hook_names();

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<Device> devices;
  std::string cgroups_path;
  std::vector<DeviceRule> device_rules;  // linux.resources.devices
  Resources resources;                   // the rest of linux.resources
  std::optional<Seccomp> seccomp;
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string rootfs_propagation;
  std::vector<IdMapping> uid_mappings, gid_mappings;  // for a new user namespace
  std::optional<unsigned long> personality;           // PER_LINUX or PER_LINUX32
  std::map<std::string, TimeOffset> time_offsets;     // "monotonic", "boottime"

  const Namespace* find_ns(NsType t) const;
};

// A hook: `path` (absolute, in the namespace the hook runs in) with `args` (argv[0] included)
// and `env`, killed after `timeout` seconds.
struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;
};

struct Hooks {
  std::vector<Hook> prestart;  // deprecated; runs with createRuntime
  std::vector<Hook> create_runtime, create_container, start_container, poststart, poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
};

struct Config {
  std::string oci_version;
  std::string root_path;
  bool root_readonly = false;
  Process process;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Linux linux;
  std::map<std::string, std::string> annotations;
  Hooks hooks;
};

// Reads a runtime-spec `hooks` object (config.json's, or the copy kept in state.json); errors go
// to the field's reader.
void read_hooks(const base::JsonField& hooks, Hooks& out);
// The same hooks as JSON, in the runtime-spec's form.
std::string hooks_json(const Hooks& hooks);

// Parses and validates config.json text. `what` names the file in errors.
base::Result<Config> parse_config(std::string_view json_text,
                                  std::string_view what = "config.json");

// Parses a runtime-spec `linux.resources` object on its own (`rune update --resources FILE`):
// its device rules go to `device_rules`, the rest is returned.
base::Result<Resources> parse_resources_json(std::string_view json_text, std::string_view what,
                                             std::vector<DeviceRule>* device_rules = nullptr);

// Parses a runtime-spec `process` object on its own (`rune exec --process FILE`).
// Sets `kv` (KEY=VALUE) in `env`: every entry of the same KEY goes, `kv` is appended.
void set_env(std::vector<std::string>& env, const std::string& kv);

base::Result<Process> parse_process_json(std::string_view json_text, std::string_view what);

// Capability name ("CAP_CHOWN") to number, or -1.
int capability_from_name(std::string_view name);
const char* capability_name(int cap);
inline constexpr int kLastCapability = 40;  // CAP_CHECKPOINT_RESTORE

}  // namespace oci
