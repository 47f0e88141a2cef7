// The EAA protocol (docs/eaa-protocol.md): what a tenant's `shelter attest`, inclavared and an
// attested workload (eaa-sample) say to each other.
//   - Preamble, only towards inclavared: one line of at most 4 KiB, `{"connect":"<container id or
//     route>"}` (relay) or `{"broker":true}`, answered `{"ok":true}` or `{"error":{"code":…,
//     "message":…}}`. It never carries an address.
//   - Frames, inside the attested TLS session: a u32 big-endian length, then one JSON object of
//     that many bytes (at most 1 MiB) with a string `type`.
//   - Messages: hello{version} (the client's first; answered hello or error unsupported_version),
//     echo{data}, get_evidence{nonce (hex, 1-64 bytes)[, container]} -> evidence{tee, evidence
//     (base64)[, target_info]}, error{code, message}.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json_reader.h"

namespace eaa {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxFrame = 1 << 20;
inline constexpr size_t kMaxPreamble = 4096;

// Stable error codes (docs/eaa-protocol.md).
namespace code {
inline constexpr const char* bad_frame = "bad_frame";
inline constexpr const char* bad_message = "bad_message";
inline constexpr const char* unsupported_version = "unsupported_version";
inline constexpr const char* unknown_type = "unknown_type";
inline constexpr const char* hello_first = "hello_first";
inline constexpr const char* bad_nonce = "bad_nonce";
inline constexpr const char* no_evidence = "no_evidence";
// inclavared: preamble answers, and the broker's get_evidence.
inline constexpr const char* bad_preamble = "bad_preamble";
inline constexpr const char* unknown_target = "unknown_target";  // no such container or route
inline constexpr const char* not_attestable = "not_attestable";  // not running, not opted in
inline constexpr const char* unreachable = "unreachable";        // its address did not answer
inline constexpr const char* busy = "busy";                      // the connection limit
inline constexpr const char* timeout = "timeout";                // a slow preamble, rune attest
}  // namespace code

// A frame's bytes for `message` (a JSON object with `type`).
std::string encode_frame(const base::Json& message);

// Frames from a byte stream, fed as they arrive.
class FrameReader {
 public:
  // Appends `bytes`; an error (naming what is wrong) once the stream holds a frame over the limit.
  base::Status feed(std::string_view bytes);
  // The next complete message, if any: an error for a frame that is not a JSON object with a
  // string `type` (the frame is consumed: the stream stays in step).
  std::optional<base::Result<base::Json>> next();
  // Bytes of an incomplete frame held.
  size_t pending() const { return buf_.size(); }

 private:
  std::string buf_;
};

// The report data a workload's evidence for get_evidence carries: SHA-512("inclavare-containers
// eaa get_evidence v1" || u8 nonce length || nonce || SHA-256(the DER SubjectPublicKeyInfo of its
// TLS key)). Never bytes a caller chose: signing those would hand out enclave evidence that binds
// the caller's own key (SHA-256(key) || 0 is what Rats-TLS checks).
base::Result<std::vector<uint8_t>> get_evidence_report_data(std::span<const uint8_t> nonce,
                                                            std::span<const uint8_t> spki_der);

// A nonce as get_evidence carries it: 1 to 64 bytes of hex.
base::Result<std::vector<uint8_t>> parse_nonce(const base::Json& message);

struct Preamble {
  bool broker = false;
  std::string connect;  // container id or route (relay)
};
// One preamble line (without its '\n'); errors name what is wrong.
base::Result<Preamble> parse_preamble(std::string_view line);

// inclavared's answer to a preamble: {"ok":true} or {"error":{"code":…,"message":…}}, one line.
std::string preamble_ok();
std::string preamble_error(std::string_view code, std::string_view message);
// A preamble answer as the client reads it: ok, or an error carrying inclavared's code and message.
base::Status parse_preamble_answer(std::string_view line);

// An error message: {"type":"error","code":…,"message":…}.
base::Json error_message(std::string_view code, std::string_view message);

}  // namespace eaa
