#include "epm/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "base/file.h"
#include "base/log.h"
#include "base/socket.h"

namespace epm {
namespace {

constexpr int64_t kConnTimeoutMs = 2000;
constexpr int64_t kRefillDelayMs = 100;
constexpr int64_t kMaxBackoffMs = 5 * 60'000;
constexpr int kAllSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

int64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string key_name(const Key& k) {
  return k.build_id.substr(0, 12) + "/\"" + base::clip(k.args, 80) + "\"";
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

bool send_reply(int fd, const std::string& text, int pass_fd = -1) {
  if (pass_fd >= 0) {
    int fds[] = {pass_fd};
    return base::send_with_fds(fd, text.data(), text.size(), fds) ==
           static_cast<ssize_t>(text.size());
  }
  return send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

}  // namespace

std::optional<uint64_t> memory_charged() {
  std::ifstream in("/proc/self/cgroup");
  std::string line, v2, v1;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
    auto c = line.find(':');
    auto c2 = line.find(':', c + 1);
    if (c != std::string::npos && c2 != std::string::npos) {
      std::string ctrls = line.substr(c + 1, c2 - c - 1);
      if (ctrls == "memory") v1 = line.substr(c2 + 1);
    }
  }
  auto read_num = [](const std::string& path) -> std::optional<uint64_t> {
    std::ifstream f(path);
    uint64_t n;
    if (f >> n) return n;
    return std::nullopt;
  };
  if (!v1.empty()) {
    if (auto n = read_num("/sys/fs/cgroup/memory" + v1 + "/memory.usage_in_bytes")) return n;
  }
  if (!v2.empty()) {
    if (auto n = read_num("/sys/fs/cgroup" + v2 + "/memory.current")) return n;
    if (auto n = read_num("/sys/fs/cgroup/unified" + v2 + "/memory.current")) return n;
  }
  return std::nullopt;
}

void notify_ready() {
  const char* path = getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  sockaddr_un sa;
  auto len = base::unix_address(path, sa, "NOTIFY_SOCKET");
  if (!len.ok()) return;
  base::UniqueFd s(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return;
  static const char msg[] = "READY=1";
  (void)sendto(s.get(), msg, sizeof msg - 1, MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), *len);
}

Daemon::Daemon(Options o) : opt_(std::move(o)) {
  take_path_ = opt_.runtime_dir + "/take.sock";
}

Daemon::~Daemon() = default;

void Daemon::load_runtimes_locked(const std::vector<std::string>& paths) {
  runtimes_.clear();
  for (const auto& p : paths) {
    auto f = read_runtime_file(p);
    if (!f.ok()) {
      base::log::error(f.error().what() + ": not poolable until it is fixed and epm gets SIGHUP");
      continue;
    }
    base::log::info("runtime " + f->path + ": build-id " + f->build_id + ", sha256 " + f->sha256);
    runtimes_.push_back(std::move(*f));
  }
}

const RuntimeFile* Daemon::runtime_by_build_id(const std::string& build_id) const {
  for (const auto& r : runtimes_)
    if (r.build_id == build_id) return &r;
  return nullptr;
}

const RuntimeFile* Daemon::runtime_by_path(const std::string& path) const {
  for (const auto& r : runtimes_)
    if (r.path == path || r.build_id == path) return &r;
  return nullptr;
}

base::Status Daemon::apply_config_locked(const Config& c) {
  cfg_ = c;
  load_runtimes_locked(c.runtimes);
  // Pools whose runtime is no longer allowed (or changed build-id) go, with their entries.
  for (auto it = pools_.begin(); it != pools_.end();) {
    auto next = std::next(it);
    if (!runtime_by_build_id(it->first.build_id))
      destroy_pool_locked(it, "its build-id is no longer among the allowed runtimes");
    it = next;
  }
  for (auto& b : builds_)
    if (!runtime_by_build_id(b->key.build_id) && b->pid > 0) kill(b->pid, SIGKILL);
  for (const auto& spec : c.pools) {
    const RuntimeFile* rt = runtime_by_path(spec.runtime);
    if (!rt) continue;  // logged by load_runtimes_locked
    Key k{rt->build_id, spec.args};
    Pool& p = pools_[k];
    if (p.origin.empty()) p.last_used = now_ms();
    p.key = k;
    p.runtime = rt->path;
    p.origin = "config";
    p.depth = spec.depth;
  }
  return base::ok();
}

base::Status Daemon::start() {
  ASSIGN_OR_RETURN(Config c, load_config(opt_.config_path));
  {
    std::lock_guard<std::mutex> lock(mu_);
    TRY(apply_config_locked(c));
  }
  TRY(base::mkdir_all(opt_.runtime_dir, 0700));
  chmod(opt_.runtime_dir.c_str(), 0700);
  auto take = base::listen_unix(take_path_, "take socket " + take_path_, SOCK_SEQPACKET);
  if (!take.ok()) {
    if (take.error().category() == base::Category::already_exists)
      return base::Error(base::Category::already_exists, "another epm serves " + take_path_);
    return std::move(take).error();
  }
  take_ = std::move(*take);
  if (chmod(take_path_.c_str(), 0600) != 0) return base::sys_error("chmod " + take_path_);
  fcntl(take_.get(), F_SETFL, O_NONBLOCK);
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!signal_.valid() || !wake_.valid()) return base::sys_error("epm: signalfd or eventfd");
  base::log::info("serving " + take_path_ + " (budget " + std::to_string(cfg_.max_bytes) +
                  " bytes, " + std::to_string(pools_.size()) + " pools from the configuration)");
  return base::ok();
}

void Daemon::wake() {
  uint64_t one = 1;
  if (wake_.valid()) (void)!write(wake_.get(), &one, sizeof one);
}

uint64_t Daemon::bytes_ready_locked() const {
  uint64_t n = 0;
  for (const auto& [k, p] : pools_)
    for (const auto& e : p.ready) n += e.info.size;
  return n;
}

uint64_t Daemon::bytes_building_locked() const {
  uint64_t n = 0;
  for (const auto& b : builds_)
    if (b->stage == 1) n += b->size;
  return n;
}

void Daemon::destroy_pool_locked(std::map<Key, Pool>::iterator it, const std::string& why) {
  base::log::info("pool " + key_name(it->first) + ": dropped with " +
                  std::to_string(it->second.ready.size()) + " ready entries: " + why);
  for (auto& b : builds_)
    if (b->key == it->first && b->pid > 0) kill(b->pid, SIGKILL);
  pools_.erase(it);  // closes the entries' memfds: they are destroyed
}

void Daemon::start_build_locked(Pool& p, int64_t now) {
  auto s = spawn_builder(opt_.self_exe, p.runtime, p.key.build_id, p.key.args);
  if (!s.ok()) {
    p.last_error = s.error().what();
    p.retry_at = now + 1000;
    base::log::error("pool " + key_name(p.key) + ": " + p.last_error);
    return;
  }
  auto b = std::make_unique<Build>();
  b->pid = s->pid;
  b->sock = std::move(s->sock);
  b->key = p.key;
  b->started = now;
  b->deadline = now + cfg_.build_timeout_ms;
  p.building++;
  builds_.push_back(std::move(b));
}

void Daemon::pump_locked(int64_t now) {
  if (drained_) return;
  for (;;) {
    if (static_cast<int>(builds_.size()) >= cfg_.build_concurrency) return;
    // The pool that waited longest since its last use among those short of their depth.
    Pool* pick = nullptr;
    for (auto& [k, p] : pools_) {
      if (static_cast<int>(p.ready.size()) + p.building >= p.depth) continue;
      if (p.retry_at > now || p.over_budget) continue;
      if (p.entry_size &&
          bytes_ready_locked() + bytes_building_locked() + p.entry_size > cfg_.max_bytes) {
        p.over_budget = true;  // until bytes are freed
        continue;
      }
      if (!pick || p.ready.size() < pick->ready.size()) pick = &p;
    }
    if (!pick) return;
    start_build_locked(*pick, now);
  }
}

void Daemon::finish_build_locked(Build& b, const std::string& error, int64_t now) {
  auto it = pools_.find(b.key);
  if (it != pools_.end()) {
    Pool& p = it->second;
    p.building = std::max(0, p.building - 1);
    if (!error.empty()) {
      p.failures++;
      int64_t backoff =
          std::min<int64_t>(kMaxBackoffMs, int64_t{1000} << std::min(p.failures - 1, 9));
      p.retry_at = now + backoff;
      p.last_error = error;
      base::log::error("pool " + key_name(p.key) + ": build failed: " + error + " (retry in " +
                       std::to_string(backoff / 1000) + " s)");
    }
  }
  if (b.pid > 0) kill(b.pid, SIGKILL);  // a no-op for one that finished; reaped by SIGCHLD
  b.sock.reset();
  b.pid = -1;
}

void Daemon::on_builder_message(Build& b, int64_t now) {
  char buf[4096];
  std::vector<base::UniqueFd> fds;
  int flags = 0;
  ssize_t n = base::recv_with_fds(b.sock.get(), buf, sizeof buf - 1, fds, &flags);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    // The builder ended without answering: how is told by its wait status (reap_children).
    int status = 0;
    std::string how = "it closed its socket";
    if (b.pid > 0 && waitpid(b.pid, &status, 0) == b.pid) {
      how = describe_status(status);
      b.pid = -1;
    }
    return finish_build_locked(b, "the builder " + how + " before sending an entry", now);
  }
  buf[n] = '\0';
  std::string msg(buf, static_cast<size_t>(n));
  auto pool = pools_.find(b.key);
  if (msg.rfind("error ", 0) == 0) return finish_build_locked(b, msg.substr(6), now);
  if (msg == "enotsup")
    return finish_build_locked(b, "the runtime has nothing to pre-build for these args (-ENOTSUP)",
                               now);
  if (b.stage == 0 && msg.rfind("desc ", 0) == 0) {
    auto desc = base::parse_json(msg.substr(5), "the runtime's description");
    if (!desc.ok() || !desc->is_object() || !(*desc)["size"].is_number_unsigned())
      return finish_build_locked(b, "the runtime's description has no size: " + base::clip(msg),
                                 now);
    b.size = (*desc)["size"].get<uint64_t>();
    const uint64_t used = bytes_ready_locked() + bytes_building_locked();
    if (pool != pools_.end()) pool->second.entry_size = b.size;
    if (b.size > cfg_.max_bytes) {
      if (pool != pools_.end()) {
        Pool& p = pool->second;
        p.last_error = "an entry of " + std::to_string(b.size) + " bytes is over the budget of " +
                       std::to_string(cfg_.max_bytes) + " bytes: the pool is refused";
        base::log::error("pool " + key_name(p.key) + ": " + p.last_error);
        p.building = std::max(0, p.building - 1);
        p.retry_at = now + kMaxBackoffMs;
      }
      (void)send_reply(b.sock.get(), "stop");
      b.sock.reset();
      return;
    }
    if (used + b.size > cfg_.max_bytes) {
      if (pool != pools_.end()) {
        Pool& p = pool->second;
        p.last_error = "an entry of " + std::to_string(b.size) + " bytes does not fit the " +
                       std::to_string(cfg_.max_bytes - std::min(used, cfg_.max_bytes)) +
                       " bytes left of the budget: waiting";
        p.over_budget = true;
        p.building = std::max(0, p.building - 1);
      }
      (void)send_reply(b.sock.get(), "stop");
      b.sock.reset();
      return;
    }
    b.stage = 1;
    if (!send_reply(b.sock.get(), "build"))
      return finish_build_locked(b, "the builder is gone", now);
    return;
  }
  if (b.stage == 1 && msg.rfind("entry ", 0) == 0) {
    if (fds.size() != 1 || (flags & MSG_CTRUNC))
      return finish_build_locked(b, "the builder's entry came without its memfd", now);
    base::UniqueFd fd = std::move(fds[0]);
    const int seals = fcntl(fd.get(), F_GET_SEALS);
    struct stat st;
    if (seals < 0 || (seals & kAllSeals) != kAllSeals || fstat(fd.get(), &st) != 0)
      return finish_build_locked(b, "the runtime's entry is not a sealed memfd", now);
    const size_t sp = msg.find(' ', 6);
    Entry e;
    e.fd = std::move(fd);
    e.info.addr = std::strtoull(msg.c_str() + 6, nullptr, 10);
    e.info.size = static_cast<uint64_t>(st.st_size);
    e.info.built_at_ns = realtime_ns();
    auto desc = base::parse_json(sp == std::string::npos ? "" : msg.substr(sp + 1), "desc");
    if (desc.ok() && desc->is_object() && (*desc)["instance"].is_string())
      e.info.instance = (*desc)["instance"].get<std::string>();
    if (e.info.instance.empty())
      return finish_build_locked(b, "the runtime's entry has no instance id", now);
    if (pool == pools_.end() || drained_) {
      finish_build_locked(b, "", now);
      return;  // the entry is destroyed with `e`
    }
    Pool& p = pool->second;
    p.last_build_ms = now - b.started;
    p.failures = 0;
    p.last_error.clear();
    base::log::info("pool " + key_name(p.key) + ": entry " + e.info.instance + " ready (" +
                    std::to_string(e.info.size) + " bytes, built in " +
                    std::to_string(p.last_build_ms) + " ms)");
    p.ready.push_back(std::move(e));
    finish_build_locked(b, "", now);
    return;
  }
  finish_build_locked(b, "unexpected message from the builder: " + base::clip(msg), now);
}

