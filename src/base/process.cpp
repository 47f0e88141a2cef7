#include "base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstring>

#include "base/fd.h"
#include "base/file.h"

namespace base {

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  // "pid (comm) S ppid ..." -- comm may contain anything, so find the last ')'.
  auto rp = text.rfind(')');
  if (rp == std::string_view::npos || rp + 2 >= text.size()) return std::nullopt;
  std::string_view rest = text.substr(rp + 2);
  ProcStat st;
  st.state = rest[0];
  // fields after comm start at field 3 (state); start_time is field 22.
  int field = 3;
  size_t i = 0;
  while (i < rest.size() && field < 22) {
    if (rest[i] == ' ') ++field;
    ++i;
  }
  if (field != 22) return std::nullopt;
  size_t j = rest.find(' ', i);
  std::string_view num = rest.substr(i, j == std::string_view::npos ? rest.size() - i : j - i);
  auto r = std::from_chars(num.data(), num.data() + num.size(), st.start_time);
  if (r.ec != std::errc()) return std::nullopt;
  return st;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text.ok()) return std::nullopt;
  return parse_proc_stat(*text);
}

bool process_alive(pid_t pid, uint64_t start_time) {
  auto st = read_proc_stat(pid);
  if (!st) return false;
  if (st->state == 'Z' || st->state == 'X') return false;
  return start_time == 0 || st->start_time == start_time;
}

bool wait_process_gone(pid_t pid, uint64_t start_time, int timeout_ms) {
  UniqueFd pfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (pfd.valid()) {
    // The pidfd may have been opened on a reused pid: check identity after opening it.
    if (!process_alive(pid, start_time)) return true;
    struct pollfd p = {pfd.get(), POLLIN, 0};
    int r;
    do r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    return r > 0;
  }
  // No pidfd support: poll /proc.
  for (int waited = 0; waited <= timeout_ms; waited += 5) {
    if (!process_alive(pid, start_time)) return true;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  return !process_alive(pid, start_time);
}

namespace {
struct SigName {
  const char* name;
  int num;
};
constexpr SigName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};
}  // namespace

Result<int> parse_signal(std::string_view s) {
  if (s.empty()) return invalid("empty signal name");
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    int n = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || n <= 0 || n > SIGRTMAX)
      return invalid("invalid signal `" + std::string(s) + "`");
    return n;
  }
  std::string up;
  for (char c : s) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view name = up;
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (const auto& e : kSignals)
    if (name == e.name) return e.num;
  // RTMIN, RTMIN+n, RTMAX-n
  auto rt = [&](std::string_view base, int b, int sign) -> std::optional<int> {
    if (name.substr(0, base.size()) != base) return std::nullopt;
    std::string_view rest = name.substr(base.size());
    if (rest.empty()) return b;
    if (rest[0] != (sign > 0 ? '+' : '-')) return std::nullopt;
    int n = 0;
    auto r = std::from_chars(rest.data() + 1, rest.data() + rest.size(), n);
    if (r.ec != std::errc() || r.ptr != rest.data() + rest.size()) return std::nullopt;
    int v = b + sign * n;
    if (v < SIGRTMIN || v > SIGRTMAX) return std::nullopt;
    return v;
  };
  if (auto v = rt("RTMIN", SIGRTMIN, 1)) return *v;
  if (auto v = rt("RTMAX", SIGRTMAX, -1)) return *v;
  return invalid("unknown signal `" + std::string(s) + "`");
}

int kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

sigset_t relayable_signals() {
  sigset_t set;
  sigfillset(&set);
  for (int s : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS})
    sigdelset(&set, s);
  return set;
}

bool relayed_to_container(int sig) {
  return sig != SIGCHLD && sig != SIGURG && sig != SIGPIPE;
}

}  // namespace base

namespace base {

Result<std::string> capture_output(const std::vector<std::string>& argv) {
  if (argv.empty()) return invalid("no command to run");
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return sys_error("pipe");
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(out[0]);
    close(out[1]);
    return sys_error("fork to run `" + argv[0] + "`", e);
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, 0);
    dup2(out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    dprintf(2, "rune: run `%s`: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error(Category::unavailable,
                 "`" + argv[0] + "` failed (wait status " + std::to_string(status) + ")");
  return text;
}

}  // namespace base
