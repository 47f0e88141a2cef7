// Tests of src/runtime/exec.cpp's pure parts: the process an exec runs (runc 1.1's flag
// overrides) and runc's terminal checks.
#include "runtime/exec.h"

#include <gtest/gtest.h>

namespace runtime {
namespace {

oci::Process container_process() {
  oci::Process p;
  p.args = {"/bin/sleep", "100"};
  p.env = {"PATH=/bin", "HOME=/root"};
  p.cwd = "/";
  p.user.uid = 0;
  p.user.gid = 0;
  p.user.additional_gids = {10};
  oci::Capabilities caps;
  caps.bounding = caps.effective = caps.permitted = 1u << 5;  // CAP_KILL
  caps.inheritable = 1u << 21;                                // CAP_SYS_ADMIN
  p.capabilities = caps;
  return p;
}

TEST(ResolveExecProcessTest, FlagsOverrideTheContainersProcess) {
  ExecOptions o;
  o.args = {"sh", "-c", "id"};
  o.env = {"HOME=/tmp", "X=1"};
  o.cwd = "/tmp";
  o.uid = 1000;
  o.gid = 1001;
  o.additional_gids = {7};
  o.no_new_privs = true;
  o.tty = true;
  auto p = resolve_exec_process(container_process(), o);
  ASSERT_TRUE(p.ok()) << p.error().what();
  EXPECT_EQ(p->args, o.args);
  // --env replaces the same name and appends new ones; the rest of the env stays.
  EXPECT_EQ(p->env, (std::vector<std::string>{"PATH=/bin", "HOME=/tmp", "X=1"}));
  EXPECT_EQ(p->cwd, "/tmp");
  EXPECT_EQ(p->user.uid, 1000u);
  EXPECT_EQ(p->user.gid, 1001u);
  // runc appends --additional-gids to the configured ones.
  EXPECT_EQ(p->user.additional_gids, (std::vector<uint32_t>{10, 7}));
  EXPECT_TRUE(p->no_new_privileges);
  EXPECT_TRUE(p->terminal);
}

TEST(ResolveExecProcessTest, CapAddsToBoundingEffectivePermittedAndAmbientOnlyIfInheritable) {
  ExecOptions o;
  o.args = {"true"};
  o.caps = {"CAP_NET_ADMIN", "CAP_SYS_ADMIN"};
  auto p = resolve_exec_process(container_process(), o);
  ASSERT_TRUE(p.ok()) << p.error().what();
  const uint64_t net_admin = uint64_t{1} << 12, sys_admin = uint64_t{1} << 21;
  for (uint64_t set :
       {p->capabilities->bounding, p->capabilities->effective, p->capabilities->permitted})
    EXPECT_EQ(set & (net_admin | sys_admin), net_admin | sys_admin);
  EXPECT_EQ(p->capabilities->ambient, sys_admin);
  o.caps = {"CAP_NOPE"};
  auto bad = resolve_exec_process(container_process(), o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().what().find("`--cap`: unknown capability `CAP_NOPE`"), std::string::npos);
}

TEST(ResolveExecProcessTest, ProcessFileIsTheWholeProcess) {
  ExecOptions o;
  oci::Process file;
  file.args = {"/bin/echo", "from-file"};
  file.env = {"A=b"};
  file.cwd = "/srv";
  o.process = file;
  o.env = {"IGNORED=1"};
  o.cwd = "/ignored";
  auto p = resolve_exec_process(container_process(), o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->args, file.args);
  EXPECT_EQ(p->env, file.env);
  EXPECT_EQ(p->cwd, "/srv");
  EXPECT_FALSE(p->capabilities.has_value());
}

TEST(ResolveExecProcessTest, RelativeCwdAndNoCommandAreRefused) {
  ExecOptions o;
  o.args = {"true"};
  o.cwd = "tmp";
  auto p = resolve_exec_process(container_process(), o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().what().find("`--cwd`"), std::string::npos);
  o.cwd.reset();
  o.args.clear();
  EXPECT_FALSE(resolve_exec_process(container_process(), o).ok());
}

TEST(CheckTerminalTest, RuncsRules) {
  EXPECT_TRUE(check_terminal(true, true, "/s").ok());
  EXPECT_TRUE(check_terminal(true, false, "").ok());  // foreground: rune relays
  EXPECT_TRUE(check_terminal(false, true, "").ok());
  EXPECT_TRUE(check_terminal(false, false, "").ok());
  auto e = check_terminal(true, true, "");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().what(),
            "cannot allocate tty if runc will detach without setting console socket");
  for (auto [tty, detach] : {std::pair{false, true}, {true, false}, {false, false}}) {
    auto f = check_terminal(tty, detach, "/s");
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().what(),
              "cannot use console socket if runc will not detach or allocate tty");
  }
}

}  // namespace
}  // namespace runtime
