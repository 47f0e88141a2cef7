// liberpal-sim, in-process: measurement log, workloads, kill/destroy, reports, and what the
// workload looks like from the inside (seccomp, no_new_privs, non-dumpable) and the outside.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "inclavare/sim_tee.h"
#include "pal_test_util.h"
#include "sha256.h"

namespace {

using rt_test::Argv;
using rt_test::FreshPal;
using rt_test::Gone;
using rt_test::Hex;
using rt_test::MakeStdio;
using rt_test::Pipe;
using rt_test::ReadFile;
using rt_test::Sha256Hex;
using rt_test::StderrCapture;
using rt_test::TempDir;

const char kBanner[] =
    "liberpal-sim: software TEE for development and CI: it protects nothing against the host's "
    "root\n";

struct Sim {
  Sim() : pal("liberpal-sim"), log(dir.file("measurement.log")) {
    EXPECT_TRUE(pal.loaded()) << pal.error();
    init = pal.fn<pal_init_v3_fn>("pal_init");
    create = pal.fn<pal_create_process_fn>("pal_create_process");
    exec = pal.fn<pal_exec_v2_fn>("pal_exec");
    kill = pal.fn<pal_kill_fn>("pal_kill");
    destroy = pal.fn<pal_destroy_fn>("pal_destroy");
    report = pal.fn<pal_get_local_report_fn>("pal_get_local_report");
    prepare = pal.fn<pal_prepare_process_fn>("pal_prepare_process");
  }
  // Quiet by default: error level, and the banner is tested on its own.
  int Init(const std::string& extra = "", const char* level = "error") {
    args = "measurement-log=" + log + (extra.empty() ? "" : " " + extra);
    pal_attr_v3_t attr = {{args.c_str(), level}, -1, 0};
    return init(&attr);
  }
  // No measurement log file: the binary is hashed after the workload starts.
  int InitWithoutLog(const std::string& extra = "") {
    args = extra;
    pal_attr_v3_t attr = {{args.c_str(), "error"}, -1, 0};
    return init(&attr);
  }
  int Create(Argv& argv, int* pid, int out = 1, int err = 2, char** env = nullptr) {
    static char* const kEnv[] = {const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    pal_stdio_fds stdio = MakeStdio(-1, out, err);
    struct pal_create_process_args a = {argv.get()[0], argv.get(),
                                        env ? env : const_cast<char**>(kEnv), &stdio, pid};
    return create(&a);
  }
  int Exec(int pid, int* ev) {
    struct pal_exec_args a = {pid, ev};
    return exec(&a);
  }
  // Runs argv to completion; returns its exit value (or -1000 + the failing call's result).
  int Run(Argv argv, std::string* out = nullptr) {
    Pipe p;
    int pid = 0, ev = -1;
    int rc = Create(argv, &pid, out ? p.w : 1);
    if (rc != 0) return -1000 + rc;
    p.CloseWrite();
    if (out) *out = p.ReadAll();
    rc = Exec(pid, &ev);
    return rc != 0 ? -1000 + rc : ev;
  }
  std::vector<uint8_t> Report(const std::vector<uint8_t>& ti) {
    std::vector<uint8_t> r(432, 0xee);
    int len = 432;
    EXPECT_EQ(report(const_cast<uint8_t*>(ti.data()), 512, r.data(), &len), 0);
    EXPECT_EQ(len, 432);
    return r;
  }

  FreshPal pal;
  TempDir dir;
  std::string log;
  std::string args;
  pal_init_v3_fn init;
  pal_create_process_fn create;
  pal_exec_v2_fn exec;
  pal_kill_fn kill;
  pal_destroy_fn destroy;
  pal_get_local_report_fn report;
  pal_prepare_process_fn prepare;
};

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) v.push_back(line);
  return v;
}

std::string ArgsHash(std::initializer_list<std::string> argv) {
  std::string all;
  for (const auto& a : argv) all += a + std::string(1, '\0');
  return Sha256Hex(all);
}

