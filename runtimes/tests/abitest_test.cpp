// liberpal-abitest-v{1,2,3}, liberpal-fail, liberpal-v4: what they run and what they record.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "pal_test_util.h"

namespace {

using nlohmann::json;
using rt_test::Argv;
using rt_test::Calls;
using rt_test::FreshPal;
using rt_test::Gone;
using rt_test::MakeStdio;
using rt_test::Pipe;
using rt_test::ReadRecords;
using rt_test::TempDir;

json Stdio(const pal_stdio_fds& s) {
  return json::array({s.stdin, s.stdout, s.stderr});
}

// A v2/v3-style PAL with a record file in a temp dir.
struct Abi {
  explicit Abi(const char* lib) : pal(lib), rec(dir.file("calls.log")) {
    EXPECT_TRUE(pal.loaded()) << pal.error();
    get_version = pal.fn<pal_get_version_fn>("pal_get_version");
    init_v1 = pal.fn<pal_init_v1_fn>("pal_init");
    init_v3 = pal.fn<pal_init_v3_fn>("pal_init");
    create = pal.fn<pal_create_process_fn>("pal_create_process");
    exec = pal.fn<pal_exec_v2_fn>("pal_exec");
    kill = pal.fn<pal_kill_fn>("pal_kill");
    destroy = pal.fn<pal_destroy_fn>("pal_destroy");
    report = pal.fn<pal_get_local_report_fn>("pal_get_local_report");
  }
  std::string Args(const std::string& extra = "") const {
    return "record=" + rec + (extra.empty() ? "" : " " + extra);
  }
  int InitV3(const std::string& extra = "") {
    args = Args(extra);
    pal_attr_v3_t attr = {{args.c_str(), "info"}, -1, 0};
    return init_v3(&attr);
  }
  int InitV1(const std::string& extra = "") {
    args = Args(extra);
    pal_attr_v1_t attr = {args.c_str(), "info"};
    return init_v1(&attr);
  }
  // create_process of argv (path = argv[0]) with stdout/stderr to the given fds.
  int Create(Argv& argv, int* pid, int out = 1, int err = 2) {
    static char* const kEnv[] = {const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    pal_stdio_fds stdio = MakeStdio(-1, out, err);
    struct pal_create_process_args a = {argv.get()[0], argv.get(), const_cast<char**>(kEnv), &stdio,
                                        pid};
    return create(&a);
  }
  int Exec(int pid, int* exit_value) {
    struct pal_exec_args a = {pid, exit_value};
    return exec(&a);
  }

  FreshPal pal;
  TempDir dir;
  std::string rec;
  std::string args;
  pal_get_version_fn get_version;
  pal_init_v1_fn init_v1;
  pal_init_v3_fn init_v3;
  pal_create_process_fn create;
  pal_exec_v2_fn exec;
  pal_kill_fn kill;
  pal_destroy_fn destroy;
  pal_get_local_report_fn report;
};

TEST(AbitestV2, RecordsEveryCallWithItsArguments) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.get_version(), 2);
  t.args = t.Args("foo");
  pal_attr_v1_t attr = {t.args.c_str(), "info"};
  ASSERT_EQ(t.init_v1(&attr), 0);

  Pipe out;
  Argv argv{"sh", "-c", "echo a b"};
  Argv env{"PATH=/bin", "X=1"};
  pal_stdio_fds stdio = MakeStdio(-1, out.w, 2);
  const json stdio_json = Stdio(stdio);
  int pid = 0;
  char path[] = "/bin/sh";
  struct pal_create_process_args cp = {path, argv.get(), env.get(), &stdio, &pid};
  ASSERT_EQ(t.create(&cp), 0);
  ASSERT_GT(pid, 0);
  out.CloseWrite();
  int exit_value = -1;
  ASSERT_EQ(t.Exec(pid, &exit_value), 0);
  EXPECT_EQ(exit_value, 0);
  EXPECT_EQ(out.ReadAll(), "a b\n");
  EXPECT_TRUE(Gone(pid));
  EXPECT_EQ(t.kill(-1, SIGTERM), 0);
  EXPECT_EQ(t.destroy(), 0);