void Daemon::accept_take() {
  for (;;) {
    int fd = accept4(take_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    Conn c;
    c.fd.reset(fd);
    ucred cred = {};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0) {
      base::log::warn("take: refused a peer with uid " + std::to_string(cred.uid) + " (pid " +
                      std::to_string(cred.pid) + "): only root is served");
      (void)send_reply(fd, encode_error("peer uid " + std::to_string(cred.uid) +
                                        " is not root: only root is served"));
      continue;
    }
    c.deadline = now_ms() + kConnTimeoutMs;
    conns_.push_back(std::move(c));
  }
}

void Daemon::serve_take(Conn& c, int64_t now) {
  char buf[kMaxRequest + 1];
  int flags = 0;
  std::vector<base::UniqueFd> fds;  // none expected: closed
  ssize_t n = base::recv_with_fds(c.fd.get(), buf, sizeof buf, fds, &flags);
  if (n < 0 && errno == EAGAIN) return;
  base::UniqueFd fd = std::move(c.fd);  // one request per connection
  if (n <= 0) return;
  if (static_cast<size_t>(n) > kMaxRequest || (flags & MSG_TRUNC)) {
    (void)send_reply(fd.get(), encode_error("request over 4096 bytes"));
    base::log::warn("take: refused a request over 4096 bytes");
    return;
  }
  auto req = parse_request(std::string_view(buf, static_cast<size_t>(n)));
  if (!req.ok()) {
    base::log::warn("take: malformed request: " + req.error().what());
    (void)send_reply(fd.get(), encode_error(req.error().what()));
    return;
  }
  const std::string who = "take for container `" + base::clip(req->container) + "`";
  if (drained_) {
    (void)send_reply(fd.get(), encode_miss("epm is drained"));
    return;
  }
  const RuntimeFile* rt = runtime_by_build_id(req->key.build_id);
  if (!rt) {
    const std::string why =
        "build-id " + req->key.build_id + " is not poolable: no allowed runtime has it";
    base::log::info(who + ": miss: " + why);
    (void)send_reply(fd.get(), encode_miss(why));
    return;
  }
  auto it = pools_.find(req->key);
  if (it == pools_.end()) {
    std::string why;
    if (!cfg_.auto_pool) {
      why = "no pool for this key (auto_pool is off)";
    } else if (static_cast<int>(pools_.size()) >= cfg_.max_pools) {
      why = "no pool for this key, and max_pools (" + std::to_string(cfg_.max_pools) + ") are kept";
    } else {
      Pool& p = pools_[req->key];
      p.key = req->key;
      p.runtime = rt->path;
      p.origin = "auto";
      p.depth = 1;
      p.misses = 1;
      p.last_used = now;
      why = "no pool for this key yet: one was made (auto_pool)";
    }
    base::log::info(who + ": miss: " + why);
    (void)send_reply(fd.get(), encode_miss(why));
    return;
  }
  Pool& p = it->second;
  p.last_used = now;
  if (p.ready.empty()) {
    p.misses++;
    const std::string why = "no ready entry (" + std::to_string(p.building) + " building)" +
                            (p.last_error.empty() ? "" : ": " + p.last_error);
    base::log::info(who + ": miss: " + why);
    (void)send_reply(fd.get(), encode_miss(why));
    return;
  }
  // One-shot: the entry leaves the pool now; sent or not, epm's descriptor is closed here.
  Entry e = std::move(p.ready.front());
  p.ready.pop_front();
  p.hits++;
  // The refill waits a little: its builder's fork and exec would otherwise compete for the CPU
  // with the start of the container that just took the entry.
  p.retry_at = std::max(p.retry_at, now + kRefillDelayMs);
  p.over_budget = false;
  for (auto& [k, q] : pools_) q.over_budget = false;  // bytes were freed
  const bool sent = send_reply(fd.get(), encode_hit(e.info), e.fd.get());
  e.fd.reset();
  base::log::info(who + ": hit: entry " + e.info.instance +
                  (sent ? " handed over" : " destroyed: the send failed"));
}

