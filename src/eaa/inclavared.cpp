#include "eaa/inclavared.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <semaphore>
#include <set>
#include <thread>

#include "base/clock.h"
#include "base/command.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/log.h"
#include "base/thread.h"
#include "eaa/protocol.h"
#include "eaa/relay.h"
#include "eaa/workload.h"
#include "rats/tls.h"

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace eaa {

base::Result<std::map<std::string, Address>> parse_routes(std::string_view text,
                                                          const std::string& name) {
  toml::parse_result parsed = toml::parse(text, name);
  auto where = [&](const toml::source_region& r) {
    return name + ":" + std::to_string(r.begin.line);
  };
  if (!parsed)
    return base::invalid(where(parsed.error().source()) + ": " +
                         std::string(parsed.error().description()));
  std::map<std::string, Address> routes;
  for (const auto& [k, v] : parsed.table()) {
    if (k.str() != "route")
      return base::invalid(where(v.source()) + ": unknown key `" + std::string(k.str()) +
                           "` (want [route.NAME] tables)");
    const auto* t = v.as_table();
    if (!t) return base::invalid(where(v.source()) + ": `route` must be a table");
    for (const auto& [rk, rv] : *t) {
      std::string rname(rk.str());
      const auto* rt = rv.as_table();
      if (!rt) return base::invalid(where(rv.source()) + ": route `" + rname + "` must be a table");
      if (rname.empty() || rname.find('\0') != std::string::npos)
        return base::invalid(where(rv.source()) + ": a route name must be non-empty text");
      const toml::node* a = rt->get("address");
      if (a == nullptr || !a->is_string())
        return base::invalid(where(rv.source()) + ": route `" + rname +
                             "` needs a string `address`");
      for (const auto& [key, _] : *rt)
        if (key.str() != "address")
          return base::invalid(where(rv.source()) + ": route `" + rname + "`: unknown key `" +
                               std::string(key.str()) + "`");
      auto addr = parse_address(a->as_string()->get());
      if (!addr.ok())
        return std::move(addr).error().wrap(where(a->source()) + ": route `" + rname + "`");
      routes[rname] = std::move(addr).value();
    }
  }
  return routes;
}

struct Daemon::State {
  explicit State(DaemonOptions opts) : o(std::move(opts)), attest_slots(o.max_attest) {}
  DaemonOptions o;
  std::vector<base::UniqueFd> listeners;
  std::vector<std::string> bound;
  std::unique_ptr<rats::tls::Context> broker_tls;
  std::atomic<bool> stop{false};
  std::counting_semaphore<64> attest_slots;  // o.max_attest
  std::mutex mu;
  std::set<int> conns;  // open connections, to shut down at the end of the grace period
  size_t active = 0;    // connection threads running

  void serve(int fd);
  void serve_relay(int fd, const std::string& target);
  void serve_broker(int fd);
  base::Json broker_evidence(const base::Json& msg);
};

namespace {

// One line, at most kMaxPreamble bytes before its '\n', within `timeout_ms`; nothing after the
// line is consumed (the TLS bytes that follow are the relay's or the broker session's).
// nullopt with `why` and its `code` set: too long, too slow; or the client went away (why empty).
std::optional<std::string> read_preamble(int fd, int timeout_ms, std::string& why,
                                         const char*& code) {
  std::string line;
  const int64_t deadline = base::monotonic_ms() + timeout_ms;
  for (;;) {
    int64_t left = deadline - base::monotonic_ms();
    pollfd p = {fd, POLLIN, 0};
    int r = left > 0 ? poll(&p, 1, static_cast<int>(left)) : 0;
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      why = "no preamble line within " + std::to_string(timeout_ms / 1000) + " s";
      code = code::timeout;
      return std::nullopt;
    }
    char buf[kMaxPreamble + 1];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_PEEK);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    const char* nl = static_cast<const char*>(memchr(buf, '\n', static_cast<size_t>(n)));
    size_t take = nl ? static_cast<size_t>(nl - buf) + 1 : static_cast<size_t>(n);
    ssize_t got = recv(fd, buf, take, 0);
    if (got <= 0) return std::nullopt;
    line.append(buf, static_cast<size_t>(got));
    if (line.size() > kMaxPreamble + 1 || (!nl && line.size() > kMaxPreamble)) {
      why = "the preamble is longer than 4 KiB";
      code = code::bad_preamble;
      return std::nullopt;
    }
    if (nl && static_cast<size_t>(got) == take) {
      line.pop_back();
      return line;
    }
  }
}

