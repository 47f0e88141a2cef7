#include "linux/sync.h"

#include <sys/socket.h>

#include <cstring>

namespace linux {

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

// Receives one message; `peer` names the other side in errors.
Status recv_expect(int fd, SyncMsg want, const char* peer) {
  char buf[4096];
  ssize_t r;
  do r = recv(fd, buf, sizeof buf, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return base::sys_error(std::string("sync: receive from ") + peer);
  if (r == 0)
    return base::Error(base::Category::internal,
                       std::string(peer) + " exited before sending `" + msg_name(want) + "`");
  if (static_cast<size_t>(r) < sizeof(Header))
    return base::Error(base::Category::internal, "sync: short message from " + std::string(peer));
  Header h;
  memcpy(&h, buf, sizeof h);
  if (h.type == SyncMsg::failed && want != SyncMsg::failed)
    return base::Error(static_cast<base::Category>(h.category),
                       std::string(buf + sizeof h, static_cast<size_t>(r) - sizeof h), h.err);
  if (h.type != want)
    return base::Error(base::Category::internal, std::string("sync: expected `") + msg_name(want) +
                                                     "` from " + peer + ", got `" +
                                                     msg_name(h.type) + "`");
  return base::ok();
}

}  // namespace

Status make_sync_pair(ParentChannel& parent, ChildChannel& child) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return base::sys_error("socketpair");
  parent.fd_.reset(sv[0]);
  child.fd_.reset(sv[1]);
  return base::ok();
}

Status ParentChannel::send_go() {
  return send_msg(fd_.get(), SyncMsg::go);
}
Status ParentChannel::send_start() {
  return send_msg(fd_.get(), SyncMsg::start);
}
Status ParentChannel::wait_ready() {
  return recv_expect(fd_.get(), SyncMsg::ready, "the container's init process");
}
Status ChildChannel::wait_go() {
  return recv_expect(fd_.get(), SyncMsg::go, "rune");
}
Status ChildChannel::wait_start() {
  return recv_expect(fd_.get(), SyncMsg::start, "rune");
}
Status ChildChannel::send_ready() {
  return send_msg(fd_.get(), SyncMsg::ready);
}
void ChildChannel::send_failed(const base::Error& e) {
  (void)send_msg(fd_.get(), SyncMsg::failed, e.err(), static_cast<int>(e.category()), e.message());
}

}  // namespace linux