TEST(SimMeasurement, InitLogsTheConfigEntry) {
  Sim s;
  ASSERT_EQ(s.Init("quiet", "warning"), 0);
  EXPECT_EQ(ReadFile(s.log),
            "config " + Sha256Hex(s.args) + " liberpal-sim v3 log_level=warning\n");
  struct stat st;
  ASSERT_EQ(stat(s.log.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(access((s.log + ".tmp").c_str(), F_OK), -1);
}

TEST(SimMeasurement, AnUnwritableLogFailsInit) {
  Sim s;
  StderrCapture err;
  const std::string args = "measurement-log=" + s.dir.file("missing/dir/m.log");
  pal_attr_v3_t attr = {{args.c_str(), "error"}, -1, 0};
  EXPECT_EQ(s.init(&attr), -ENOENT);
  EXPECT_NE(
      err.Finish().find("liberpal-sim: write measurement log " + s.dir.file("missing/dir/m.log")),
      std::string::npos);
  EXPECT_EQ(s.Init(), 0);  // nothing was half set up
  EXPECT_EQ(rt_test::ReadFile(s.log),
            "config " + Sha256Hex(s.args) + " liberpal-sim v3 log_level=error\n");
}

TEST(SimMeasurement, EachWorkloadAddsItsBinaryAndArgs) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  EXPECT_EQ(s.Run({"/bin/true"}), 0);
  EXPECT_EQ(s.Run({"/bin/false", "x"}), 1);
  EXPECT_EQ(s.Run({"/bin/sh", "-c", "exit 7"}), 7);
  auto lines = Lines(ReadFile(s.log));
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[1], "binary " + Sha256Hex(ReadFile("/bin/true")) + " /bin/true");
  EXPECT_EQ(lines[2], "args " + ArgsHash({"/bin/true"}) + " argc=1");
  EXPECT_EQ(lines[3], "binary " + Sha256Hex(ReadFile("/bin/false")) + " /bin/false");
  EXPECT_EQ(lines[4], "args " + ArgsHash({"/bin/false", "x"}) + " argc=2");
  EXPECT_EQ(lines[6], "args " + ArgsHash({"/bin/sh", "-c", "exit 7"}) + " argc=3");
}

// pal_prepare_process: the entrypoint copied (and hashed) ahead; the run and the measurement are
// the same as without it, and the file as it was when prepared is what runs.
TEST(SimPrepare, TheFirstProcessRunsFromTheCopyMadeAtPrepare) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  std::string exe = s.dir.file("prog");
  rt_test::WriteFile(exe, ReadFile("/bin/true"), 0755);
  ASSERT_EQ(s.prepare(exe.c_str(), -1), 0);
  EXPECT_EQ(s.prepare(exe.c_str(), -1), -EALREADY);  // once per container
  // Replaced after the prepare: the copy made then runs, and is what is measured.
  int pid = 0;
  Argv argv{exe};
  std::string prepared_digest = Sha256Hex(ReadFile("/bin/true"));
  usleep(200 * 1000);  // the copy is done by now (it is joined in any case)
  rt_test::WriteFile(exe, ReadFile("/bin/false"), 0755);
  ASSERT_EQ(s.Create(argv, &pid), 0);
  int ev = -1;
  ASSERT_EQ(s.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 0);
  auto lines = Lines(ReadFile(s.log));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "binary " + prepared_digest + " " + exe);
  // Later processes load the file as it is now.
  EXPECT_EQ(s.Run({exe}), 1);
}

