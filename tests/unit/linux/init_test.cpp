// The container's init (kernel::init_container) against a recording Sys: the order of the
// kernel steps and errors that name the config field. It runs in a forked child: the init also
// sets the real process's umask, user and capabilities.
#include "linux/init.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "linux/sync.h"
#include "oci/config.h"
#include "recording_sys.h"

namespace kernel {
namespace {

using testing::RecordingSys;

struct Outcome {
  std::string error;  // empty: ok
  std::vector<std::string> calls;
};

// Runs init_container for `config_json` in a child with a RecordingSys adjusted by `setup`.
Outcome run_init(const std::string& config_json, bool user_ns = false,
                 void (*setup)(RecordingSys&) = nullptr,
                 void (*plan_ns)(NamespacePlan&) = nullptr) {
  auto cfg = oci::parse_config(config_json, "config.json");
  EXPECT_TRUE(cfg.ok()) << cfg.error().message();
  auto mounts = plan_mounts(*cfg, "/b");
  EXPECT_TRUE(mounts.ok()) << mounts.error().message();
  NamespacePlan ns;
  ns.user = user_ns;
  if (plan_ns) plan_ns(ns);
  InitPlan plan;
  plan.config = &*cfg;
  plan.rootfs = "/b/rootfs";
  plan.mounts = *mounts;
  plan.ns = &ns;
  plan.id = "c";
  plan.bundle = "/b";
  ParentChannel parent;
  ChildChannel child;
  EXPECT_TRUE(make_sync_pair(parent, child).ok());
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(out[0]);
    RecordingSys sys;
    if (setup) setup(sys);
    std::string exe;
    int init_pid = 0;
    base::UniqueFd dmz;
    base::Status s = init_container(plan, sys, child, exe, init_pid, dmz);
    std::string text = s.ok() ? "" : s.error().message();
    text += '\0';
    for (const auto& c : sys.calls) text += c + '\n';
    (void)!write(out[1], text.data(), text.size());
    _exit(0);
  }
  close(out[1]);
  child.close();
  EXPECT_TRUE(parent.send_go(4242).ok());
  std::string all;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
  close(out[0]);
  waitpid(pid, nullptr, 0);
  Outcome o;
  size_t z = all.find('\0');
  EXPECT_NE(z, std::string::npos);
  if (z == std::string::npos) return o;
  o.error = all.substr(0, z);
  size_t i = z + 1;
  while (i < all.size()) {
    size_t e = all.find('\n', i);
    o.calls.push_back(all.substr(i, e - i));
    i = e + 1;
  }
  return o;
}

const char* kConfig = R"({
  "ociVersion": "1.0.2", "root": {"path": "rootfs"}, "hostname": "box",
  "process": {"args": ["/bin/true"], "cwd": "/work", "user": {"uid": 0, "gid": 0}},
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
             {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}],
  "linux": {"namespaces": [{"type": "mount"}, {"type": "uts"}, {"type": "pid"}]}
})";

// Index of the first call starting with `prefix` (calls.size() if none).
size_t at(const Outcome& o, const std::string& prefix) {
  for (size_t i = 0; i < o.calls.size(); ++i)
    if (o.calls[i].rfind(prefix, 0) == 0) return i;
  return o.calls.size();
}

class InitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the init sets the real user and capabilities: needs root";
  }
};

TEST_F(InitTest, StepsComeInTheOrderTheRuntimeNeeds) {
  Outcome o = run_init(kConfig);
  ASSERT_EQ(o.error, "");
  size_t slave = at(o, "mount - / - " + std::to_string(MS_SLAVE | MS_REC));
  size_t bind = at(o, "mount /b/rootfs /b/rootfs - " + std::to_string(MS_BIND | MS_REC));
  size_t proc = at(o, "mount proc fd:/proc proc");
  size_t dev = at(o, "mount tmpfs fd:/dev tmpfs");
  size_t null = at(o, "mknod null");
  size_t pivot = at(o, "pivot_root . .");
  size_t host = at(o, "sethostname box");
  size_t chdir = o.calls.size();  // the cwd: opened in the new root, then fchdir
  for (size_t i = host; i < o.calls.size(); ++i)
    if (o.calls[i].rfind("fchdir", 0) == 0) chdir = i;
  std::string all;
  for (const auto& c : o.calls) all += c + "\n";
  ASSERT_LT(chdir, o.calls.size()) << all;
  EXPECT_LT(slave, bind) << all;
  EXPECT_LT(bind, proc) << all;
  EXPECT_LT(proc, dev) << all;
  EXPECT_LT(dev, null) << all;  // device nodes go into the new /dev
  EXPECT_LT(null, pivot) << all;
  EXPECT_LT(pivot, host) << all;
  EXPECT_LT(host, chdir) << all;
}

TEST_F(InitTest, InAUserNamespaceDevicesAreBoundFromTheHost) {
  Outcome o = run_init(kConfig, true);
  ASSERT_EQ(o.error, "");
  EXPECT_EQ(at(o, "mknod"), o.calls.size());
  EXPECT_LT(at(o, "mount /dev/null fd:/dev/null - " + std::to_string(MS_BIND)), o.calls.size());
}

TEST_F(InitTest, AFailingMountIsNamedAndStopsTheInit) {
  Outcome o = run_init(kConfig, false, [](RecordingSys& s) { s.mount_errno["fd:/dev"] = EPERM; });
  EXPECT_NE(o.error.find("mounts[1] (`tmpfs` on `/dev`)"), std::string::npos) << o.error;
  EXPECT_EQ(at(o, "pivot_root"), o.calls.size());
}

TEST_F(InitTest, AMissingExecutableIsNamedBeforeTheWorkloadRuns) {
  std::string c = kConfig;
  c.replace(c.find("/bin/true"), 9, "/no/such/exe");
  Outcome o = run_init(c);
  EXPECT_NE(o.error.find("/no/such/exe"), std::string::npos) << o.error;
}

TEST_F(InitTest, AFailedJoinNamesTheNamespaceFieldAndPath) {
  Outcome o = run_init(
      kConfig, false, [](RecordingSys& s) { s.setns_errno = EINVAL; },
      [](NamespacePlan& ns) {
        ns.joins.push_back({oci::NsType::network, base::UniqueFd(dup(2)),
                            "`linux.namespaces[3].path` (`/run/netns/x`)"});
      });
  EXPECT_NE(o.error.find("`linux.namespaces[3].path` (`/run/netns/x`): join the `network` "
                         "namespace"),
            std::string::npos)
      << o.error;
  EXPECT_EQ(at(o, "pivot_root"), o.calls.size());
}

}  // namespace
}  // namespace kernel
