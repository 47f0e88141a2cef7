#include "enclave/pool_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cstring>
#include <vector>

#include "base/json_reader.h"
#include "base/socket.h"

namespace enclave::pool {
namespace {

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

Outcome unavailable(std::string reason) {
  Outcome o;
  o.pool = "unavailable";
  o.reason = std::move(reason);
  return o;
}

}  // namespace

bool args_say_no_epm(std::string_view args) {
  size_t i = 0;
  while (i < args.size()) {
    while (i < args.size() && (args[i] == ' ' || args[i] == '\t')) i++;
    size_t j = i;
    while (j < args.size() && args[j] != ' ' && args[j] != '\t') j++;
    if (args.substr(i, j - i) == "no-epm") return true;
    i = j;
  }
  return false;
}

Outcome take(const std::string& socket_path, const epm::Key& key, const std::string& container,
             int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  sockaddr_un sa;
  auto len = base::unix_address(socket_path, sa, "epm's take socket");
  if (!len.ok()) return unavailable(len.error().what());
  base::UniqueFd s(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) return unavailable(std::string("socket: ") + strerror(errno));
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&sa), *len) != 0 && errno != EINPROGRESS &&
      errno != EAGAIN)
    return unavailable("connect to " + socket_path + ": " + strerror(errno));
  const std::string req = epm::encode_request({key, container});
  for (;;) {
    if (send(s.get(), req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()))
      break;
    if (errno != EAGAIN && errno != EINTR && errno != ENOTCONN)
      return unavailable("send to " + socket_path + ": " + strerror(errno));
    pollfd p = {s.get(), POLLOUT, 0};
    int left = static_cast<int>(deadline - now_ms());
    if (left <= 0 || poll(&p, 1, left) == 0)
      return unavailable("epm did not take the request within " + std::to_string(timeout_ms) +
                         " ms");
  }
  char buf[epm::kMaxReply];
  std::vector<base::UniqueFd> fds;
  int flags = 0;
  ssize_t n;
  for (;;) {
    n = base::recv_with_fds(s.get(), buf, sizeof buf, fds, &flags);
    if (n >= 0 || (errno != EAGAIN && errno != EINTR)) break;
    pollfd p = {s.get(), POLLIN, 0};
    int left = static_cast<int>(deadline - now_ms());
    if (left <= 0 || poll(&p, 1, left) == 0)
      return unavailable("epm did not answer within " + std::to_string(timeout_ms) + " ms");
  }
  if (n < 0) return unavailable("receive from " + socket_path + ": " + strerror(errno));
  if (n == 0) return unavailable("epm closed the connection without answering");
  if (flags & MSG_CTRUNC) return unavailable("epm's answer lost its descriptor (MSG_CTRUNC)");
  auto reply = epm::parse_reply(std::string_view(buf, static_cast<size_t>(n)));
  if (!reply.ok()) return unavailable("epm's answer: " + reply.error().what());
  Outcome o;
  if (reply->status == "miss") {
    o.pool = "miss";
    o.reason = reply->reason;
    return o;
  }
  if (reply->status == "error") return unavailable("epm refused the request: " + reply->reason);
  if (fds.size() != 1) return unavailable("epm's hit came without exactly one descriptor");
  o.pool = "hit";
  o.instance = reply->entry.instance;
  o.addr = reply->entry.addr;
  o.fd = std::move(fds[0]);
  return o;
}

std::string encode_key(const epm::Key& key) {
  base::Json j = {{"build_id", key.build_id}, {"args", key.args}};
  return j.dump(-1, ' ', false, base::Json::error_handler_t::replace);
}

base::Result<epm::Key> parse_key(std::string_view text) {
  ASSIGN_OR_RETURN(base::Json j, base::parse_json(text, "the runelet's pool key"));
  if (!j.is_object() || !j["build_id"].is_string() || !j["args"].is_string())
    return base::invalid("the runelet's pool key has no build_id and args");
  epm::Key k{j["build_id"].get<std::string>(), j["args"].get<std::string>()};
  if (!epm::is_build_id_hex(k.build_id))
    return base::invalid("the runelet's pool key: `" + base::clip(k.build_id) +
                         "` is not a build-id");
  return k;
}

std::string encode_outcome(const Outcome& o) {
  base::Json j = {{"pool", o.pool}, {"addr", o.addr}};
  if (!o.instance.empty()) j["instance"] = o.instance;
  if (!o.reason.empty()) j["reason"] = o.reason;
  return j.dump(-1, ' ', false, base::Json::error_handler_t::replace);
}

Outcome parse_outcome(std::string_view text) {
  auto j = base::parse_json(text, "rune's pool answer");
  if (!j.ok() || !j->is_object() || !(*j)["pool"].is_string())
    return unavailable("malformed pool answer from rune");
  Outcome o;
  o.pool = (*j)["pool"].get<std::string>();
  if ((*j)["instance"].is_string()) o.instance = (*j)["instance"].get<std::string>();
  if ((*j)["reason"].is_string()) o.reason = (*j)["reason"].get<std::string>();
  if ((*j)["addr"].is_number_unsigned()) o.addr = (*j)["addr"].get<uint64_t>();
  return o;
}

}  // namespace enclave::pool