void Daemon::reap_children() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (auto& b : builds_)
      if (b->pid == pid) {
        b->pid = -1;
        if (b->sock.valid()) {
          // Whatever it sent before ending is read first.
          pollfd pf = {b->sock.get(), POLLIN, 0};
          while (b->sock.valid() && poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN))
            on_builder_message(*b, now_ms());
          if (b->sock.valid())
            finish_build_locked(*b, "the builder " + describe_status(status), now_ms());
        }
      }
  }
}

void Daemon::expire_locked(int64_t now) {
  for (auto& b : builds_)
    if (b->sock.valid() && now >= b->deadline) {
      if (b->pid > 0) kill(b->pid, SIGKILL);
      finish_build_locked(*b,
                          "the build did not finish within build_timeout (" +
                              std::to_string(cfg_.build_timeout_ms) + " ms): killed",
                          now);
    }
  builds_.erase(std::remove_if(builds_.begin(), builds_.end(),
                               [](const auto& b) { return !b->sock.valid() && b->pid < 0; }),
                builds_.end());
  conns_.erase(std::remove_if(conns_.begin(), conns_.end(),
                              [&](const Conn& c) { return !c.fd.valid() || now >= c.deadline; }),
               conns_.end());
  for (auto it = pools_.begin(); it != pools_.end();) {
    auto next = std::next(it);
    if (it->second.origin == "auto" && now - it->second.last_used >= cfg_.idle_ttl_ms)
      destroy_pool_locked(it, "unused for idle_ttl (" + std::to_string(cfg_.idle_ttl_ms) + " ms)");
    it = next;
  }
}

