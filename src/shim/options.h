// What containerd tells a shim: its command line (Go `flag` syntax, as containerd 1.6 passes it)
// and the options Any (on `start`'s stdin and in CreateTaskRequest.options).
//
// Options type URLs are bare message names, matched verbatim:
//   containerd.runc.v1.Options  BinaryName (ordinary runtime), Root, SystemdCgroup, ShimCgroup,
//                               NoPivotRoot, NoNewKeyring, IoUid, IoGid
//   runtimeoptions.v1.Options   ConfigPath (what the CRI plugin sends to a shim that is not runc's,
//                               and `ctr --runtime-config-path`)
// Any other URL is refused, naming it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"

namespace google::protobuf {
class Any;
}

namespace shim {

struct ContainerOptions {
  std::string binary_name, root, shim_cgroup, config_path;
  bool systemd_cgroup = false, no_pivot_root = false, no_new_keyring = false;
  uid_t io_uid = 0;
  gid_t io_gid = 0;
};

base::Result<ContainerOptions> parse_options(const google::protobuf::Any& any);
// The same from the bytes of an encoded Any (start's stdin; empty: no options).
base::Result<ContainerOptions> parse_options_bytes(const std::string& bytes);

struct ShimArgs {
  std::string ns, id, address, publish_binary, bundle, socket;
  bool debug = false, version = false, help = false;
  std::string action;  // "start", "delete", or empty
};
base::Result<ShimArgs> parse_args(const std::vector<std::string>& args);
std::string usage();

}  // namespace shim
