#include "enclave/runelet.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>

#include "base/file.h"
#include "enclave/agent.h"
#include "inclavare/pal.h"

namespace enclave {

namespace {

int g_signal_pipe = -1;  // write end; the handler only writes one byte

void relay_signal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t r = write(g_signal_pipe, &b, 1);
  (void)r;
  errno = saved;
}

bool relayed(int sig) {
  switch (sig) {
    case SIGKILL:
    case SIGSTOP:
    case SIGCHLD:  // the runtime's own children: its business (it waits for them)
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
    case SIGTRAP:
    case SIGSYS:
    case SIGABRT:
      return false;
    default:
      return true;
  }
}

// Signals whose default action ends a process (what ends a v1 container, which has no pal_kill).
bool terminating(int sig) {
  switch (sig) {
    case SIGCHLD:
    case SIGCONT:
    case SIGWINCH:
    case SIGURG:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
    case SIGSTOP:
      return false;
    default:
      return true;
  }
}

// A descriptor for the runtime: a duplicate of `fd`, or /dev/null when `fd` is closed.
int stdio_for_runtime(int fd) {
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (d < 0) d = open("/dev/null", O_RDWR | O_CLOEXEC);
  return d;
}

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void reply(int fd, const Message& m) {
  (void)send_message(fd, m);
}

void reply_error(int fd, const base::Error& e) {
  reply(fd, error_message(e));
}

enum Ctl { kDone = 1, kGrace = 2 };

}  // namespace

base::Status Runelet::init(const std::function<void(const char*)>& phase, const AskPool& ask_pool) {
  int sp[2];
  if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(ctl_, O_CLOEXEC) != 0)
    return base::sys_error("init-runelet: create its pipes");
  g_signal_pipe = sp[1];
  signal_read_ = sp[0];
  struct sigaction sa = {};
  sa.sa_handler = relay_signal;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (int s = 1; s <= SIGRTMAX; ++s)
    if (relayed(s)) sigaction(s, &sa, nullptr);  // 32/33 (glibc-internal) fail: fine

  phase("dlopen and pal_get_version");
  TRY(pal_.load(cfg_.runtime_path));
  pool_ = {};
  pool_.pool = "off";
  if (!ask_pool) {
    pool_.reason = "off for this container";
  } else if (pal_.version() < 3 || !pal_.has(kPrebuild)) {
    pool_.reason = "the runtime does not export pal_prebuild (PAL API v3)";
  } else {
    bool no_build_id = false;
    pool_ = ask_pool([&] {
      std::string id = pal_.build_id();
      no_build_id = id.empty();
      return epm::Key{std::move(id), cfg_.runtime_args};
    });
    if (no_build_id) {  // never sent: the parent was not asked
      pool_ = {};
      pool_.pool = "off";
      pool_.reason = "the runtime has no GNU build-id";
    }
  }
  phase("pal_init");
  // The entry is the runtime's from the call on; its inode is remembered to close it should
  // the runtime leave it open.
  struct stat entry = {};
  const bool handed = pool_.fd.valid() && fstat(pool_.fd.get(), &entry) == 0;
  const int fd = handed ? pool_.fd.release() : -1;
  pool_.fd.reset();
  int ret = 0;
  base::Status s = pal_.init(cfg_.runtime_args, cfg_.log_level, fd, pool_.addr, &ret);
  if (handed) {
    struct stat now;
    if (fstat(fd, &now) == 0 && now.st_dev == entry.st_dev && now.st_ino == entry.st_ino) close(fd);
  }
  if (handed && !s.ok() && ret == -EBADFD) {
    pool_.pool = "rejected";
    pool_.reason = "the runtime refused the pre-built entry (-EBADFD); started cold";
    pool_.addr = 0;
    s = pal_.init(cfg_.runtime_args, cfg_.log_level);
  }
  return s;
}

void Runelet::set_entrypoint(std::string exe, std::vector<std::string> argv,
                             std::vector<std::string> env) {
  exe_ = std::move(exe);
  argv_ = std::move(argv);
  env_ = std::move(env);
}

void Runelet::post(int kind, int value) {
  int32_t rec[2] = {kind, value};
  ssize_t r = write(ctl_[1], rec, sizeof rec);
  (void)r;
}

void Runelet::entrypoint_done(base::Result<int> r) {
  if (!r.ok()) {
    dprintf(2, "rune: %s\n", r.error().what().c_str());
    post(kDone, 127);
    return;
  }
  post(kDone, *r);
}