int Daemon::next_timeout_locked(int64_t now) const {
  int64_t t = now + 60'000;
  for (const auto& b : builds_)
    if (b->sock.valid()) t = std::min(t, b->deadline);
  for (const auto& c : conns_) t = std::min(t, c.deadline);
  for (const auto& [k, p] : pools_) {
    if (p.retry_at > now) t = std::min(t, p.retry_at);
    if (p.origin == "auto") t = std::min(t, p.last_used + cfg_.idle_ttl_ms);
  }
  return static_cast<int>(std::clamp<int64_t>(t - now, 0, 60'000));
}

void Daemon::reload() {
  auto c = load_config(opt_.config_path);
  if (!c.ok()) {
    base::log::error("SIGHUP: " + c.error().what() + ": the configuration in force stays");
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  (void)apply_config_locked(*c);
  base::log::info("SIGHUP: configuration and runtimes read again");
}

void Daemon::shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& b : builds_)
    if (b->pid > 0) {
      kill(b->pid, SIGKILL);
      waitpid(b->pid, nullptr, 0);
      b->pid = -1;
    }
  builds_.clear();
  conns_.clear();
  size_t n = 0;
  for (auto& [k, p] : pools_) n += p.ready.size();
  pools_.clear();
  take_.reset();
  unlink(take_path_.c_str());
  base::log::info("stopped: " + std::to_string(n) + " ready entries destroyed");
}

int Daemon::run() {
  notify_ready();
  for (;;) {
    std::vector<pollfd> pfds;
    std::vector<Build*> bptr;
    std::vector<size_t> cidx;
    int timeout;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const int64_t now = now_ms();
      pump_locked(now);
      pfds.push_back({signal_.get(), POLLIN, 0});
      pfds.push_back({wake_.get(), POLLIN, 0});
      pfds.push_back({take_.get(), POLLIN, 0});
      for (auto& b : builds_)
        if (b->sock.valid()) {
          pfds.push_back({b->sock.get(), POLLIN, 0});
          bptr.push_back(b.get());
        }
      for (size_t i = 0; i < conns_.size(); i++) {
        pfds.push_back({conns_[i].fd.get(), POLLIN, 0});
        cidx.push_back(i);
      }
      timeout = next_timeout_locked(now);
    }
    int r = poll(pfds.data(), pfds.size(), timeout);
    if (r < 0 && errno != EINTR) {
      base::log::error(std::string("poll: ") + strerror(errno));
      break;
    }
    bool stop = false, hup = false, chld = false;
    if (r > 0 && (pfds[0].revents & POLLIN)) {
      signalfd_siginfo si;
      while (read(signal_.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) stop = true;
        if (si.ssi_signo == SIGHUP) hup = true;
        if (si.ssi_signo == SIGCHLD) chld = true;
      }
    }
    if (r > 0 && (pfds[1].revents & POLLIN)) {
      uint64_t v;
      (void)!read(wake_.get(), &v, sizeof v);
    }
    if (stop) break;
    if (hup) reload();
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = now_ms();
    if (r > 0) {
      size_t k = 3;
      for (Build* b : bptr) {
        if (pfds[k].revents && b->sock.valid()) on_builder_message(*b, now);
        k++;
      }
      for (size_t i : cidx) {
        if (pfds[k].revents && conns_[i].fd.valid()) serve_take(conns_[i], now);
        k++;
      }
      if (pfds[2].revents & POLLIN) accept_take();
    }
    if (chld) reap_children();
    expire_locked(now);
  }
  shutdown();
  return 0;
}