  auto r = ReadRecords(t.rec);
  ASSERT_EQ(Calls(r), (std::vector<std::string>{"get_version", "init", "create_process", "exec",
                                                "exec_return", "kill", "destroy"}));
  EXPECT_EQ(r[0], json::parse(R"({"call":"get_version","v":2,"ret":2})"));
  EXPECT_EQ(r[1], (json{{"call", "init"}, {"v", 2}, {"args", t.args}, {"log_level", "info"}}));
  EXPECT_EQ(r[2], (json{{"call", "create_process"},
                        {"v", 2},
                        {"path", "/bin/sh"},
                        {"argv", {"sh", "-c", "echo a b"}},
                        {"env", {"PATH=/bin", "X=1"}},
                        {"stdio", stdio_json},
                        {"pid", pid}}));
  EXPECT_EQ(r[3], (json{{"call", "exec"}, {"v", 2}, {"pid", pid}}));
  EXPECT_EQ(r[4], (json{{"call", "exec_return"}, {"v", 2}, {"pid", pid}, {"exit_value", 0}}));
  EXPECT_EQ(r[5], (json{{"call", "kill"}, {"v", 2}, {"pid", -1}, {"sig", 15}, {"ret", 0}}));
  EXPECT_EQ(r[6], (json{{"call", "destroy"}, {"v", 2}}));
}

TEST(AbitestV2, WithoutRecordTokenStillRuns) {
  Abi t("liberpal-abitest-v2");
  pal_attr_v1_t attr = {"", nullptr};
  ASSERT_EQ(t.init_v1(&attr), 0);
  Argv argv{"/bin/sh", "-c", "exit 5"};
  int pid = 0, ev = -1;
  ASSERT_EQ(t.Create(argv, &pid), 0);
  ASSERT_EQ(t.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 5);
  EXPECT_EQ(access(t.rec.c_str(), F_OK), -1);
}

TEST(AbitestV2, PassesTheEnvironmentAndReportsExecFailures) {
  Abi t("liberpal-abitest-v2");
  pal_attr_v1_t attr = {"", "info"};
  ASSERT_EQ(t.init_v1(&attr), 0);

  Pipe out;
  Argv argv{"sh", "-c", "echo \"$X\""};
  Argv env{"X=hello world"};
  pal_stdio_fds stdio = MakeStdio(-1, out.w, 2);
  int pid = 0, ev = -1;
  char path[] = "/bin/sh";
  struct pal_create_process_args cp = {path, argv.get(), env.get(), &stdio, &pid};
  ASSERT_EQ(t.create(&cp), 0);
  out.CloseWrite();
  ASSERT_EQ(t.Exec(pid, &ev), 0);
  EXPECT_EQ(out.ReadAll(), "hello world\n");

  Pipe err;
  Argv missing{"/nonexistent/prog"};
  ASSERT_EQ(t.Create(missing, &pid, 1, err.w), 0);
  err.CloseWrite();
  ASSERT_EQ(t.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 127);
  EXPECT_EQ(err.ReadAll(), "abitest: exec /nonexistent/prog: No such file or directory\n");
}

TEST(AbitestV2, ExitValueOfASignalIs128PlusItsNumber) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.InitV1(), 0);
  Argv self_kill{"/bin/sh", "-c", "kill -TERM $$"};
  int pid = 0, ev = -1;
  ASSERT_EQ(t.Create(self_kill, &pid), 0);
  ASSERT_EQ(t.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGTERM);
}