base::Result<int> Runelet::start() {
  std::lock_guard<std::mutex> lock(pal_mu_);
  if (started_)
    return base::Error(base::Category::failed_precondition, "the container is already started");
  int stdio[3] = {stdio_for_runtime(0), stdio_for_runtime(1), stdio_for_runtime(2)};
  if (pal_.version() == 1) {
    started_ = true;
    std::thread([this, stdio] { entrypoint_done(pal_.exec_v1(exe_, argv_, stdio)); }).detach();
    return 0;
  }
  auto pid = pal_.create_process(exe_, argv_, env_, stdio);
  if (!pid.ok()) return std::move(pid).error();
  started_ = true;
  int p = *pid;
  std::thread([this, p] { entrypoint_done(pal_.exec(p)); }).detach();
  return p;
}

void Runelet::destroy_and_exit(int code) {
  static std::atomic_flag once = ATOMIC_FLAG_INIT;
  if (once.test_and_set()) {
    for (;;) pause();  // another thread is tearing down and will exit
  }
  base::Status s = pal_.destroy();
  if (!s.ok()) dprintf(2, "rune: %s\n", s.error().what().c_str());
  std::lock_guard<std::mutex> replying(reply_mu_);  // a pal_kill reply in flight goes out first
  _exit(code & 0xff);
}

void Runelet::handle_signal(int sig) {
  if (!started_ || pal_.version() == 1) {
    if (terminating(sig)) destroy_and_exit(128 + sig);
    return;
  }
  base::Status s;
  {
    std::lock_guard<std::mutex> lock(pal_mu_);
    s = pal_.kill(-1, sig);
  }
  if (!s.ok()) dprintf(2, "rune: %s\n", s.error().what().c_str());
  if (sig == SIGTERM) post(kGrace, 0);
}

void Runelet::watch_exec(int fd, int pid, const std::atomic<bool>& done) {
  for (;;) {
    auto m = recv_message(fd, "rune");
    if (done) return;
    if (!m.ok()) {
      if (m.error().err() == EINTR) continue;
      std::lock_guard<std::mutex> lock(pal_mu_);
      (void)pal_.kill(pid, SIGKILL);
      return;
    }
    if (m->type == MsgType::kill) {
      std::lock_guard<std::mutex> lock(pal_mu_);
      (void)pal_.kill(pid, m->b);  // the process may have ended meanwhile
    }
  }
}