const char* code_for(const base::Error& e) {
  switch (e.category()) {
    case base::Category::not_found:
      return code::unknown_target;
    case base::Category::permission_denied:
    case base::Category::failed_precondition:
      return code::not_attestable;
    case base::Category::deadline_exceeded:
      return code::timeout;
    default:
      return code::unreachable;
  }
}

}  // namespace

void Daemon::State::serve(int fd) {
  std::string why;
  const char* refusal = nullptr;
  auto line = read_preamble(fd, o.preamble_timeout_ms, why, refusal);
  if (!line) {
    if (!why.empty()) {
      base::log::warn("connection refused: " + why);
      base::write_all(fd, preamble_error(refusal, why));
    }
    return;
  }
  auto p = parse_preamble(*line);
  if (!p.ok()) {
    base::log::warn("connection refused: " + p.error().message());
    base::write_all(fd, preamble_error(code::bad_preamble, p.error().message()));
    return;
  }
  if (p->broker)
    serve_broker(fd);
  else
    serve_relay(fd, p->connect);
}

void Daemon::State::serve_relay(int fd, const std::string& target) {
  base::UniqueFd upstream;
  std::optional<ContainerHandle> container;
  std::string what;
  auto refuse = [&](const base::Error& e) {
    base::log::warn("relay to `" + base::clip(target) + "` refused: " + e.message());
    base::write_all(fd, preamble_error(code_for(e), e.message()));
  };
  if (auto r = o.routes.find(target); r != o.routes.end()) {
    what = "route `" + target + "` (" + r->second.text + ")";
    auto c = connect_to(r->second);
    if (!c.ok())
      return refuse(base::Error(base::Category::unavailable,
                                "route `" + target + "`: " + c.error().message()));
    upstream = std::move(c).value();
  } else {
    auto h = open_container(o.rune, target);
    if (!h.ok()) {
      if (h.error().category() == base::Category::not_found)
        return refuse(base::Error(base::Category::not_found,
                                  "no container or route `" + base::clip(target) + "`"));
      return refuse(h.error());
    }
    auto at = h->info.annotations.find(kAddressAnnotation);
    if (at == h->info.annotations.end())
      return refuse(base::Error(base::Category::failed_precondition,
                                "container `" + target + "` has no `" + kAddressAnnotation +
                                    "` annotation: nothing to relay to"));
    auto addr = parse_address(at->second);
    if (!addr.ok())
      return refuse(base::Error(base::Category::failed_precondition,
                                "container `" + target + "`: " + addr.error().message()));
    what = "container `" + target + "` (" + addr->text + ")";
    auto c = connect_in_container(*h, *addr);
    if (!c.ok()) {
      auto cat = c.error().category() == base::Category::permission_denied
                     ? base::Category::permission_denied
                     : base::Category::unavailable;
      return refuse(base::Error(cat, c.error().message()));
    }
    upstream = std::move(c).value();
    container = std::move(h).value();
  }
  if (!base::write_all(fd, preamble_ok())) return;
  base::log::info("relay to " + what + " started");
  RelayStats st = relay(fd, upstream.get(), {}, o.idle_timeout_ms, &stop,
                        container ? container->pidfd.get() : -1);
  base::log::info("relay to " + what + " ended (" + st.ended + "): " + std::to_string(st.to_b) +
                  " bytes in, " + std::to_string(st.to_a) + " bytes out");
}