TEST(AbitestV2, KillTargetsAllTheNewestOrOnePid) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.InitV1(), 0);
  Argv sleep{"/bin/sleep", "30"};
  int a = 0, b = 0, c = 0, ev = -1;
  ASSERT_EQ(t.Create(sleep, &a), 0);
  ASSERT_EQ(t.Create(sleep, &b), 0);
  ASSERT_EQ(t.kill(0, SIGKILL), 0);  // the newest: b
  ASSERT_EQ(t.Exec(b, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGKILL);
  EXPECT_FALSE(Gone(a));
  ASSERT_EQ(t.kill(a, SIGTERM), 0);
  ASSERT_EQ(t.Exec(a, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGTERM);

  const int reaped = a;
  EXPECT_EQ(t.kill(a, SIGTERM), -ESRCH);  // reaped
  EXPECT_EQ(t.kill(0, SIGTERM), -ESRCH);  // no live child
  EXPECT_EQ(t.kill(-1, SIGTERM), 0);      // all of none
  EXPECT_EQ(t.kill(-7, SIGTERM), -ESRCH);
  EXPECT_EQ(t.Exec(a, &ev), -ESRCH);  // consumed
  EXPECT_EQ(t.Exec(999999999, &ev), -ESRCH);

  ASSERT_EQ(t.Create(sleep, &a), 0);
  ASSERT_EQ(t.Create(sleep, &c), 0);
  ASSERT_EQ(t.kill(-1, SIGINT), 0);
  ASSERT_EQ(t.Exec(a, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGINT);
  ASSERT_EQ(t.Exec(c, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGINT);

  auto r = ReadRecords(t.rec);
  std::vector<json> kills;
  for (const auto& x : r)
    if (x["call"] == "kill") kills.push_back(x);
  ASSERT_EQ(kills.size(), 7u);
  EXPECT_EQ(kills[2],
            (json{{"call", "kill"}, {"v", 2}, {"pid", reaped}, {"sig", 15}, {"ret", -ESRCH}}));
}

TEST(AbitestV2, DestroyKillsAndReapsWhileExecWaits) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.InitV1(), 0);
  Argv sleep{"/bin/sleep", "30"};
  int pid = 0, ev = -1;
  ASSERT_EQ(t.Create(sleep, &pid), 0);
  std::atomic<int> rc{1};
  std::thread waiter([&] { rc = t.Exec(pid, &ev); });
  usleep(100 * 1000);
  EXPECT_EQ(t.destroy(), 0);
  waiter.join();
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(ev, 128 + SIGKILL);
  EXPECT_TRUE(Gone(pid));
  auto calls = Calls(ReadRecords(t.rec));
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "destroy"), 1);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "exec_return"), 1);
}

TEST(AbitestV2, StdioFdsThatAreAlready0And1AreNotClobbered) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.InitV1(), 0);
  Pipe a, b;
  Argv argv{"/bin/sh", "-c", "echo out; echo err >&2"};
  int pid = 0, ev = -1;
  fflush(stdout);
  fflush(stderr);
  int save0 = fcntl(0, F_DUPFD_CLOEXEC, 3), save1 = fcntl(1, F_DUPFD_CLOEXEC, 3);
  ASSERT_GE(save0, 0);
  ASSERT_GE(save1, 0);
  dup2(a.w, 0);  // the child's stdout comes as our fd 0, its stderr as our fd 1
  dup2(b.w, 1);
  pal_stdio_fds stdio = {open("/dev/null", O_RDONLY | O_CLOEXEC), 0, 1};
  struct pal_create_process_args cp = {argv.get()[0], argv.get(), nullptr, &stdio, &pid};
  int rc = t.create(&cp);  // closes our 0 and 1: they were its to keep
  dup2(save0, 0);
  dup2(save1, 1);
  close(save0);
  close(save1);
  ASSERT_EQ(rc, 0);
  a.CloseWrite();
  b.CloseWrite();
  ASSERT_EQ(t.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 0);
  EXPECT_EQ(a.ReadAll(), "out\n");
  EXPECT_EQ(b.ReadAll(), "err\n");
}

