// aesm-sim: Intel's AESM socket protocol (proto/aesm/aesm.proto, through libprotobuf, so that
// every exchange with the project's hand codec checks it) answered by the sim TEE, for machines
// without SGX or aesmd. A simulator: its quotes are sim quotes (trusted only with the sim root),
// its launch tokens are not MACed with any launch key.
//
// Answers, as aesmd gives them:
//   SelectAttKeyID, GetSupportedAttKeyIDNum/IDs: one ECDSA-P256 key id (the sim QE's MRSIGNER,
//     ISVPRODID 1, algorithm 2); GetSupportedAttKeyIDs with a buf_size other than 256 gets 3.
//   InitQuoteEx: b_pub_key_id false: a zero-filled target_info and pub_key_id_size 32; true with a
//     buf_size other than 32: 3; else the sim QE's TARGETINFO and a 32-byte pub_key_id.
//   GetQuoteSizeEx / GetQuoteEx: the REPORT's MAC must verify for the sim QE (47
//     AESM_INVALID_REPORT otherwise); its body goes verbatim into a v3 quote, zero-padded to
//     buf_size (3 when smaller than the quote); with qe_report_info (960 bytes, else 3), a QE
//     REPORT for the app's TARGETINFO with REPORTDATA = SHA-256(nonce || quote) || zeros, MACed as
//     liberpal-sim MACs.
//   GetLaunchToken: an EINITTOKEN with MRSIGNER = SHA-256(the modulus sent).
//   Any other key id: 38. A known request missing a required field: 1. Anything else: the
//   connection is closed without a reply.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace aesm_sim {

// --misbehave MODE[@CALL]: how to break the answers (to all calls, or to CALL only, a message
// number or name such as 17 or GetQuoteEx). The flag may be repeated: the first whose CALL
// matches a request applies to it.
struct Misbehave {
  enum class Mode {
    none,
    short_reply,   // `short`: announces the length, sends one byte less, closes
    oversized,     // announces a 2 MiB reply
    trailing,      // the reply, then bytes after it
    no_errorcode,  // the reply without its errorCode
    close,         // closes without a reply
    stall,         // never answers (the connection stays open)
    split,         // the reply in 1-byte writes
    error,         // `error:N`: errorCode N and nothing else
  } mode = Mode::none;
  uint32_t error_code = 0;
  std::optional<uint32_t> only_call;  // the Request field number
};
base::Result<Misbehave> parse_misbehave(std::string_view text);

struct Options {
  std::string socket;
  std::string state_dir;             // the sim TEE's state (its PKI signs the quotes)
  std::vector<Misbehave> misbehave;  // the first one whose CALL matches applies
  std::string capture_dir;  // when set: each request body as DIR/NNNN-CallName.bin (tests)
};

class Server {
 public:
  // Opens the sim TEE and listens (a live socket is refused, a stale one replaced).
  static base::Result<Server> open(const Options& o);
  Server(Server&&) noexcept;
  ~Server();
  // The framed answer to one request body (`std::nullopt`: close without a reply), before any
  // misbehaviour: for tests and for the loop.
  std::optional<std::vector<uint8_t>> answer(std::span<const uint8_t> request) const;
  // Serves until `stop_fd` is readable (a signalfd); removes the socket then.
  base::Status run(int stop_fd);

  struct State;

 private:
  explicit Server(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace aesm_sim