TEST(SimPrepare, AnotherPathOrAFailedPrepareLoadsAsUsual) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  ASSERT_EQ(s.prepare("/bin/false", -1), 0);
  EXPECT_EQ(s.Run({"/bin/true"}), 0);  // the prepared copy of another path is dropped
  EXPECT_EQ(s.Run({"/bin/false"}), 1);
  Sim t;
  ASSERT_EQ(t.InitWithoutLog(), 0);
  std::string script = t.dir.file("script.sh");
  rt_test::WriteFile(script, "#!/bin/sh\nexit 0\n", 0755);
  {
    StderrCapture err;
    ASSERT_EQ(t.prepare(script.c_str(), -1), 0);  // fails in the background
    Argv argv{script};
    int pid = 0;
    EXPECT_EQ(t.Create(argv, &pid), -ENOEXEC);  // reported by the create, as without it
    (void)err.Finish();
  }
  // Prepared but never created: destroy drops it.
  Sim u;
  ASSERT_EQ(u.InitWithoutLog(), 0);
  ASSERT_EQ(u.prepare("/bin/true", -1), 0);
  EXPECT_EQ(u.destroy(), 0);
  EXPECT_EQ(u.prepare(nullptr, -1), -EINVAL);
}

// rune's copy (made while the container is set up): taken when sealed and execute-only, as if
// the sim had made it; anything else is closed and the file copied as usual.
int RuneCopy(const std::string& from, bool seal) {
  int m = memfd_create("copy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  std::string bytes = ReadFile(from);
  EXPECT_EQ(write(m, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  EXPECT_EQ(fchmod(m, 0111), 0);
  if (seal) {
    EXPECT_EQ(fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL), 0);
  }
  return m;
}

TEST(SimPrepare, RunesSealedCopyIsRunAndMeasured) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  // The copy holds /bin/true's bytes though the path is /bin/false's: the copy is what runs and
  // what the log measures (rune made it from the file the path named at create).
  ASSERT_EQ(s.prepare("/bin/false", RuneCopy("/bin/true", true)), 0);
  EXPECT_EQ(s.Run({"/bin/false"}), 0);
  auto lines = Lines(ReadFile(s.log));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "binary " + Sha256Hex(ReadFile("/bin/true")) + " /bin/false");
  Sim t;
  ASSERT_EQ(t.InitWithoutLog(), 0);
  int unsealed = RuneCopy("/bin/true", false);
  ASSERT_EQ(t.prepare("/bin/false", unsealed), 0);
  EXPECT_EQ(fcntl(unsealed, F_GETFD), -1);  // closed: not used
  EXPECT_EQ(t.Run({"/bin/false"}), 1);      // the file, copied by the sim
  Sim u;
  ASSERT_EQ(u.InitWithoutLog(), 0);
  ASSERT_EQ(u.prepare("/bin/false", RuneCopy("/bin/true", true)), 0);
  EXPECT_EQ(u.Run({"/bin/false"}), 0);  // no log: taken without a thread
}

TEST(SimMeasurement, ControlCharactersInAPathStayOnOneLine) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  std::string odd = s.dir.file("a\nb\\c");
  rt_test::WriteFile(odd, ReadFile("/bin/true"), 0755);
  EXPECT_EQ(s.Run({odd}), 0);
  auto lines = Lines(ReadFile(s.log));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1],
            "binary " + Sha256Hex(ReadFile("/bin/true")) + " " + s.dir.path() + "/a\\x0ab\\x5cc");
}

TEST(SimProcess, PassesEnvironmentAndStdout) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  Pipe out;
  Argv argv{"/bin/sh", "-c", "echo \"$X\""};
  Argv env{"X=hello sim"};
  int pid = 0, ev = -1;
  ASSERT_EQ(s.Create(argv, &pid, out.w, 2, env.get()), 0);
  out.CloseWrite();
  EXPECT_EQ(out.ReadAll(), "hello sim\n");
  ASSERT_EQ(s.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 0);
  EXPECT_TRUE(Gone(pid));
}

TEST(SimProcess, KillAllGives128PlusTheSignal) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  Argv sleep{"/bin/sleep", "30"};
  int pid = 0, ev = -1;
  ASSERT_EQ(s.Create(sleep, &pid), 0);
  EXPECT_EQ(s.kill(-1, SIGTERM), 0);
  ASSERT_EQ(s.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGTERM);
  EXPECT_EQ(s.kill(pid, SIGTERM), -ESRCH);
  EXPECT_EQ(s.Exec(pid, &ev), -ESRCH);
}

