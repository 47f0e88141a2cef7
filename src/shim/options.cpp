#include "shim/options.h"

#include "base/flags.h"
#include "containerd/runc/v1/options.pb.h"
#include "google/protobuf/any.pb.h"
#include "runtimeoptions/v1/api.pb.h"

namespace shim {

base::Result<ContainerOptions> parse_options(const google::protobuf::Any& any) {
  ContainerOptions o;
  const std::string& url = any.type_url();
  if (url.empty() && any.value().empty()) return o;
  if (url == "containerd.runc.v1.Options") {
    ::containerd::runc::v1::Options r;
    if (!r.ParseFromString(any.value()))
      return base::invalid("options `" + url + "` do not decode");
    o.binary_name = r.binary_name();
    o.root = r.root();
    o.shim_cgroup = r.shim_cgroup();
    o.systemd_cgroup = r.systemd_cgroup();
    o.no_pivot_root = r.no_pivot_root();
    o.no_new_keyring = r.no_new_keyring();
    o.io_uid = r.io_uid();
    o.io_gid = r.io_gid();
    if (!o.root.empty() && o.root[0] != '/')
      return base::invalid("options `" + url + "`: Root `" + base::clip(o.root) +
                           "` is not an absolute path");
    return o;
  }
  if (url == "runtimeoptions.v1.Options") {
    ::runtimeoptions::v1::Options r;
    if (!r.ParseFromString(any.value()))
      return base::invalid("options `" + url + "` do not decode");
    o.config_path = r.config_path();
    return o;
  }
  return base::invalid("options of type `" + base::clip(url) +
                       "` are not supported (containerd.runc.v1.Options or "
                       "runtimeoptions.v1.Options)");
}

base::Result<ContainerOptions> parse_options_bytes(const std::string& bytes) {
  google::protobuf::Any any;
  if (!bytes.empty() && !any.ParseFromString(bytes))
    return base::invalid("the options on stdin are not an encoded google.protobuf.Any");
  return parse_options(any);
}

namespace {

constexpr base::flags::Flag kFlags[] = {
    {"namespace", 0, base::flags::Kind::value, "ns", "containerd namespace"},
    {"id", 0, base::flags::Kind::value, "id", "id of the task"},
    {"address", 0, base::flags::Kind::value, "path", "containerd's grpc address"},
    {"publish-binary", 0, base::flags::Kind::value, "path", "containerd binary (not used)"},
    {"bundle", 0, base::flags::Kind::value, "path", "the bundle (delete)"},
    {"socket", 0, base::flags::Kind::value, "path", "accepted, not used"},
    {"debug", 0, base::flags::Kind::boolean, "", "debug logging"},
    {"v", 'v', base::flags::Kind::boolean, "", "print the version and exit"},
};

}  // namespace

base::Result<ShimArgs> parse_args(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(
      base::flags::Args a,
      base::flags::parse(kFlags, args, base::flags::Order::flags_first, "containerd-shim-rune-v2"));
  ShimArgs s;
  s.ns = a.get("namespace");
  s.id = a.get("id");
  s.address = a.get("address");
  s.publish_binary = a.get("publish-binary");
  s.bundle = a.get("bundle");
  s.socket = a.get("socket");
  s.debug = a.has("debug");
  s.version = a.has("v");
  s.help = a.help;
  if (a.positional.size() > 1)
    return base::invalid("one action at most (start or delete), got `" + a.positional[1] + "` too");
  if (!a.positional.empty()) {
    s.action = a.positional[0];
    if (s.action != "start" && s.action != "delete")
      return base::invalid("unknown action `" + base::clip(s.action) + "` (start or delete)");
  }
  return s;
}

std::string usage() {
  return "Usage: containerd-shim-rune-v2 [flags] start|delete\n\n"
         "containerd's shim v2 for Inclavare Containers: rune for enclave containers, an\n"
         "ordinary runc-compatible runtime for the rest. containerd starts it; see "
         "docs/shim.md.\n\n"
         "Flags:\n" +
         base::flags::help_lines(kFlags, 26);
}

}  // namespace shim
