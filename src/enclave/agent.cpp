#include "enclave/agent.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "base/socket.h"
#include "inclavare/pal.h"

namespace enclave {

namespace {

struct Header {
  uint32_t type;
  int32_t a, b;
  uint32_t len;
};

// The socket address of <dir>/runelet.sock through an O_PATH descriptor of the directory, so
// that state directories longer than sun_path still work.
base::Result<base::UniqueFd> socket_address(const std::string& dir, sockaddr_un& addr,
                                            socklen_t& len) {
  base::UniqueFd d(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!d.valid()) return base::sys_error("open state directory `" + dir + "`");
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  int n =
      snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", d.get(), kSocketName);
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + static_cast<size_t>(n) + 1);
  return d;
}

}  // namespace

base::Result<std::string> encode_message(const Message& m) {
  if (m.payload.size() > kMaxPayload)
    return base::invalid("message of " + std::to_string(m.payload.size()) +
                         " bytes exceeds the limit of " + std::to_string(kMaxPayload));
  Header h = {static_cast<uint32_t>(m.type), m.a, m.b, static_cast<uint32_t>(m.payload.size())};
  std::string buf(sizeof h + m.payload.size(), '\0');
  memcpy(buf.data(), &h, sizeof h);
  memcpy(buf.data() + sizeof h, m.payload.data(), m.payload.size());
  return buf;
}

base::Result<Message> decode_message(std::span<const char> datagram, const std::string& peer) {
  Header h;
  if (datagram.size() < sizeof h || datagram.size() - sizeof h > kMaxPayload)
    return base::Error(base::Category::internal, "malformed message from " + peer, EPROTO);
  memcpy(&h, datagram.data(), sizeof h);
  if (h.len != datagram.size() - sizeof h)
    return base::Error(base::Category::internal, "malformed message from " + peer, EPROTO);
  Message m;
  m.type = static_cast<MsgType>(h.type);
  m.a = h.a;
  m.b = h.b;
  m.payload.assign(datagram.data() + sizeof h, h.len);
  return m;
}

base::Result<Request> parse_request(const Message& m) {
  switch (m.type) {
    case MsgType::start:
      return Request(StartRequest{});
    case MsgType::exec: {
      ASSIGN_OR_RETURN(auto lists, decode_lists(m.payload, 2));
      if (lists[0].empty() || m.fds.size() != 3)
        return base::invalid("exec request without a command or its stdio");
      return Request(ExecRequest{std::move(lists[0]), std::move(lists[1])});
    }
    case MsgType::kill:
      if (m.b <= 0 || m.b > SIGRTMAX) return base::invalid("invalid signal " + std::to_string(m.b));
      return Request(KillRequest{m.a, m.b});
    case MsgType::attest:
      if (m.payload.size() != PAL_SGX_TARGET_INFO_SIZE)
        return base::invalid("target info must be " + std::to_string(PAL_SGX_TARGET_INFO_SIZE) +
                             " bytes, got " + std::to_string(m.payload.size()));
      return Request(AttestRequest{std::vector<uint8_t>(m.payload.begin(), m.payload.end())});
    default:
      return base::invalid("unknown request " + std::to_string(static_cast<uint32_t>(m.type)));
  }
}

base::Status send_message(int sock, const Message& m, const std::vector<int>& fds) {
  ASSIGN_OR_RETURN(std::string buf, encode_message(m));
  ssize_t r = base::send_with_fds(sock, buf.data(), buf.size(), fds);
  if (r < 0) return base::sys_error("send to the init-runelet channel");
  return base::ok();
}

base::Result<Message> recv_message(int sock, const std::string& peer) {
  std::string buf(sizeof(Header) + kMaxPayload, '\0');
  Message m;
  int flags = 0;
  ssize_t r = base::recv_with_fds(sock, buf.data(), buf.size(), m.fds, &flags);
  if (r < 0) return base::sys_error("receive from " + peer);
  if (r == 0)
    return base::Error(base::Category::unavailable, peer + " closed the connection", EPIPE);
  if (flags & MSG_TRUNC)
    return base::Error(base::Category::internal, "malformed message from " + peer, EPROTO);
  ASSIGN_OR_RETURN(Message decoded, decode_message(std::span(buf.data(), size_t(r)), peer));
  decoded.fds = std::move(m.fds);
  return decoded;
}

Message error_message(const base::Error& e) {
  Message m;
  m.type = MsgType::error;
  m.a = e.err();
  m.b = static_cast<int32_t>(e.category());
  m.payload = e.message();
  return m;
}

base::Error error_from(const Message& m) {
  auto c = static_cast<base::Category>(m.b);
  if (m.b < 0 || std::string_view(base::category_name(c)) == "unknown")
    c = base::Category::internal;
  return base::Error(c, m.payload, m.a);
}

std::string encode_lists(const std::vector<std::vector<std::string>>& lists) {
  std::string out;
  for (const auto& l : lists) {
    uint32_t n = static_cast<uint32_t>(l.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    for (const auto& s : l) {
      out.append(s);
      out.push_back('\0');
    }
  }
  return out;
}

base::Result<std::vector<std::vector<std::string>>> decode_lists(const std::string& p,
                                                                 size_t count) {
  std::vector<std::vector<std::string>> out;
  size_t i = 0;
  for (size_t k = 0; k < count; ++k) {
    uint32_t n;
    if (p.size() - i < sizeof n) return base::invalid("malformed string list");
    memcpy(&n, p.data() + i, sizeof n);
    i += sizeof n;
    std::vector<std::string> l;
    for (uint32_t j = 0; j < n; ++j) {
      size_t e = p.find('\0', i);
      if (e == std::string::npos) return base::invalid("malformed string list");
      l.push_back(p.substr(i, e - i));
      i = e + 1;
    }
    out.push_back(std::move(l));
  }
  return out;
}

base::Result<base::UniqueFd> listen_in(const std::string& state_dir) {
  sockaddr_un addr;
  socklen_t len;
  ASSIGN_OR_RETURN(base::UniqueFd dir, socket_address(state_dir, addr, len));
  base::UniqueFd s(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s.valid()) return base::sys_error("create the init-runelet socket");
  std::string shown = state_dir + "/" + kSocketName;
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return base::sys_error("bind `" + shown + "`");
  if (fchmodat(dir.get(), kSocketName, 0600, 0) != 0)
    return base::sys_error("chmod `" + shown + "`");
  if (listen(s.get(), 16) != 0) return base::sys_error("listen on `" + shown + "`");
  return s;
}

base::Result<base::UniqueFd> connect_in(const std::string& state_dir, const std::string& id) {
  sockaddr_un addr;
  socklen_t len;
  ASSIGN_OR_RETURN(base::UniqueFd dir, socket_address(state_dir, addr, len));
  base::UniqueFd s(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s.valid()) return base::sys_error("create a socket");
  int r;
  do r = connect(s.get(), reinterpret_cast<sockaddr*>(&addr), len);
  while (r != 0 && errno == EINTR);
  if (r != 0)
    return base::sys_error("container `" + id + "`: cannot reach its init-runelet at `" +
                           state_dir + "/" + kSocketName + "`");
  return s;
}

}  // namespace enclave