TEST(AbitestV2, OneFdForStdoutAndStderrAndNoOtherFdLeaks) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.InitV1(), 0);
  int leak = open("/dev/null", O_RDONLY);  // not close-on-exec: the PAL must close it anyway
  ASSERT_GE(leak, 3);
  Pipe out;
  Argv argv{"/bin/sh", "-c", "echo out; echo err >&2; ls /proc/$$/fd"};
  int dup_out = fcntl(out.w, F_DUPFD_CLOEXEC, 3);
  pal_stdio_fds stdio = {open("/dev/null", O_RDONLY | O_CLOEXEC), dup_out, dup_out};
  int pid = 0, ev = -1;
  struct pal_create_process_args cp = {argv.get()[0], argv.get(), nullptr, &stdio, &pid};
  ASSERT_EQ(t.create(&cp), 0);
  EXPECT_EQ(fcntl(dup_out, F_GETFD), -1);  // closed once, by the PAL
  close(leak);
  out.CloseWrite();
  ASSERT_EQ(t.Exec(pid, &ev), 0);
  EXPECT_EQ(out.ReadAll(), "out\nerr\n0\n1\n2\n");  // sh's own fds: no pipeline, no leak
}

TEST(AbitestV2, StringsAreEscapedAsJson) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.InitV1(), 0);
  Argv argv{"/bin/true",   "q\"b\\s", "nl\nt\t", std::string("\x01\x1f\x7f", 3),
            "caf\xc3\xa9", "bad\xff"};
  int pid = 0, ev = -1;
  ASSERT_EQ(t.Create(argv, &pid), 0);
  ASSERT_EQ(t.Exec(pid, &ev), 0);
  auto r = ReadRecords(t.rec);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1]["argv"], (json{"/bin/true", "q\"b\\s", "nl\nt\t", std::string("\x01\x1f\x7f", 3),
                                "caf\xc3\xa9", "bad\xc3\xbf"}));
  const std::string raw = rt_test::ReadFile(t.rec);
  EXPECT_NE(raw.find(R"("q\"b\\s","nl\u000at\u0009","\u0001\u001f\u007f")"), std::string::npos)
      << raw;
}

TEST(AbitestV2, NullArgumentsAreEinvalAndRecordedAsNull) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.InitV1(), 0);
  EXPECT_EQ(t.create(nullptr), -EINVAL);
  EXPECT_EQ(t.exec(nullptr), -EINVAL);
  pal_stdio_fds stdio = MakeStdio(-1, 1, 2);
  int pid = 0;
  struct pal_create_process_args no_path = {nullptr, nullptr, nullptr, &stdio, &pid};
  EXPECT_EQ(t.create(&no_path), -EINVAL);
  EXPECT_EQ(fcntl(stdio.stdout, F_GETFD), -1);  // the fds were its to keep, even so
  Argv argv{"/bin/true"};
  pal_stdio_fds stdio2 = MakeStdio(-1, 1, 2);
  struct pal_create_process_args no_pid = {argv.get()[0], argv.get(), nullptr, &stdio2, nullptr};
  EXPECT_EQ(t.create(&no_pid), -EINVAL);
  ASSERT_EQ(t.Create(argv, &pid), 0);
  EXPECT_EQ(t.Exec(pid, nullptr), -EINVAL);

  auto r = ReadRecords(t.rec);
  ASSERT_GE(r.size(), 4u);
  EXPECT_EQ(r[1], json::parse(R"({"call":"create_process","v":2,"path":null,"argv":null,)"
                              R"("env":null,"stdio":null,"pid":null})"));
  EXPECT_EQ(r[2], json::parse(R"({"call":"exec","v":2,"pid":null})"));
  EXPECT_EQ(r[3]["stdio"], Stdio(stdio));
  EXPECT_TRUE(r[3]["path"].is_null());
  EXPECT_TRUE(r[3]["pid"].is_null());
}

