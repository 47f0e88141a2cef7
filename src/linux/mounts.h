// Mounts: option parsing and the mount plan (made in the parent, where errors can name the
// config field), and applying one planned mount inside the container's rootfs (in the child).
//
// Destinations are resolved inside the rootfs with openat2(RESOLVE_IN_ROOT): symlinks and `..`
// in a destination cannot leave it, so `/var/run -> /run` lands on the container's /run.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "linux/sys.h"
#include "oci/config.h"

namespace kernel {

struct MountOptions {
  unsigned long flags = 0;        // MS_* for the mount call (MS_RDONLY, MS_NOSUID, ...)
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, maybe | MS_REC
  bool bind = false;
  bool recursive = false;  // rbind
  bool copy_up = false;    // tmpcopyup (tmpfs only): the tmpfs starts with the directory's contents
  std::string data;        // fs-specific options (size=, mode=, ...)
};

// Parses OCI mount options. `field` names them in errors ("mounts[3].options").
base::Result<MountOptions> parse_mount_options(const std::vector<std::string>& options,
                                               const std::string& field);
// Every option parse_mount_options recognises (flags, propagation, bind, rbind, tmpcopyup),
// sorted; anything else is passed to the filesystem as data. For `rune features`.
std::vector<std::string> mount_option_names();
// Propagation keyword (rprivate, slave, ...) to MS_* flags; 0 if unknown.
unsigned long propagation_flags(const std::string& name);

enum class MountKind { regular, bind, cgroup };

struct MountStep {
  size_t index = 0;  // position in config.mounts, for messages
  MountKind kind = MountKind::regular;
  std::string destination;  // absolute, cleaned, inside the container
  std::string source;       // host path for binds (absolute), fs source otherwise
  std::string type;
  MountOptions opts;
  bool file_target = false;  // bind of a non-directory: the destination is a file
  std::string describe() const;
};

// Builds the mount plan. Bind sources are resolved against `bundle` and must exist.
base::Result<std::vector<MountStep>> plan_mounts(const oci::Config& c, const std::string& bundle);
// The step of one mount, `mounts[index]` (for a mount rune adds once its source exists).
base::Result<MountStep> plan_mount(const oci::Mount& m, size_t index, const std::string& bundle);

// A cgroup hierarchy as the container should see it under a `cgroup` mount.
struct CgroupBind {
  std::string name;      // directory under the mount point ("memory", "unified", ...)
  std::string host_dir;  // the container's cgroup directory on the host
};

// Creates directory `path` (absolute, inside the root at `rootfd`) and its parents, following
// symlinks inside the root.
base::Status mkdir_in_root(Sys& sys, int rootfd, const std::string& path, mode_t mode);

// Performs one planned mount inside the rootfs at `rootfd` (before pivot_root).
base::Status apply_mount(Sys& sys, int rootfd, const MountStep& m,
                         const std::vector<CgroupBind>& cgroups);

// Flags of the mount at `path` (MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY, atime flags) that a
// bind remount must repeat so that it does not clear them.
unsigned long mount_flags_of(const char* path);

}  // namespace kernel
