// The project's one client of Intel's architectural enclave service manager (aesmd): every AESM
// call the project makes (ECDSA quotes, key selection, launch tokens), over aesmd's Unix socket.
//
// aesmd serves one request per connection: a 4-byte length (host order, little-endian on x86),
// one protobuf `Request`; it answers with one framed `Response` and closes (wire.h has the
// codec, proto/aesm/aesm.proto the schema, docs/sgx-tools.md the facts and their sources). Each
// exchange has one deadline covering connect, send and receive. Errors name the socket and say
// which of these went wrong: aesmd unreachable, a close without an answer (an aesmd that does not
// know the request), the deadline, an announced length above 1 MiB, a reply cut short, bytes
// after the reply, a reply without errorCode, a reply to another request, a nonzero errorCode
// (by its aesm_error_t name, with a hint for the common ones).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "sgx/aesm/wire.h"

namespace sgx::aesm {

inline constexpr std::chrono::milliseconds kDefaultTimeout{60'000};

using TargetInfo = std::array<uint8_t, kTargetInfoSize>;

// Makes the enclave's REPORT (432 bytes) for the quoting enclave's TARGETINFO.
using ReportFn =
    std::function<base::Result<std::vector<uint8_t>>(std::span<const uint8_t, kTargetInfoSize>)>;

// How a call went, for callers that act on the kind of failure (a retry on 42, the key-id
// fallback when aesmd does not know a request).
enum class Failure {
  none,
  unreachable,           // no aesmd listening (or the socket path is wrong)
  closed_without_reply,  // aesmd closed without answering: it does not know the request
  deadline,              // the exchange did not finish in time
  malformed,             // the reply broke the framing or the schema
  aesm_error,            // aesmd answered with a nonzero errorCode (in `aesm_code`)
};
struct CallInfo {
  Failure failure = Failure::none;
  uint32_t aesm_code = 0;
};

class Client {
 public:
  explicit Client(std::string socket_path = kDefaultSocket,
                  std::chrono::milliseconds timeout = kDefaultTimeout)
      : path_(std::move(socket_path)), timeout_(timeout) {}
  const std::string& socket_path() const { return path_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // --- One AESM call each ----------------------------------------------------------------------
  // SelectAttKeyID without a list: aesmd's default key id (from its configuration).
  base::Result<KeyId> select_att_key_id(CallInfo* info = nullptr) const;
  // GetSupportedAttKeyIDNum then GetSupportedAttKeyIDs (aesmd 2.9.1 and later).
  base::Result<std::vector<KeyId>> supported_att_key_ids(CallInfo* info = nullptr) const;
  // InitQuoteEx with b_pub_key_id = true, buf_size = 32: the quoting enclave's TARGETINFO.
  base::Result<TargetInfo> qe_target_info(const KeyId& key_id, CallInfo* info = nullptr) const;
  // GetQuoteSizeEx, then GetQuoteEx with that buffer size. `quote` is the buffer as aesmd returns
  // it (the quote, then zeros); `qe_report_info` (with `qe_report_info` given: the nonce and the
  // app's TARGETINFO) comes back with the quoting enclave's REPORT filled in.
  struct Quote {
    std::vector<uint8_t> quote;
    std::optional<std::array<uint8_t, kQeReportInfoSize>> qe_report_info;
  };
  base::Result<Quote> quote(
      std::span<const uint8_t, kReportSize> report, const KeyId& key_id,
      std::optional<std::span<const uint8_t, kQeReportInfoSize>> qe_report_info = std::nullopt,
      CallInfo* info = nullptr) const;
  // GetLaunchToken: an EINITTOKEN (304 bytes) for an enclave (MRENCLAVE, the SIGSTRUCT's
  // 384-byte modulus, its ATTRIBUTES).
  base::Result<std::array<uint8_t, kTokenSize>> launch_token(
      std::span<const uint8_t, kMeasurementSize> mr_enclave,
      std::span<const uint8_t, kModulusSize> modulus,
      std::span<const uint8_t, kAttributesSize> attributes, CallInfo* info = nullptr) const;

  // --- Sequences -------------------------------------------------------------------------------
  // The ECDSA-P256 key id to quote with: SelectAttKeyID's when it is one; else the first of
  // GetSupportedAttKeyIDs with algorithm 2; when aesmd closes on those (older than 2.9.1), the
  // built-in QE3 id. An aesmd that offers no ECDSA-P256 key is an error naming /etc/aesmd.conf.
  base::Result<KeyId> ecdsa_key_id() const;
  // Key id, TARGETINFO, the enclave's REPORT, the quote; on 42 (attestation key not initialized)
  // the sequence starts again from InitQuoteEx with a new REPORT, 3 attempts in all.
  base::Result<std::vector<uint8_t>> quote_for(const ReportFn& make_report) const;

 private:
  // One exchange: sends `request` (a whole Request for `call`), returns the answer's fields once
  // errorCode is 0.
  base::Result<Response> call(Call call, const std::vector<uint8_t>& request, CallInfo* info) const;
  // The framed reply body, or the failure (recorded in *info).
  base::Result<std::vector<uint8_t>> exchange(const std::vector<uint8_t>& request,
                                              const std::string& what, CallInfo& info) const;
  // A bytes field of exactly `size` bytes (`name` in errors).
  base::Result<std::vector<uint8_t>> sized(const Response& r, uint32_t field, const char* name,
                                           size_t size, Call call) const;
  std::string context(Call call) const;

  std::string path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace sgx::aesm