void Runelet::handle_request(int fd, Message& m) {
  base::UniqueFd conn(fd);
  auto request = parse_request(m);
  if (!request.ok()) return reply_error(fd, request.error());
  if (std::holds_alternative<StartRequest>(*request)) {
    auto pid = start();
    if (!pid.ok()) {
      reply_error(fd, pid.error());
      destroy_and_exit(127);
    }
    Message r;
    r.type = MsgType::started;
    r.a = *pid;
    reply(fd, r);
    return;
  }
  if (auto* exec = std::get_if<ExecRequest>(&*request)) {
    if (!started_)
      return reply_error(fd, base::Error(base::Category::failed_precondition,
                                         "the container has not been started"));
    if (pal_.version() < 2)
      return reply_error(fd, base::Error(base::Category::failed_precondition,
                                         "enclave runtime `" + pal_.path() +
                                             "` implements PAL API v1, which runs one process "
                                             "only: exec needs v2 or later"));
    auto& argv = exec->argv;
    auto& env = exec->env;
    auto exe = base::find_executable(argv[0], env, "exec");
    if (!exe.ok()) return reply_error(fd, exe.error());
    int stdio[3];
    struct stat ids[3];
    for (int i = 0; i < 3; ++i) {
      fstat(m.fds[i].get(), &ids[i]);
      stdio[i] = m.fds[i].release();  // the runtime's now
    }
    base::Result<int> pid = 0;
    {
      std::lock_guard<std::mutex> lock(pal_mu_);
      pid = pal_.create_process(*exe, argv, env, stdio);
    }
    if (pid.ok()) {
      Message r;
      r.type = MsgType::started;
      r.a = *pid;
      reply(fd, r);
      // The connection is the process's lifeline (docs/pal-api.md, "exec"): kill messages on it
      // go to pal_kill for this process, and when it closes while the process runs (its proxy
      // was SIGKILLed, which nothing can relay) the process is ended with SIGKILL.
      std::atomic<bool> done{false};
      timeval none = {0, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
      std::thread watcher([this, fd, p = *pid, &done] { watch_exec(fd, p, done); });
      auto value = pal_.exec(*pid);
      done = true;
      shutdown(fd, SHUT_RD);  // wakes the watcher
      watcher.join();
      if (value.ok()) {
        Message e;
        e.type = MsgType::exited;
        e.a = *value;
        reply(fd, e);
      } else {
        reply_error(fd, value.error());
      }
    } else {
      reply_error(fd, pid.error());
    }
    // A runtime may keep or close what it was given: close only what is still ours.
    for (int i = 0; i < 3; ++i) {
      struct stat now;
      if (fstat(stdio[i], &now) == 0 && now.st_dev == ids[i].st_dev && now.st_ino == ids[i].st_ino)
        close(stdio[i]);
    }
    return;
  }
  if (auto* kill = std::get_if<KillRequest>(&*request)) {
    int pid = kill->pid, sig = kill->sig;
    if (!started_ || pal_.version() == 1) {
      reply(fd, Message{});
      if (terminating(sig)) destroy_and_exit(128 + sig);
      return;
    }
    // The process may end (and the runelet with it) as soon as pal_kill returns: the reply
    // goes out before destroy_and_exit can finish.
    std::lock_guard<std::mutex> replying(reply_mu_);
    base::Status s;
    {
      std::lock_guard<std::mutex> lock(pal_mu_);
      s = pal_.kill(pid, sig);
    }
    if (s.ok())
      reply(fd, Message{});
    else
      reply_error(fd, s.error());
    if (sig == SIGTERM && pid == -1) post(kGrace, 0);
    return;
  }
  auto& attest = std::get<AttestRequest>(*request);
  if (!pal_.has(kGetLocalReport))
    return reply_error(fd, missing_symbol(pal_.path(), kGetLocalReport));
  base::Result<std::vector<uint8_t>> rep = std::vector<uint8_t>();
  {
    std::lock_guard<std::mutex> lock(pal_mu_);
    rep = pal_.get_local_report(attest.target_info);
  }
  if (!rep.ok()) return reply_error(fd, rep.error());
  Message r;
  r.type = MsgType::report;
  r.payload.assign(rep->begin(), rep->end());
  reply(fd, r);
}

void Runelet::serve() {
  int64_t deadline = -1;
  for (;;) {
    pollfd fds[3] = {{signal_read_, POLLIN, 0}, {ctl_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    int timeout = -1;
    if (deadline >= 0) timeout = static_cast<int>(std::max<int64_t>(0, deadline - now_ms()));
    int n = poll(fds, 3, timeout);
    if (n < 0 && errno != EINTR) destroy_and_exit(127);
    if (deadline >= 0 && now_ms() >= deadline) destroy_and_exit(128 + SIGTERM);
    if (n <= 0) continue;
    if (fds[0].revents & POLLIN) {
      unsigned char sigs[64];
      ssize_t r = read(signal_read_, sigs, sizeof sigs);
      for (ssize_t i = 0; i < r; ++i) handle_signal(sigs[i]);
    }
    if (fds[1].revents & POLLIN) {
      int32_t rec[2];
      if (read(ctl_[0], rec, sizeof rec) == sizeof rec) {
        if (rec[0] == kDone) destroy_and_exit(rec[1]);
        if (rec[0] == kGrace && deadline < 0) deadline = now_ms() + kTermGraceMs;
      }
    }
    if (fds[2].revents & POLLIN) {
      int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ucred cred;
      socklen_t len = sizeof cred;
      if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
          (cred.uid != 0 && cred.uid != geteuid())) {
        close(c);
        continue;
      }
      // The request is read here, on the main thread: `start` is served here too, because a
      // runtime's children may be tied to the thread that created them (PR_SET_PDEATHSIG
      // follows the creating thread), and the entrypoint must outlive any helper thread.
      timeval tv = {5, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      auto req = recv_message(c, "rune");
      if (!req.ok()) {
        close(c);
        continue;
      }
      if (req->type == MsgType::start) {
        handle_request(c, *req);
        continue;
      }
      auto m = std::make_shared<Message>(std::move(*req));
      std::thread([this, c, m] { handle_request(c, *m); }).detach();
    }
  }
}

}  // namespace enclave
