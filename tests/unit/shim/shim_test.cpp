#include <sys/mount.h>

#include <gtest/gtest.h>

#include "containerd/runc/v1/options.pb.h"
#include "google/protobuf/any.pb.h"
#include "runtimeoptions/v1/api.pb.h"
#include "shim/config.h"
#include "shim/options.h"
#include "shim/rootfs.h"
#include "shim/runtime.h"
#include "shim/shim.h"
#include "shim/task.h"

namespace shim {
namespace {

TEST(ShimConfig, ReadsEveryKey) {
  auto c = parse_config(R"(log_level = "debug"
[shim]
rune = "/opt/rune"
runtime = "crun"
root = "/run/x"
systemd_cgroup = true
shim_cgroup = "/shims"
)",
                        "t.toml");
  ASSERT_TRUE(c.ok()) << c.error().what();
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->rune, "/opt/rune");
  EXPECT_EQ(c->runtime, "crun");
  EXPECT_EQ(c->root, "/run/x");
  EXPECT_TRUE(c->systemd_cgroup);
  EXPECT_EQ(c->shim_cgroup, "/shims");
  EXPECT_TRUE(c->unused.empty());
}

TEST(ShimConfig, InclavareKeysParseAndAreReportedUnused) {
  auto c = parse_config(R"(log_level = "info"
sgx_tool_sign = "/opt/intel/sgxsdk/bin/x64/sgx_sign"
[containerd]
  socket = "/run/containerd/containerd.sock"
[epm]
  socket = "/var/run/epm/epm.sock"
[enclave_runtime]
  signature_method = "server"
  [enclave_runtime.occlum]
    enclave_runtime_path = "/opt/occlum/build/lib/libocclum-pal.so"
[signature]
  server_address = "http://127.0.0.1:9080"
)",
                        "inclavare.toml");
  ASSERT_TRUE(c.ok()) << c.error().what();
  std::vector<std::string> want = {"sgx_tool_sign",
                                   "containerd.socket",
                                   "epm.socket",
                                   "enclave_runtime.signature_method",
                                   "enclave_runtime.occlum.enclave_runtime_path",
                                   "signature.server_address"};
  std::sort(want.begin(), want.end());
  auto got = c->unused;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
}