TEST(SimProcess, SignalsBlockedOrIgnoredByTheCallerDoNotReachTheWorkload) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  struct sigaction ign = {}, old_int;
  ign.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ign, &old_int);
  Argv sleep{"/bin/sleep", "30"};
  int a = 0, b = 0, ev = -1;
  int rc_a = s.Create(sleep, &a), rc_b = s.Create(sleep, &b);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  sigaction(SIGINT, &old_int, nullptr);
  ASSERT_EQ(rc_a, 0);
  ASSERT_EQ(rc_b, 0);
  ASSERT_EQ(s.kill(a, SIGTERM), 0);
  ASSERT_EQ(s.Exec(a, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGTERM);
  ASSERT_EQ(s.kill(b, SIGINT), 0);
  ASSERT_EQ(s.Exec(b, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGINT);
}

TEST(SimProcess, DestroyKillsWorkloadsWhileExecWaits) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  Argv sleep{"/bin/sleep", "30"};
  int a = 0, b = 0, ev = -1;
  ASSERT_EQ(s.Create(sleep, &a), 0);
  ASSERT_EQ(s.Create(sleep, &b), 0);
  std::atomic<int> rc{1};
  std::thread waiter([&] { rc = s.Exec(a, &ev); });
  usleep(100 * 1000);
  EXPECT_EQ(s.destroy(), 0);
  waiter.join();
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(ev, 128 + SIGKILL);
  EXPECT_TRUE(Gone(a));
  EXPECT_TRUE(Gone(b));
  ASSERT_EQ(s.Exec(b, &ev), 0);  // reaped by destroy, status kept
  EXPECT_EQ(ev, 128 + SIGKILL);
}

TEST(SimProcess, AScriptIsRefusedWithEnoexecAndNotMeasured) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  std::string script = s.dir.file("script.sh");
  rt_test::WriteFile(script, "#!/bin/sh\nexit 0\n", 0755);
  const std::string before = ReadFile(s.log);
  Argv argv{script};
  int pid = 0;
  pal_stdio_fds stdio = MakeStdio(-1, 1, 2);
  struct pal_create_process_args a = {argv.get()[0], argv.get(), nullptr, &stdio, &pid};
  StderrCapture err;
  EXPECT_EQ(s.create(&a), -ENOEXEC);
  const std::string msg = err.Finish();
  EXPECT_NE(msg.find("liberpal-sim: " + script + " is not an ELF executable"), std::string::npos)
      << msg;
  EXPECT_EQ(fcntl(stdio.stdout, F_GETFD), -1);  // closed all the same
  EXPECT_EQ(ReadFile(s.log), before);
}

TEST(SimProcess, MissingOrNonExecutableFilesFailLikeExecve) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  StderrCapture err;
  EXPECT_EQ(s.Run({"/nonexistent/prog"}), -1000 - ENOENT);
  std::string noexec = s.dir.file("true-0644");
  rt_test::WriteFile(noexec, ReadFile("/bin/true"), 0644);
  EXPECT_EQ(s.Run({noexec}), -1000 - EACCES);
  EXPECT_EQ(s.Run({s.dir.path()}), -1000 - EACCES);
  const std::string msg = err.Finish();
  EXPECT_NE(msg.find("open /nonexistent/prog: No such file or directory"), std::string::npos);
  EXPECT_NE(msg.find(noexec + " is not executable"), std::string::npos) << msg;
  EXPECT_EQ(Lines(ReadFile(s.log)).size(), 1u);
}