base::Json Daemon::State::broker_evidence(const base::Json& msg) {
  auto nonce = parse_nonce(msg);
  if (!nonce.ok()) return error_message(code::bad_nonce, nonce.error().message());
  auto c = msg.find("container");
  if (c == msg.end() || !c->is_string() || c->get<std::string>().empty())
    return error_message(code::bad_message, "get_evidence towards a broker needs a `container`");
  const std::string id = c->get<std::string>();
  auto info = container_state(o.rune, id);
  if (!info.ok()) {
    base::log::warn("broker: " + info.error().message());
    return error_message(code_for(info.error()), info.error().message());
  }
  if (!info->opted_in())
    return error_message(code::not_attestable, "container `" + id + "` has no `" +
                                                   kAnnotationPrefix +
                                                   "*` annotation: it has not opted in");
  if (info->status != "running")
    return error_message(code::not_attestable,
                         "container `" + id + "` is " + info->status + ", not running");
  if (!attest_slots.try_acquire_for(std::chrono::milliseconds(o.attest_timeout_ms)))
    return error_message(code::timeout, "no `rune attest` slot free within " +
                                            std::to_string(o.attest_timeout_ms / 1000) + " s");
  const std::string hex = base::hex_encode(nonce->data(), nonce->size());
  std::vector<std::string> args{"attest", "--nonce", hex};
  if (!o.rune.sim_state_dir.empty())
    args.insert(args.end(), {"--sim-state-dir", o.rune.sim_state_dir});
  args.push_back(id);
  auto r = base::run_captured(o.rune.argv(args), o.attest_timeout_ms, &stop);
  attest_slots.release();
  std::string failure;
  if (!r.ok()) {
    failure = r.error().message();
  } else if (!r->exited_ok()) {
    failure = "`rune attest` of container `" + id + "` failed: " + base::clip(r->said(), 400);
  } else {
    auto j = base::parse_json(r->out, "`rune attest " + id + "`");
    if (j.ok() && (*j)["evidence"].is_string() && (*j)["target_info"].is_string() &&
        (*j)["tee"].is_string())
      return {{"type", "evidence"},
              {"tee", (*j)["tee"]},
              {"evidence", (*j)["evidence"]},
              {"target_info", (*j)["target_info"]}};
    failure = "`rune attest` of container `" + id + "` printed no evidence";
  }
  base::log::warn("broker: " + failure);
  bool slow = r.ok() ? false : r.error().category() == base::Category::deadline_exceeded;
  return error_message(slow ? code::timeout : code::no_evidence, failure);
}

