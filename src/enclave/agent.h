// The channel between rune commands and a running init-runelet: a SOCK_SEQPACKET unix socket
// `runelet.sock` in the container's state directory, made by `rune create` before the
// container's init exists (so that the runelet keeps it across pivot_root).
//
// One request per connection. Requests and replies:
//   start                      -> started{pid} | error        (create mode: runs the entrypoint)
//   exec{argv, env} + 3 fds    -> started{pid}, exited{value} | error
//                                 (between the two, the exec's proxy may send kill{pid, sig};
//                                 the connection closing first ends the process with SIGKILL)
//   kill{pid, sig}             -> ok | error
//   attest{target info}        -> report{bytes} | error
// An error reply carries errno, category and the message.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace enclave {

enum class MsgType : uint32_t {
  start = 1,
  exec = 2,
  kill = 3,
  attest = 4,
  started = 10,
  exited = 11,
  ok = 12,
  report = 13,
  error = 14,
};

struct Message {
  MsgType type = MsgType::ok;
  int32_t a = 0, b = 0;  // start/started: pid; kill: pid, sig; exited: value; error: errno, cat
  std::string payload;
  std::vector<base::UniqueFd> fds;  // received descriptors (exec: stdin, stdout, stderr)
};

inline constexpr size_t kMaxPayload = 256 * 1024;
inline constexpr const char* kSocketName = "runelet.sock";

// The wire form of `m` (a header, then the payload) and back. decode_message checks the header
// against the datagram's length; its descriptors are left empty. Errors name `peer`.
base::Result<std::string> encode_message(const Message& m);
base::Result<Message> decode_message(std::span<const char> datagram, const std::string& peer);

// A request as the runelet accepts it (the shape only; whether the container can serve it now is
// the runelet's to say). exec carries its three stdio descriptors in Message::fds.
struct StartRequest {};
struct ExecRequest {
  std::vector<std::string> argv, env;
};
struct KillRequest {
  int pid = 0;  // -1: every process of the runtime
  int sig = 0;
};
struct AttestRequest {
  std::vector<uint8_t> target_info;  // PAL_SGX_TARGET_INFO_SIZE bytes
};
using Request = std::variant<StartRequest, ExecRequest, KillRequest, AttestRequest>;
// Errors (invalid_argument) say what is wrong with the request.
base::Result<Request> parse_request(const Message& m);

// Sends `m` with `fds` attached (not owned).
base::Status send_message(int sock, const Message& m, const std::vector<int>& fds = {});
// Receives one message; a closed peer is an `unavailable` error naming `peer`.
base::Result<Message> recv_message(int sock, const std::string& peer);

Message error_message(const base::Error& e);
// The error an error reply carries; a category this version does not know reads as internal.
base::Error error_from(const Message& m);

// NUL-separated string lists: [n1][strings...][n2][strings...]
std::string encode_lists(const std::vector<std::vector<std::string>>& lists);
base::Result<std::vector<std::vector<std::string>>> decode_lists(const std::string& payload,
                                                                 size_t count);

// Binds and listens on <state_dir>/runelet.sock (mode 0600); CLOEXEC.
base::Result<base::UniqueFd> listen_in(const std::string& state_dir);
// Connects to <state_dir>/runelet.sock; `id` names the container in errors.
base::Result<base::UniqueFd> connect_in(const std::string& state_dir, const std::string& id);

}  // namespace enclave