TEST(SimProcess, NullArgumentsAndCallsBeforeInitAreEinval) {
  Sim s;
  StderrCapture err;
  Argv argv{"/bin/true"};
  int pid = 0, ev = 0;
  EXPECT_EQ(s.Create(argv, &pid), -EINVAL);  // before init
  EXPECT_EQ(s.create(nullptr), -EINVAL);
  EXPECT_EQ(s.exec(nullptr), -EINVAL);
  EXPECT_EQ(s.Exec(pid, nullptr), -EINVAL);
  EXPECT_EQ(s.init(nullptr), -EINVAL);
  // An entry handed over for args without size= is refused (and closed: it is the PAL's).
  int handed = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pal_attr_v3_t handed_over = {{"", "error"}, handed, 0x1000};
  EXPECT_EQ(s.init(&handed_over), -EBADFD);
  EXPECT_EQ(fcntl(handed, F_GETFD), -1);
  ASSERT_EQ(s.Init(), 0);
  EXPECT_EQ(s.Init(), -EBUSY);
  EXPECT_EQ(s.Exec(12345678, &ev), -ESRCH);
  err.Finish();
}

TEST(SimLog, BannerAtInfoUnlessQuiet) {
  struct Case {
    const char* level;
    const char* extra;
    bool banner;
  };
  for (const Case& c : {Case{"info", "", true}, Case{nullptr, "", true}, Case{"bogus", "", true},
                        Case{"debug", "", true}, Case{"info", "quiet", false},
                        Case{"warning", "", false}, Case{"off", "", false}}) {
    Sim s;
    StderrCapture err;
    ASSERT_EQ(s.Init(c.extra, c.level), 0);
    const std::string out = err.Finish();
    const bool has = out.find(kBanner) != std::string::npos;
    EXPECT_EQ(has, c.banner) << (c.level ? c.level : "(null)") << " " << c.extra << ": " << out;
    if (c.banner && std::string(c.level ? c.level : "") != "debug") {
      EXPECT_EQ(out, kBanner);
    }
  }
  Sim s;
  StderrCapture err;
  ASSERT_EQ(s.Init("quiet", nullptr), 0);
  err.Finish();
  EXPECT_NE(ReadFile(s.log).find(" log_level=info\n"), std::string::npos);
}

// The whole expected REPORT, built here from the spec in runtimes/README.md.
// The REPORT the spec (src/base/sim_report.h) describes for `ti`, the measurement log `log`, origin
// `origin` and, for the host's (origin 1), REPORTDATA = SHA-256(TARGETINFO) || zeros, else
// `report_data`.
std::vector<uint8_t> ExpectedReport(const std::vector<uint8_t>& ti, const std::string& log,
                                    uint8_t origin = 1, const uint8_t* report_data = nullptr) {
  static const uint8_t cpusvn[16] = {4, 4, 3, 3, 2, 2, 1};
  std::vector<uint8_t> r(432, 0);
  memcpy(r.data() + SIM_TEE_R_CPUSVN_OFF, cpusvn, 16);
  r[SIM_TEE_R_ATTRIBUTES_OFF] = 0x05;      // INIT | MODE64BIT, little endian u64
  r[SIM_TEE_R_ATTRIBUTES_OFF + 8] = 0x03;  // xfrm
  sha256(log.data(), log.size(), r.data() + SIM_TEE_R_MRENCLAVE_OFF);
  const std::string signer = "inclavare-containers liberpal-sim signer";
  sha256(signer.data(), signer.size(), r.data() + SIM_TEE_R_MRSIGNER_OFF);
  r[SIM_TEE_R_ISVFAMILYID_OFF] = origin;
  if (report_data)
    memcpy(r.data() + SIM_TEE_R_REPORTDATA_OFF, report_data, 64);
  else
    sha256(ti.data(), 512, r.data() + SIM_TEE_R_REPORTDATA_OFF);
  std::string key_material = "inclavare-containers sim report key";
  key_material.append(reinterpret_cast<const char*>(ti.data()), 32);
  uint8_t key[32], mac[32];
  sha256(key_material.data(), key_material.size(), key);
  hmac_sha256(key, 32, r.data(), 416, mac);
  memcpy(r.data() + SIM_TEE_R_MAC_OFF, mac, 16);
  return r;
}

