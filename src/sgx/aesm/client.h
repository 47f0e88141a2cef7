// Client of Intel's architectural enclave service manager (aesmd) for DCAP ECDSA quotes.
//
// aesmd listens on a Unix stream socket. Each request is one connection: a 4-byte length
// (host order, little-endian on x86) followed by a protobuf-encoded `Request` message; the answer
// has the same framing with a `Response` message. The three calls used here, with the field
// numbers of aesmd's `aesm.message` protocol (proto2):
//
//   Request.initQuoteExReq    = 15 { att_key_id = 1 (bytes), b_pub_key_id = 3 (bool),
//                                    buf_size = 4 (uint64) }
//   Request.getQuoteSizeExReq = 16 { att_key_id = 1 (bytes) }
//   Request.getQuoteExReq     = 17 { report = 1 (bytes), att_key_id = 2 (bytes),
//                                    buf_size = 4 (uint32) }
//   Response.initQuoteExRes    = 15 { errorCode = 1, target_info = 2 (512 bytes) }
//   Response.getQuoteSizeExRes = 16 { errorCode = 1, quote_size = 2 }
//   Response.getQuoteExRes     = 17 { errorCode = 1, quote = 2 (buf_size bytes, zero-padded) }
//
// The quote aesmd returns is the quote enclave's buffer of `buf_size` bytes; the caller trims it
// to the length the quote's own fields give.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace rats::attesters::aesm {

inline constexpr const char* kDefaultSocket = "/var/run/aesmd/aesm.socket";
inline constexpr size_t kTargetInfoSize = 512;  // sgx_target_info_t
inline constexpr size_t kReportSize = 432;      // sgx_report_t: body 384, key id 32, MAC 16
inline constexpr size_t kKeyIdSize = 256;       // sgx_att_key_id_ext_t
// aesmd error code: the attestation key must be (re)generated; InitQuoteEx and retry, with a new
// REPORT for the (possibly new) quoting enclave target info.
inline constexpr uint32_t kErrAttKeyNotInitialized = 42;

// The attestation key id of Intel's ECDSA-P256 quoting enclave (QE3): id 0, version 0, the QE3
// MRSIGNER (32 bytes), ISVPRODID 1, algorithm 2 (ECDSA P-256), zero elsewhere.
std::array<uint8_t, kKeyIdSize> ecdsa_p256_key_id();

// Makes the enclave's REPORT (432 bytes) for the quoting enclave's TARGETINFO.
using ReportFn = std::function<base::Result<std::vector<uint8_t>>(
    std::span<const uint8_t, kTargetInfoSize> target_info)>;

class Client {
 public:
  explicit Client(std::string socket_path = kDefaultSocket) : path_(std::move(socket_path)) {}
  const std::string& socket_path() const { return path_; }

  // TARGETINFO of the quoting enclave for the ECDSA key id (InitQuoteEx with b_pub_key_id).
  base::Result<std::array<uint8_t, kTargetInfoSize>> qe_target_info() const;
  // The quote for an enclave REPORT targeted at the quoting enclave (GetQuoteSizeEx, then
  // GetQuoteEx with that buffer size): the bytes as aesmd returns them (possibly zero-padded).
  // `*aesm_code` (when given) receives aesmd's errorCode, 0 when the failure was not aesmd's.
  base::Result<std::vector<uint8_t>> quote(std::span<const uint8_t, kReportSize> report,
                                           uint32_t* aesm_code = nullptr) const;
  // The whole sequence: target info, the enclave's REPORT, the quote; on "attestation key not
  // initialized" the sequence starts again (the target info may change), 3 attempts in all.
  base::Result<std::vector<uint8_t>> quote_for(const ReportFn& make_report) const;

 private:
  // Field 2 of a response message (target_info, quote_size or quote): the one payload of each.
  struct Payload {
    std::optional<uint64_t> number;
    std::optional<std::vector<uint8_t>> bytes;
  };
  // One exchange: sends a Request whose field `field` is `message`; checks that the Response
  // answers in the same field and that its errorCode is 0 (stored in *aesm_code when given).
  base::Result<Payload> call(uint32_t field, const std::vector<uint8_t>& message, const char* what,
                             uint32_t* aesm_code) const;
  // "reply of aesmd at `<socket>` to <what>", the prefix of errors about a reply.
  std::string context(const char* what) const;

  std::string path_;
};

}  // namespace rats::attesters::aesm