TEST(AbitestV2, ConcurrentCallsWriteWholeLines) {
  Abi t("liberpal-abitest-v2");
  ASSERT_EQ(t.InitV1(), 0);
  constexpr int kThreads = 4, kRuns = 8;
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([&] {
      for (int k = 0; k < kRuns; k++) {
        Argv argv{"/bin/true"};
        int pid = 0, ev = -1;
        if (t.Create(argv, &pid) != 0 || t.Exec(pid, &ev) != 0 || ev != 0) failures++;
      }
    });
  }
  std::thread killer([&] {
    while (!done) t.kill(-1, 0);
  });
  for (auto& th : threads) th.join();
  done = true;
  killer.join();
  EXPECT_EQ(failures, 0);
  auto calls = Calls(ReadRecords(t.rec));
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "create_process"), kThreads * kRuns);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "exec_return"), kThreads * kRuns);
}

TEST(AbitestV1, ExecRunsSynchronouslyAndRecords) {
  Abi t("liberpal-abitest-v1");
  EXPECT_EQ(t.get_version, nullptr);
  auto exec_v1 = t.pal.fn<pal_exec_v1_fn>("pal_exec");
  ASSERT_EQ(t.InitV1("x"), 0);
  Pipe out;
  Argv argv{"sh", "-c", "echo v1; exit 3"};
  pal_stdio_fds stdio = MakeStdio(-1, out.w, 2);
  const json stdio_json = Stdio(stdio);
  int code = -1;
  char path[] = "/bin/sh";
  ASSERT_EQ(exec_v1(path, argv.get(), &stdio, &code), 0);
  EXPECT_EQ(code, 3);
  out.CloseWrite();
  EXPECT_EQ(out.ReadAll(), "v1\n");
  EXPECT_EQ(exec_v1(nullptr, argv.get(), nullptr, &code), -EINVAL);
  EXPECT_EQ(t.destroy(), 0);

  auto r = ReadRecords(t.rec);
  ASSERT_EQ(Calls(r), (std::vector<std::string>{"init", "exec", "exec_return", "exec", "destroy"}));
  EXPECT_EQ(r[0], (json{{"call", "init"}, {"v", 1}, {"args", t.args}, {"log_level", "info"}}));
  const int pid = r[1]["pid"].get<int>();
  EXPECT_GT(pid, 0);
  EXPECT_EQ(r[1], (json{{"call", "exec"},
                        {"v", 1},
                        {"path", "/bin/sh"},
                        {"argv", argv.ToJson()},
                        {"stdio", stdio_json},
                        {"pid", pid}}));
  EXPECT_EQ(r[2], (json{{"call", "exec_return"}, {"v", 1}, {"pid", pid}, {"exit_value", 3}}));
  EXPECT_EQ(r[3], (json{{"call", "exec"},
                        {"v", 1},
                        {"path", nullptr},
                        {"argv", argv.ToJson()},
                        {"stdio", nullptr},
                        {"pid", nullptr}}));
}

TEST(AbitestV1, DestroyFromAnotherThreadEndsABlockedExec) {
  Abi t("liberpal-abitest-v1");
  auto exec_v1 = t.pal.fn<pal_exec_v1_fn>("pal_exec");
  ASSERT_EQ(t.InitV1(), 0);
  Argv argv{"/bin/sleep", "30"};
  pal_stdio_fds stdio = MakeStdio(-1, 1, 2);
  int code = -1;
  std::atomic<int> rc{1};
  std::thread th([&] { rc = exec_v1(argv.get()[0], argv.get(), &stdio, &code); });
  usleep(100 * 1000);
  EXPECT_EQ(t.destroy(), 0);
  th.join();
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(code, 128 + SIGKILL);
}

