// `linux.resources.devices` on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program, as runc 1.1
// builds it. The rules are first reduced the way the v1 devices controller would hold them (a
// default — allow or deny — and exceptions, each rule applied in order: a type-`a` rule resets
// the list, later rules add or remove exceptions; removing part of a wildcard exception is
// refused, since v1 would silently ignore it). The program then checks the exceptions and returns
// the opposite of the default on a match, else the default.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/config.h"

namespace kernel {

// The rules enforced for a container: the config's, then — when the config has any — the devices
// every container may use (runc's AllowedDevices: mknod of any node, null, zero, full, random,
// urandom, tty, console, ptmx, pts, tun).
std::vector<oci::DeviceRule> container_device_rules(const std::vector<oci::DeviceRule>& rules);

// Access bits as the kernel passes them to the program.
constexpr uint8_t kDevMknod = BPF_DEVCG_ACC_MKNOD, kDevRead = BPF_DEVCG_ACC_READ,
                  kDevWrite = BPF_DEVCG_ACC_WRITE;

struct DeviceException {
  char type;             // 'b' or 'c'
  int64_t major, minor;  // -1: any
  uint8_t access;        // kDev* bits
};

struct DeviceRuleSet {
  bool default_allow = false;
  std::vector<DeviceException> exceptions;  // sorted by (major, minor, type), as runc
};

// The rules reduced to a default and exceptions. `fields` names each rule for errors (parallel to
// `rules`).
base::Result<DeviceRuleSet> reduce_device_rules(const std::vector<oci::DeviceRule>& rules,
                                                const std::vector<std::string>& fields);

// The program's instructions for a reduced rule set.
std::vector<bpf_insn> device_filter_program(const DeviceRuleSet& set);

// The instructions as text, one per line ("3: rsh32 r3, 16"), for tests and errors.
std::string disassemble(const std::vector<bpf_insn>& program);

// Loads `program` and attaches it to the cgroup2 directory `dir` (BPF_F_ALLOW_MULTI), replacing
// the device program(s) attached there before: one is replaced in place (BPF_F_REPLACE), more
// are detached after the new one is attached, so the cgroup is never without a program.
base::Status attach_device_filter(const std::string& dir, const std::vector<bpf_insn>& program);

// How many device programs are attached to `dir` (-1 if it cannot be queried).
int attached_device_filters(const std::string& dir);

}  // namespace kernel
