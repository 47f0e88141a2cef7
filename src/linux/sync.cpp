#include "linux/sync.h"

#include <sys/socket.h>

#include <cstring>

#include "base/socket.h"

namespace kernel {

using base::Status;

namespace {

struct Header {
  SyncMsg type;
  int32_t err;
  int32_t category;
};

const char* msg_name(SyncMsg m) {
  switch (m) {
    case SyncMsg::go:
      return "go";
    case SyncMsg::start:
      return "start";
    case SyncMsg::ready:
      return "ready";
    case SyncMsg::failed:
      return "failed";
    case SyncMsg::phase:
      return "phase";
    case SyncMsg::started:
      return "started";
    case SyncMsg::hooks:
      return "hooks";
    case SyncMsg::hooks_done:
      return "hooks_done";
    case SyncMsg::seccomp_listener:
      return "seccomp_listener";
    case SyncMsg::seccomp_done:
      return "seccomp_done";
    case SyncMsg::pool_take:
      return "pool_take";
    case SyncMsg::pool_answer:
      return "pool_answer";
  }
  return "unknown";
}

Status send_msg(int fd, SyncMsg type, int err = 0, int cat = 0, const std::string& text = "") {
  char buf[4096];
  Header h = {type, err, cat};
  memcpy(buf, &h, sizeof h);
  size_t n = std::min(text.size(), sizeof buf - sizeof h);
  memcpy(buf + sizeof h, text.data(), n);
  ssize_t r;
  do r = send(fd, buf, sizeof h + n, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return base::sys_error(std::string("sync: send `") + msg_name(type) + "`");
  return base::ok();
}

// Receives one message; `peer` names the other side in errors. Phase messages are skipped
// (the last one kept in `phase`); `text` and `err` receive the expected message's payload.
Status recv_expect(int fd, SyncMsg want, const char* peer, std::string* text = nullptr,
                   std::string* phase = nullptr, int* err = nullptr,
                   const std::function<Status()>* on_hooks = nullptr,
                   const std::function<Status(int)>* on_listener = nullptr,
                   const ParentChannel::PoolServer* on_pool = nullptr,
                   base::UniqueFd* fd_out = nullptr) {
  for (;;) {
    char buf[4096];
    std::vector<base::UniqueFd> fds;
    int flags = 0;
    ssize_t r = base::recv_with_fds(fd, buf, sizeof buf, fds, &flags);
    base::UniqueFd passed;
    if (!fds.empty()) passed = std::move(fds.back());
    if (r < 0) return base::sys_error(std::string("sync: receive from ") + peer);
    if (r == 0)
      return base::Error(base::Category::unavailable,
                         std::string(peer) + " exited before sending `" + msg_name(want) + "`",
                         EPIPE);
    if (static_cast<size_t>(r) < sizeof(Header))
      return base::Error(base::Category::internal, "sync: short message from " + std::string(peer));
    Header h;
    memcpy(&h, buf, sizeof h);
    if (h.type == SyncMsg::failed && want != SyncMsg::failed)
      return base::Error(static_cast<base::Category>(h.category),
                         std::string(buf + sizeof h, static_cast<size_t>(r) - sizeof h), h.err);
    if (h.type == SyncMsg::phase && want != SyncMsg::phase) {
      if (phase) phase->assign(buf + sizeof h, static_cast<size_t>(r) - sizeof h);
      continue;
    }
    if (h.type == SyncMsg::seccomp_listener && on_listener && *on_listener) {
      if (!passed.valid())
        return base::Error(base::Category::internal, "sync: a seccomp listener without its fd");
      TRY((*on_listener)(passed.get()));
      passed.reset();
      TRY(send_msg(fd, SyncMsg::seccomp_done));
      continue;
    }
    if (h.type == SyncMsg::pool_take && on_pool && *on_pool) {
      passed.reset();  // the child sends no fd with a key
      std::string answer;
      base::UniqueFd entry;
      (*on_pool)(std::string(buf + sizeof h, static_cast<size_t>(r) - sizeof h), &answer, &entry);
      Header a = {SyncMsg::pool_answer, 0, 0};
      std::string msg(reinterpret_cast<const char*>(&a), sizeof a);
      msg += answer.substr(0, sizeof buf - sizeof a);
      int fds_out[] = {entry.get()};
      ssize_t s = base::send_with_fds(
          fd, msg.data(), msg.size(),
          entry.valid() ? std::span<const int>(fds_out) : std::span<const int>());
      entry.reset();  // one-shot: rune's copy is closed whether or not it went
      if (s < 0) return base::sys_error("sync: send `pool_answer`");
      continue;
    }
    if (h.type == SyncMsg::hooks && on_hooks && *on_hooks) {
      TRY((*on_hooks)());
      TRY(send_msg(fd, SyncMsg::hooks_done));
      continue;
    }
    if (h.type != want)
      return base::Error(base::Category::internal, std::string("sync: expected `") +
                                                       msg_name(want) + "` from " + peer +
                                                       ", got `" + msg_name(h.type) + "`");
    if (text) text->assign(buf + sizeof h, static_cast<size_t>(r) - sizeof h);
    if (err) *err = h.err;
    if (fd_out && passed.valid() && !(flags & MSG_CTRUNC)) *fd_out = std::move(passed);
    return base::ok();
  }
}

}  // namespace

bool peer_exited(const base::Error& e) {
  return e.category() == base::Category::unavailable && e.err() == EPIPE;
}

Status make_sync_pair(ParentChannel& parent, ChildChannel& child) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return base::sys_error("socketpair");
  parent.fd_.reset(sv[0]);
  child.fd_.reset(sv[1]);
  return base::ok();
}

Status ParentChannel::send_go(int init_pid) {
  return send_msg(fd_.get(), SyncMsg::go, init_pid);
}
Status ParentChannel::send_start() {
  return send_msg(fd_.get(), SyncMsg::start);
}
Status ParentChannel::wait_ready(std::string* ready_text, std::string* phase,
                                 const std::function<Status()>& on_hooks,
                                 const std::function<Status(int)>& on_listener,
                                 const PoolServer& on_pool) {
  return recv_expect(fd_.get(), SyncMsg::ready, "the container's init process", ready_text, phase,
                     nullptr, &on_hooks, &on_listener, &on_pool);
}
base::Result<int> ParentChannel::wait_started() {
  int pid = 0;
  TRY(recv_expect(fd_.get(), SyncMsg::started, "the container's init-runelet", nullptr, nullptr,
                  &pid));
  return pid;
}
Status ChildChannel::wait_go(int* init_pid) {
  return recv_expect(fd_.get(), SyncMsg::go, "rune", nullptr, nullptr, init_pid);
}
Status ChildChannel::request_hooks() {
  TRY(send_msg(fd_.get(), SyncMsg::hooks));
  return recv_expect(fd_.get(), SyncMsg::hooks_done, "rune");
}
Status ChildChannel::send_seccomp_listener(int lfd) {
  Header h = {SyncMsg::seccomp_listener, 0, 0};
  int fds[] = {lfd};
  ssize_t r = base::send_with_fds(fd_.get(), &h, sizeof h, fds);
  if (r < 0) return base::sys_error("sync: send `seccomp_listener`");
  return recv_expect(fd_.get(), SyncMsg::seccomp_done, "rune");
}
Status ChildChannel::request_pool(const std::string& key, std::string* answer, base::UniqueFd* fd) {
  TRY(send_msg(fd_.get(), SyncMsg::pool_take, 0, 0, key));
  return recv_expect(fd_.get(), SyncMsg::pool_answer, "rune", answer, nullptr, nullptr, nullptr,
                     nullptr, nullptr, fd);
}
Status ChildChannel::wait_start() {
  return recv_expect(fd_.get(), SyncMsg::start, "rune");
}
Status ChildChannel::send_ready(const std::string& text) {
  return send_msg(fd_.get(), SyncMsg::ready, 0, 0, text);
}
Status ChildChannel::send_phase(const std::string& text) {
  return send_msg(fd_.get(), SyncMsg::phase, 0, 0, text);
}
Status ChildChannel::send_started(int pid) {
  return send_msg(fd_.get(), SyncMsg::started, pid);
}
void ChildChannel::send_failed(const base::Error& e) {
  (void)send_msg(fd_.get(), SyncMsg::failed, e.err(), static_cast<int>(e.category()), e.message());
}

}  // namespace kernel