TEST(ShimConfig, ErrorsNameFileAndLine) {
  auto c = parse_config("log_level = \"info\"\n[shim]\nrunc = \"x\"\n", "a.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("a.toml:3"), std::string::npos) << c.error().message();
  EXPECT_NE(c.error().message().find("shim.runc"), std::string::npos);
  c = parse_config("x = 1\n", "b.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("b.toml:1: unknown key `x`"), std::string::npos);
  c = parse_config("\n\n[shim\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("c.toml:3"), std::string::npos) << c.error().message();
  c = parse_config("log_level = \"loud\"\n", "d.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("loud"), std::string::npos);
  c = parse_config("[shim]\nsystemd_cgroup = \"yes\"\n", "e.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("e.toml:2"), std::string::npos);
}

TEST(ShimConfig, MissingDefaultFileIsDefaultsMissingNamedFileIsAnError) {
  auto c = load_config("/nonexistent/config.toml", false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->runtime, "runc");
  EXPECT_EQ(c->root, "/run/containerd/rune-shim");
  EXPECT_FALSE(load_config("/nonexistent/config.toml", true).ok());
}

TEST(ShimOptions, RuncOptionsAndConfigPathByBareTypeUrl) {
  containerd::runc::v1::Options r;
  r.set_binary_name("crun");
  r.set_root("/run/r");
  r.set_systemd_cgroup(true);
  r.set_io_uid(1000);
  google::protobuf::Any any;
  any.set_type_url("containerd.runc.v1.Options");
  any.set_value(r.SerializeAsString());
  auto o = parse_options(any);
  ASSERT_TRUE(o.ok()) << o.error().what();
  EXPECT_EQ(o->binary_name, "crun");
  EXPECT_EQ(o->root, "/run/r");
  EXPECT_TRUE(o->systemd_cgroup);
  EXPECT_EQ(o->io_uid, 1000u);

  runtimeoptions::v1::Options ro;
  ro.set_config_path("/etc/x.toml");
  any.set_type_url("runtimeoptions.v1.Options");
  any.set_value(ro.SerializeAsString());
  o = parse_options_bytes(any.SerializeAsString());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->config_path, "/etc/x.toml");

  // PackFrom would prefix a '/': such a URL is not what containerd sends, and is refused.
  any.set_type_url("/runtimeoptions.v1.Options");
  o = parse_options(any);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().category(), base::Category::invalid_argument);
  EXPECT_NE(o.error().message().find("/runtimeoptions.v1.Options"), std::string::npos);
  EXPECT_TRUE(parse_options_bytes("").ok());
  EXPECT_FALSE(parse_options_bytes("\xff").ok());
}

TEST(ShimArgs, GoFlagSyntaxAndUnknownFlags) {
  auto a = parse_args({"-namespace", "k8s.io", "-id", "c1", "-address", "/run/c.sock",
                       "-publish-binary", "/usr/bin/containerd", "-debug", "start"});
  ASSERT_TRUE(a.ok()) << a.error().what();
  EXPECT_EQ(a->ns, "k8s.io");
  EXPECT_EQ(a->id, "c1");
  EXPECT_TRUE(a->debug);
  EXPECT_EQ(a->action, "start");
  a = parse_args({"-id=c2", "--bundle", "/b", "delete"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->bundle, "/b");
  EXPECT_EQ(a->action, "delete");
  a = parse_args({"-frobnicate", "start"});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("frobnicate"), std::string::npos);
  EXPECT_FALSE(parse_args({"stop"}).ok());
  EXPECT_TRUE(parse_args({"-v"})->version);
}

TEST(ShimSocket, AddressIsTheHashUnderTheAddressDirectory) {
  // sha256("/run/containerd/containerd.sock/default/c1"), computed with sha256sum.
  EXPECT_EQ(socket_address("/run/containerd/containerd.sock", "default", "c1"),
            "unix:///run/containerd/s/"
            "d25aa4ef11a84e954e74a5bcff06557d0b6ea8d0c00243896f29826694bbd888");
}

TEST(ShimSocket, LongDirectoriesFallBackToRunContainerd) {
  std::string dir = "/tmp/" + std::string(60, 'd');
  std::string a = socket_address(dir + "/containerd.sock", "ns", "g");
  EXPECT_EQ(a.rfind("unix:///run/containerd/s/", 0), 0u) << a;
  EXPECT_EQ(socket_address("/tmp/x/containerd.sock", "ns", "g").rfind("unix:///tmp/x/s/", 0), 0u);
}

TEST(ShimIds, ContainerdIdentifiers) {
  EXPECT_TRUE(check_id("abc").ok());
  EXPECT_TRUE(check_id("a.b-c_d9").ok());
  std::vector<std::string> bads = {"",
                                   "/",
                                   ".",
                                   "..",
                                   "a/b",
                                   "-a",
                                   "a-",
                                   "a..b",
                                   "a b",
                                   std::string(77, 'a'),
                                   std::string("a\0b", 3)};
  for (const auto& bad : bads) EXPECT_FALSE(check_id(bad).ok()) << bad;
}

TEST(ShimRuntime, LastLoggedErrorIsTheLastErrorLine) {
  std::string log = R"({"level":"error","msg":"first","time":"t"})"
                    "\n"
                    R"({"level":"info","msg":"later info","time":"t"})"
                    "\n"
                    "not json\n"
                    R"({"level":"error","msg":"container \"x\" does not exist","time":"t"})"
                    "\n";
  EXPECT_EQ(last_logged_error(log), "container \"x\" does not exist");
  EXPECT_EQ(last_logged_error(""), "");
}

}  // namespace
}  // namespace shim