std::vector<uint8_t> QeTargetInfo() {
  std::vector<uint8_t> ti(512);
  for (size_t i = 0; i < ti.size(); i++) ti[i] = static_cast<uint8_t>(i * 13 + 1);
  memcpy(ti.data(), SIM_TEE_QE_MRENCLAVE, 32);
  return ti;
}

std::string Mrenclave(const std::vector<uint8_t>& report) {
  return Hex(report.data() + SIM_TEE_R_MRENCLAVE_OFF, 32);
}

// A valid executable of `mb` MiB: /bin/true with zeros appended (the loader ignores them), slow
// enough to hash that a measurement is still running right after pal_create_process returns.
std::string BigExecutable(const TempDir& dir, size_t mb) {
  std::string path = dir.file("big-true");
  rt_test::WriteFile(path, ReadFile("/bin/true") + std::string(mb << 20, '\0'), 0755);
  return path;
}

TEST(SimMeasurement, WithoutALogFileAReportWaitsForTheWorkloadsInTheOrderTheyStarted) {
  Sim s;
  ASSERT_EQ(s.InitWithoutLog("quiet"), 0);
  const std::string big = BigExecutable(s.dir, 48);
  Argv first({big}), second({"/bin/false", "x"});
  int p1 = 0, p2 = 0;
  ASSERT_EQ(s.Create(first, &p1), 0);
  ASSERT_EQ(s.Create(second, &p2), 0);
  // Asked at once: the big binary is still being hashed; the report waits for both entries, the
  // second one (hashed first) recorded after the first.
  auto ti = QeTargetInfo();
  auto r = s.Report(ti);
  const std::string want = "config " + Sha256Hex(std::string("quiet")) +
                           " liberpal-sim v3 log_level=error\n" + "binary " +
                           Sha256Hex(ReadFile(big)) + " " + big + "\n" + "args " + ArgsHash({big}) +
                           " argc=1\n" + "binary " + Sha256Hex(ReadFile("/bin/false")) +
                           " /bin/false\n" + "args " + ArgsHash({"/bin/false", "x"}) + " argc=2\n";
  EXPECT_EQ(Mrenclave(r), Sha256Hex(want));
  EXPECT_EQ(Hex(r.data(), 432), Hex(ExpectedReport(ti, want).data(), 432));
  int ev = -1;
  EXPECT_EQ(s.Exec(p1, &ev), 0);
  EXPECT_EQ(ev, 0);
  EXPECT_EQ(s.Exec(p2, &ev), 0);
  EXPECT_EQ(ev, 1);
}

TEST(SimMeasurement, DestroyAbandonsAMeasurementInProgressAndReportsAreRefusedAfter) {
  Sim s;
  ASSERT_EQ(s.InitWithoutLog("quiet"), 0);
  const std::string big = BigExecutable(s.dir, 96);
  Argv argv({big});
  int pid = 0;
  ASSERT_EQ(s.Create(argv, &pid), 0);
  EXPECT_EQ(s.destroy(), 0);  // does not wait for the hash of 96 MiB
  StderrCapture err;
  std::vector<uint8_t> ti = QeTargetInfo(), r(432);
  int len = 432;
  EXPECT_EQ(s.report(ti.data(), 512, r.data(), &len), -EIO);
  EXPECT_NE(err.Finish().find("no report covers it"), std::string::npos);
}