base::Json Daemon::status() {
  std::lock_guard<std::mutex> lock(mu_);
  base::Json pools = base::Json::array();
  for (const auto& [k, p] : pools_) {
    base::Json j = {{"build_id", k.build_id},
                    {"args", k.args},
                    {"runtime", p.runtime},
                    {"origin", p.origin},
                    {"depth", p.depth},
                    {"ready", p.ready.size()},
                    {"building", p.building},
                    {"hits", p.hits},
                    {"misses", p.misses},
                    {"entry_size", p.entry_size},
                    {"last_build_ms", p.last_build_ms},
                    {"last_error", p.last_error}};
    pools.push_back(std::move(j));
  }
  base::Json rts = base::Json::array();
  for (const auto& r : runtimes_)
    rts.push_back({{"path", r.path}, {"build_id", r.build_id}, {"sha256", r.sha256}});
  auto charged = memory_charged();
  return {{"budget", cfg_.max_bytes},
          {"bytes_ready", bytes_ready_locked()},
          {"bytes_building", bytes_building_locked()},
          {"memory_charged", charged ? base::Json(*charged) : base::Json(nullptr)},
          {"drained", drained_},
          {"runtimes", rts},
          {"pools", pools}};
}

base::Status Daemon::set_pool(const std::string& runtime, const std::string& args, int depth) {
  if (depth < 1 || depth > kMaxDepth)
    return base::invalid("depth " + std::to_string(depth) + ": want 1..64");
  if (args.size() > kMaxArgs)
    return base::invalid("args of " + std::to_string(args.size()) + " bytes, at most 2048");
  if (args.find('\0') != std::string::npos) return base::invalid("args contain a NUL byte");
  std::lock_guard<std::mutex> lock(mu_);
  const RuntimeFile* rt = runtime_by_path(runtime);
  if (!rt)
    return base::Error(base::Category::not_found,
                       "runtime `" + base::clip(runtime) + "` is not among the allowed runtimes");
  Key k{rt->build_id, args};
  if (!pools_.count(k) && static_cast<int>(pools_.size()) >= cfg_.max_pools)
    return base::Error(base::Category::resource_exhausted,
                       "max_pools (" + std::to_string(cfg_.max_pools) + ") are kept");
  Pool& p = pools_[k];
  if (p.origin.empty()) p.last_used = now_ms();
  p.key = k;
  p.runtime = rt->path;
  if (p.origin != "config") p.origin = "api";
  p.depth = depth;
  while (static_cast<int>(p.ready.size()) > depth) p.ready.pop_back();
  p.retry_at = 0;
  wake();
  return base::ok();
}