TEST(AbitestV3, InitRecordsFdAndAddrAndReportIsFixed) {
  Abi t("liberpal-abitest-v3");
  ASSERT_EQ(t.get_version(), 3);
  ASSERT_EQ(t.InitV3(), 0);
  std::vector<uint8_t> ti(512, 0x5a), report(432, 0xee);
  int len = 432;
  ASSERT_EQ(t.report(ti.data(), 512, report.data(), &len), 0);
  EXPECT_EQ(len, 432);
  std::vector<uint8_t> want(432, 0);
  memcpy(want.data() + 64, "abitest-v3", 10);
  EXPECT_EQ(report, want);
  len = 431;
  EXPECT_EQ(t.report(ti.data(), 512, report.data(), &len), -EINVAL);
  EXPECT_EQ(len, 431);
  len = 432;
  EXPECT_EQ(t.report(ti.data(), 511, report.data(), &len), -EINVAL);
  EXPECT_EQ(t.report(nullptr, 512, report.data(), &len), -EINVAL);
  EXPECT_EQ(t.report(ti.data(), 512, report.data(), nullptr), -EINVAL);

  auto r = ReadRecords(t.rec);
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[0], json::parse(R"({"call":"get_version","v":3,"ret":3})"));
  EXPECT_EQ(r[1], (json{{"call", "init"},
                        {"v", 3},
                        {"args", t.args},
                        {"log_level", "info"},
                        {"fd", -1},
                        {"fd_token", nullptr},
                        {"addr", 0}}));
  EXPECT_EQ(r[2], json::parse(R"({"call":"get_local_report","v":3,"target_info_len":512,)"
                              R"("report_len_in":432,"report_len_out":432})"));
  EXPECT_EQ(r[3], json::parse(R"({"call":"get_local_report","v":3,"target_info_len":512,)"
                              R"("report_len_in":431,"report_len_out":431})"));
  EXPECT_TRUE(r[6]["report_len_in"].is_null());
}

TEST(AbitestV3, AddrIsRecordedUnsigned) {
  Abi t("liberpal-abitest-v3");
  std::string args = t.Args();
  pal_attr_v3_t attr = {{args.c_str(), nullptr}, 7, 0xffffffffffffffffull};
  ASSERT_EQ(t.init_v3(&attr), 0);
  auto r = ReadRecords(t.rec);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0]["log_level"].is_null());
  EXPECT_EQ(r[0]["fd"], 7);
  EXPECT_EQ(r[0]["addr"].get<uint64_t>(), 0xffffffffffffffffull);
}

TEST(OtherVersions, V4AndNosymLibrariesClaimTheirVersion) {
  Abi v4("liberpal-v4");
  EXPECT_EQ(v4.get_version(), 4);
  ASSERT_EQ(v4.InitV3(), 0);
  auto r = ReadRecords(v4.rec);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], json::parse(R"({"call":"get_version","v":4,"ret":4})"));
  EXPECT_EQ(r[1]["fd"], -1);

  Abi noinit("liberpal-nosym-init");
  EXPECT_EQ(noinit.get_version(), 2);
  Abi nocreate("liberpal-nosym-create");
  EXPECT_EQ(nocreate.get_version(), 2);
  EXPECT_EQ(nocreate.create, nullptr);
}

// ---- liberpal-fail ----------------------------------------------------------------------------

struct FailCase {
  std::string stage, mode;
};
void PrintTo(const FailCase& c, std::ostream* os) {
  *os << c.stage << ":" << c.mode;
}

class Fail : public testing::TestWithParam<FailCase> {};

// Runs up to and including the failing call; returns what it returned. *victim: a child started
// before the call (stages exec, kill, destroy), or 0.
int RunToFailure(Abi& t, const std::string& stage, const std::string& mode, int* victim) {
  *victim = 0;
  int rc = t.InitV3("fail=" + stage + ":" + mode);
  if (stage == "init") return rc;
  if (rc != 0) return 1000 + rc;
  if (stage == "get_local_report") {
    std::vector<uint8_t> ti(512), report(432);
    int len = 432;
    return t.report(ti.data(), 512, report.data(), &len);
  }
  Argv sleep{"/bin/sleep", "30"};
  int pid = 0;
  if (stage == "create_process") return t.Create(sleep, &pid);
  if (t.Create(sleep, &pid) != 0) return 2000;
  *victim = pid;
  if (stage == "exec") {
    int ev;
    return t.Exec(pid, &ev);
  }
  if (stage == "kill") return t.kill(-1, SIGTERM);
  return t.destroy();
}