TEST(SimReport, MatchesTheMeasurementLogAndTheSpec) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  auto ti = QeTargetInfo();
  auto r1 = s.Report(ti);
  EXPECT_EQ(Hex(r1.data(), 432), Hex(ExpectedReport(ti, ReadFile(s.log)).data(), 432));
  EXPECT_EQ(Hex(r1.data() + SIM_TEE_R_MRENCLAVE_OFF, 32), Sha256Hex(ReadFile(s.log)));

  EXPECT_EQ(s.Run({"/bin/true"}), 0);
  auto r2 = s.Report(ti);
  EXPECT_NE(Hex(r2.data() + SIM_TEE_R_MRENCLAVE_OFF, 32),
            Hex(r1.data() + SIM_TEE_R_MRENCLAVE_OFF, 32));
  EXPECT_EQ(Hex(r2.data(), 432), Hex(ExpectedReport(ti, ReadFile(s.log)).data(), 432));

  // Another target: other REPORTDATA and another MAC key.
  auto other = ti;
  other[0] ^= 1;
  auto r3 = s.Report(other);
  EXPECT_EQ(Hex(r3.data(), 432), Hex(ExpectedReport(other, ReadFile(s.log)).data(), 432));
  EXPECT_NE(Hex(r3.data() + SIM_TEE_R_MAC_OFF, 16), Hex(r2.data() + SIM_TEE_R_MAC_OFF, 16));
}

// What `sim_probe attest` printed for `key`.
std::string ProbeValue(const std::string& out, const std::string& key) {
  for (const auto& line : Lines(out))
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  return "<no " + key + ">";
}

TEST(SimChannel, AProcessGetsAReportWithItsReportDataAndTheMeasurement) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  std::string out;
  ASSERT_EQ(s.Run({RT_SIM_PROBE, "attest"}, &out), 0) << out;
  EXPECT_NE(ProbeValue(out, "fd"), "none");
  EXPECT_EQ(ProbeValue(out, "cloexec"), "0");  // it came through the exec
  EXPECT_EQ(ProbeValue(out, "status"), "0");
  // The probe's request: the sim QE's TARGETINFO and REPORTDATA 0xa0, 0xa1, ...
  auto ti = QeTargetInfo();
  uint8_t rd[64];
  for (int i = 0; i < 64; i++) rd[i] = static_cast<uint8_t>(0xa0 + i);
  const std::string log = ReadFile(s.log);  // the probe is in it: nothing ran since
  EXPECT_EQ(ProbeValue(out, "report"), Hex(ExpectedReport(ti, log, 2, rd).data(), 432));
  // The host's REPORT has the same measurement, its own REPORTDATA and origin 1.
  auto host = s.Report(ti);
  EXPECT_EQ(Hex(host.data(), 432), Hex(ExpectedReport(ti, log).data(), 432));
  EXPECT_EQ(ProbeValue(out, "report").substr(2 * SIM_TEE_R_MRENCLAVE_OFF, 64), Mrenclave(host));
}

TEST(SimChannel, ARequestOfTheWrongSizeIsEinvalAndTheEnvironmentCannotBeForged) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  std::string out;
  ASSERT_EQ(s.Run({RT_SIM_PROBE, "attest", "short"}, &out), 0) << out;
  EXPECT_EQ(ProbeValue(out, "status"), std::to_string(EINVAL));
  EXPECT_EQ(ProbeValue(out, "report"), "");
  // The caller's own INCLAVARE_SIM_ATTEST_FD is replaced by the real one.
  Pipe p;
  Argv argv{"/bin/sh", "-c",
            "env | grep -c INCLAVARE_SIM_ATTEST_FD=; printf %s \"$INCLAVARE_SIM_ATTEST_FD\""};
  Argv env{"INCLAVARE_SIM_ATTEST_FD=1"};
  int pid = 0, ev = -1;
  ASSERT_EQ(s.Create(argv, &pid, p.w, 2, env.get()), 0);
  p.CloseWrite();
  auto lines = Lines(p.ReadAll());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "1");
  EXPECT_GE(std::stoi(lines[1]), 3);
  ASSERT_EQ(s.Exec(pid, &ev), 0);
}