base::Status Daemon::delete_pool(const std::string& runtime, const std::string& args) {
  std::lock_guard<std::mutex> lock(mu_);
  const RuntimeFile* rt = runtime_by_path(runtime);
  auto it = rt ? pools_.find(Key{rt->build_id, args}) : pools_.end();
  if (it == pools_.end())
    return base::Error(base::Category::not_found, "no pool for runtime `" + base::clip(runtime) +
                                                      "` and args `" + base::clip(args) + "`");
  destroy_pool_locked(it, "deleted");
  wake();
  return base::ok();
}

void Daemon::drain() {
  std::lock_guard<std::mutex> lock(mu_);
  drained_ = true;
  for (auto& b : builds_)
    if (b->pid > 0) kill(b->pid, SIGKILL);
  size_t n = 0;
  for (auto& [k, p] : pools_) {
    n += p.ready.size();
    p.ready.clear();
  }
  base::log::info("drained: " + std::to_string(n) + " ready entries destroyed, refills paused");
  wake();
}

void Daemon::resume() {
  std::lock_guard<std::mutex> lock(mu_);
  drained_ = false;
  for (auto& [k, p] : pools_) {
    p.retry_at = 0;
    p.over_budget = false;
  }
  base::log::info("resumed: refills go on");
  wake();
}

bool Daemon::healthy() {
  std::lock_guard<std::mutex> lock(mu_);
  return take_.valid();
}

}  // namespace epm