TEST_P(Fail, FailsAfterRecordingTheCall) {
  const auto& [stage, mode] = GetParam();
  Abi t("liberpal-fail");
  const std::string call = stage == "init" ? "init" : stage;
  int victim = 0;

  if (mode == "exit" || mode == "crash") {
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // to see what happens to the victim
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
      signal(SIGSEGV, SIG_DFL);
      int v = 0;
      RunToFailure(t, stage, mode, &v);
      _exit(99);  // the call returned: wrong
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    if (mode == "exit") {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
    } else {
      EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) << status;
    }
    // The victim (if any) died with its parent thread (PR_SET_PDEATHSIG: SIGKILL) and came to
    // us; or, if the parent died before the child set that up, the child saw it and exited 127.
    for (;;) {
      int st = 0;
      pid_t p = waitpid(-1, &st, 0);
      if (p < 0) break;
      EXPECT_TRUE((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
                  (WIFEXITED(st) && WEXITSTATUS(st) == 127))
          << "orphan " << p << " " << st;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    t.pal.skip_destroy();
  } else {
    int rc = RunToFailure(t, stage, mode, &victim);
    int saved_errno = errno;
    if (mode == "negerrno") {
      EXPECT_EQ(rc, -ENOEXEC);
    }
    if (mode == "minus1") {
      EXPECT_EQ(rc, -1);
      EXPECT_EQ(saved_errno, EIO);
    }
    if (mode == "plus1") {
      EXPECT_EQ(rc, 1);
    }
    if (victim > 0) {
      if (stage == "kill") {
        EXPECT_FALSE(Gone(victim)) << "a failing pal_kill must not act";
        t.destroy();
      }
      EXPECT_TRUE(Gone(victim)) << "stage " << stage << " left its child behind";
    }
  }

  auto r = ReadRecords(t.rec);
  json failing;
  for (const auto& x : r)
    if (x["call"] == call) failing = x;
  ASSERT_TRUE(failing.is_object()) << rt_test::ReadFile(t.rec);
  EXPECT_EQ(failing["fail"], mode);
  EXPECT_EQ(failing["v"], 3);
}

std::vector<FailCase> AllFailCases() {
  std::vector<FailCase> v;
  for (const char* s : {"init", "create_process", "exec", "kill", "destroy", "get_local_report"})
    for (const char* m : {"negerrno", "minus1", "plus1", "exit", "crash"}) v.push_back({s, m});
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllStagesAndModes, Fail, testing::ValuesIn(AllFailCases()),
                         [](const testing::TestParamInfo<FailCase>& info) {
                           return info.param.stage + "_" + info.param.mode;
                         });

TEST(FailPal, RejectsAMalformedFailToken) {
  for (const char* bad : {"fail=nope:crash", "fail=init:nope", "fail=init", "fail="}) {
    Abi t("liberpal-fail");
    rt_test::StderrCapture err;
    EXPECT_EQ(t.InitV3(bad), -EINVAL) << bad;
    EXPECT_NE(err.Finish().find("abitest: bad token"), std::string::npos);
  }
}

TEST(FailPal, WithoutFailTokenBehavesLikeAbitestV3) {
  Abi t("liberpal-fail");
  ASSERT_EQ(t.InitV3("other"), 0);
  Argv argv{"/bin/false"};
  int pid = 0, ev = -1;
  ASSERT_EQ(t.Create(argv, &pid), 0);
  ASSERT_EQ(t.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 1);
  for (const auto& r : ReadRecords(t.rec)) EXPECT_FALSE(r.contains("fail"));
}

}  // namespace