void Daemon::State::serve_broker(int fd) {
  if (!base::write_all(fd, preamble_ok())) return;
  timeval tv{o.idle_timeout_ms / 1000, (o.idle_timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  auto s = rats::tls::Session::create(*broker_tls, fd);
  base::Status st = s.ok() ? (*s)->negotiate() : base::Status(s.error());
  if (st.ok()) st = serve_messages(**s, [this](const base::Json& m) { return broker_evidence(m); });
  if (s.ok()) (*s)->cleanup();
  if (!st.ok()) base::log::warn("broker session: " + st.error().message());
}

base::Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions o) {
  if (o.listen.empty()) return base::invalid("no address to listen on");
  if (o.max_attest < 1 || o.max_attest > 64)
    return base::invalid("at most 1 to 64 `rune attest`s at a time, not " +
                         std::to_string(o.max_attest));
  auto s = std::make_shared<State>(std::move(o));
  s->o.rune.stop = &s->stop;
  rats::tls::ContextOptions co;
  co.role = rats::tls::Role::server;
  co.attester = "nullattester";  // the evidence it hands out carries the trust, not its key
  ASSIGN_OR_RETURN(s->broker_tls, rats::tls::Context::create(co));
  std::unique_ptr<Daemon> d(new Daemon(s));
  for (const Address& a : s->o.listen) {
    auto fd = listen_at(a);
    if (!fd.ok()) return std::move(fd).error();  // ~Daemon removes the unix sockets bound so far
    s->bound.push_back(bound_address(a, fd->get()));
    s->listeners.push_back(std::move(fd).value());
  }
  return d;
}

Daemon::~Daemon() {
  for (size_t i = 0; i < s_->listeners.size(); ++i)
    if (s_->o.listen[i].kind == Address::Kind::unix_socket) unlink(s_->o.listen[i].where.c_str());
}

std::vector<std::string> Daemon::addresses() const {
  return s_->bound;
}

int Daemon::run() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  base::UniqueFd sfd(signalfd(-1, &set, SFD_CLOEXEC));
  if (!sfd.valid()) {
    base::log::error(base::sys_error("signalfd").message());
    return 1;
  }
  for (const auto& a : s_->bound) base::log::info("listening on " + a);
  std::vector<pollfd> p;
  for (const auto& l : s_->listeners) p.push_back({l.get(), POLLIN, 0});
  p.push_back({sfd.get(), POLLIN, 0});
  for (;;) {
    if (poll(p.data(), p.size(), -1) < 0) {
      if (errno == EINTR) continue;
      base::log::error(base::sys_error("poll").message());
      break;
    }
    if (p.back().revents != 0) {
      signalfd_siginfo si;
      if (read(sfd.get(), &si, sizeof si) == sizeof si)
        base::log::info(std::string("stopping on ") + strsignal(static_cast<int>(si.ssi_signo)));
      break;
    }
    for (size_t i = 0; i + 1 < p.size(); ++i) {
      if (p[i].revents == 0) continue;
      int fd = accept4(p[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::shared_ptr<State> s = s_;
      {
        std::lock_guard<std::mutex> lock(s->mu);
        if (s->active >= s->o.max_connections) {
          base::log::warn("connection refused: " + std::to_string(s->o.max_connections) +
                          " connections already served");
          fcntl(fd, F_SETFL, O_NONBLOCK);
          base::write_all(fd, preamble_error(code::busy, "inclavared serves " +
                                                             std::to_string(s->o.max_connections) +
                                                             " connections already; try later"));
          close(fd);
          continue;
        }
        ++s->active;
        s->conns.insert(fd);
      }
      auto started = base::start_detached(
          [s, fd] {
            s->serve(fd);
            std::lock_guard<std::mutex> lock(s->mu);
            s->conns.erase(fd);
            close(fd);
            --s->active;
          },
          512 << 10);
      if (!started.ok()) {
        base::log::error(started.error().message());
        std::lock_guard<std::mutex> lock(s->mu);
        s->conns.erase(fd);
        close(fd);
        --s->active;
      }
    }
  }
  // Stop accepting (the sockets go at once: a new inclavared may bind them), grace, then stop.
  for (size_t i = 0; i < s_->listeners.size(); ++i) {
    s_->listeners[i].reset();
    if (s_->o.listen[i].kind == Address::Kind::unix_socket) unlink(s_->o.listen[i].where.c_str());
  }
  s_->listeners.clear();
  auto wait_idle = [&](int ms) {
    for (int64_t end = base::monotonic_ms() + ms; base::monotonic_ms() < end;) {
      {
        std::lock_guard<std::mutex> lock(s_->mu);
        if (s_->active == 0) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  if (!wait_idle(s_->o.grace_ms)) {
    size_t left;
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      left = s_->active;
      s_->stop = true;  // relays end, `rune`s are killed
      for (int fd : s_->conns) shutdown(fd, SHUT_RDWR);
    }
    base::log::info("grace period over: ending " + std::to_string(left) + " sessions");
    wait_idle(2000);
  }
  return 0;
}

}  // namespace eaa