TEST(SimReport, ShortBuffersAreEinval) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  StderrCapture err;
  auto ti = QeTargetInfo();
  std::vector<uint8_t> r(432);
  int len = 431;
  EXPECT_EQ(s.report(ti.data(), 512, r.data(), &len), -EINVAL);
  EXPECT_EQ(len, 431);
  len = 432;
  EXPECT_EQ(s.report(ti.data(), 511, r.data(), &len), -EINVAL);
  EXPECT_EQ(s.report(nullptr, 512, r.data(), &len), -EINVAL);
  EXPECT_EQ(s.report(ti.data(), 512, nullptr, &len), -EINVAL);
  EXPECT_EQ(s.report(ti.data(), 512, r.data(), nullptr), -EINVAL);
  EXPECT_EQ(len, 432);
  std::vector<uint8_t> big(1024);
  len = 1024;
  EXPECT_EQ(s.report(ti.data(), 512, big.data(), &len), 0);
  EXPECT_EQ(len, 432);
  err.Finish();
}

std::map<std::string, std::string> KeyValues(const std::string& text) {
  std::map<std::string, std::string> kv;
  for (const auto& line : Lines(text)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

TEST(SimIsolation, WorkloadIsSeccompedAndNotDumpableFromInside) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  std::string out;
  ASSERT_EQ(s.Run({RT_SIM_PROBE, "report"}, &out), 0);
  auto kv = KeyValues(out);
  EXPECT_EQ(kv["dumpable"], "0") << out;
  EXPECT_EQ(kv["set_dumpable"], "EPERM");
  EXPECT_EQ(kv["set_ptracer"], "EPERM");
  EXPECT_EQ(kv["ptrace_traceme"], "EPERM");
  EXPECT_EQ(kv["dumpable_after"], "0");
  EXPECT_EQ(kv["seccomp"], "2");
  EXPECT_EQ(kv["no_new_privs"], "1");
  EXPECT_EQ(kv["exe"].rfind("/memfd:sim-workload", 0), 0u) << kv["exe"];
}

TEST(SimIsolation, StatusSeenFromOutside) {
  Sim s;
  ASSERT_EQ(s.Init(), 0);
  Pipe out;
  Argv argv{RT_SIM_PROBE, "wait"};
  int pid = 0, ev = -1;
  ASSERT_EQ(s.Create(argv, &pid, out.w), 0);
  out.CloseWrite();
  ASSERT_EQ(out.ReadLine(), "ready\n");
  const std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("\nSeccomp:\t2\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\nNoNewPrivs:\t1\n"), std::string::npos);
  // Capabilities are back at exec: only the effective set was reduced before it.
  const std::string self = ReadFile("/proc/self/status");
  auto cap_eff = [](const std::string& st) {
    auto p = st.find("CapEff:");
    return st.substr(p, st.find('\n', p) - p);
  };
  EXPECT_EQ(cap_eff(status), cap_eff(self));
  ASSERT_EQ(s.kill(pid, SIGKILL), 0);
  ASSERT_EQ(s.Exec(pid, &ev), 0);
  EXPECT_EQ(ev, 128 + SIGKILL);
}

TEST(SimIsolation, SameUidProcessWithoutPtraceCapabilityCannotInspectTheWorkload) {
  Pipe out;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    dup2(out.w, 1);
    dup2(out.w, 2);
    execl(RT_SIM_PTRACE_CHECK, "sim_ptrace_check", rt_test::PalPath("liberpal-sim").c_str(),
          RT_SIM_PROBE, static_cast<char*>(nullptr));
    _exit(126);
  }
  ASSERT_GT(child, 0);
  out.CloseWrite();
  const std::string text = out.ReadAll();
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << text;
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << text;
  EXPECT_EQ(WEXITSTATUS(status), 0) << text;
  EXPECT_NE(text.find("plain ptrace_attach=allowed"), std::string::npos) << text;
  EXPECT_NE(text.find("sim ptrace_attach=refused"), std::string::npos) << text;
  EXPECT_NE(text.find("sim open_mem=refused"), std::string::npos) << text;
}

}  // namespace
