// Device nodes inside the container (the defaults and `linux.devices`, plus the /dev symlinks)
// and the rules of the v1 devices cgroup.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "linux/sys.h"
#include "oci/config.h"

namespace kernel {

// The devices every container gets (null, zero, full, random, urandom, tty), then `extra`.
std::vector<oci::Device> container_devices(const std::vector<oci::Device>& extra);

// Creates the device nodes in the rootfs at `rootfd` and the standard /dev symlinks. With
// `bind_host` (in a user namespace, where mknod is refused) each node is the host's device at
// the same path, bind-mounted on an empty file, as runc does.
base::Status create_devices(Sys& sys, int rootfd, const std::vector<oci::Device>& devices,
                            bool bind_host = false);

// The lines to write to devices.allow / devices.deny, in order: the config's rules, then the
// devices a container always needs (as runc appends them). `allow` tells which file.
struct DeviceCgroupLine {
  bool allow;
  std::string rule;  // "c 1:3 rwm", or "a" for all
};
std::vector<DeviceCgroupLine> device_cgroup_lines(const std::vector<oci::DeviceRule>& rules);

}  // namespace kernel
