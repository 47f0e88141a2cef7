// The AESM protocol's bytes: a bounded protobuf (proto2) encoder and decoder written by hand for
// the few messages the project sends and reads, the 4-byte frame, and the message and field
// numbers of proto/aesm/aesm.proto (the schema; docs/sgx-tools.md has the table and its source).
// Shared by the client (client.*), its tests and the fuzz target; aesm-sim uses libprotobuf on
// the same schema, so each exchange between the two checks this codec.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "sgx/sizes.h"

namespace sgx::aesm {

inline constexpr const char* kDefaultSocket = "/var/run/aesmd/aesm.socket";
// Sizes of what travels (the one list is sgx/sizes.h).
using sgx::kAttributesSize;
using sgx::kKeyIdSize;
using sgx::kMeasurementSize;
using sgx::kModulusSize;
using sgx::kQeReportInfoSize;
using sgx::kReportSize;
using sgx::kTargetInfoSize;
using sgx::kTokenSize;
// A frame whose announced length is above this is refused before it is read (a quote is a few
// KiB, a list of key ids a few).
inline constexpr uint32_t kMaxFrame = 1024 * 1024;

using KeyId = std::array<uint8_t, kKeyIdSize>;

// The Request/Response field that carries each call (the same number on both sides).
enum class Call : uint32_t {
  get_launch_token = 3,
  init_quote_ex = 15,
  get_quote_size_ex = 16,
  get_quote_ex = 17,
  select_att_key_id = 19,
  unsupported = 20,  // Response only: declared by Intel, never sent by aesmd
  get_supported_att_key_id_num = 21,
  get_supported_att_key_ids = 22,
};
// "InitQuoteEx", ...; "message N" for a number this project does not know.
std::string call_name(uint32_t number);
inline std::string call_name(Call c) {
  return call_name(static_cast<uint32_t>(c));
}

// Algorithm ids at byte 154 of a key id (sgx_quote_3.h's sgx_ql_attestation_algorithm_id_t).
inline constexpr uint32_t kAlgorithmEpid = 0;
inline constexpr uint32_t kAlgorithmEcdsaP256 = 2;
inline constexpr uint32_t kAlgorithmEcdsaP384 = 3;
inline constexpr size_t kKeyIdAlgorithmOffset = 154;
uint32_t key_id_algorithm(std::span<const uint8_t, kKeyIdSize> id);
// An ECDSA-P256 attestation key id (sgx_att_key_id_ext_t): id 0, version 0, mrsigner_length 32,
// `mrsigner`, ISVPRODID `prod_id`, algorithm 2, zero elsewhere.
KeyId ecdsa_p256_key_id(std::span<const uint8_t, 32> mrsigner, uint32_t prod_id);
// Intel's ECDSA-P256 quoting enclave (QE3) as aesmd has it built in: its MRSIGNER, ISVPRODID 1.
KeyId qe3_key_id();

namespace wire {

enum Type : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Appends fields to a message in the order written.
class Encoder {
 public:
  Encoder& uint(uint32_t field, uint64_t v);
  Encoder& boolean(uint32_t field, bool v) { return uint(field, v ? 1 : 0); }
  Encoder& bytes(uint32_t field, std::span<const uint8_t> b);
  Encoder& message(uint32_t field, const Encoder& inner) { return bytes(field, inner.out_); }
  const std::vector<uint8_t>& data() const { return out_; }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

// One decoded field; `bytes` points into the decoded buffer.
struct Field {
  uint32_t number = 0;
  Type type = kVarint;
  uint64_t varint = 0;             // kVarint (and the raw value of fixed fields)
  std::span<const uint8_t> bytes;  // kLengthDelimited
  size_t offset = 0;               // where its key starts
};

// Every field of one message level, in order. Unknown numbers are kept (the caller ignores them);
// wire types 3 and 4 (groups) and numbers 0 or above 2^29-1 are errors naming `what` and the
// offset, as are truncations.
base::Result<std::vector<Field>> decode(std::span<const uint8_t> in, const std::string& what);
// The last field `number` (proto2: the last occurrence wins), or null.
const Field* last(const std::vector<Field>& fields, uint32_t number);

// The 4-byte length (host order, little-endian on x86) followed by `message`.
std::vector<uint8_t> frame(std::span<const uint8_t> message);

}  // namespace wire

// Requests: each a whole `Request` message (unframed) with its one call field. Required fields are
// always written; `timeout` is never sent (aesmd does not read it).
std::vector<uint8_t> encode_init_quote_ex(std::span<const uint8_t> key_id, bool b_pub_key_id,
                                          std::optional<uint64_t> buf_size);
std::vector<uint8_t> encode_get_quote_size_ex(std::span<const uint8_t> key_id);
std::vector<uint8_t> encode_get_quote_ex(std::span<const uint8_t> report,
                                         std::span<const uint8_t> key_id,
                                         std::optional<std::span<const uint8_t>> qe_report_info,
                                         uint32_t buf_size);
std::vector<uint8_t> encode_select_att_key_id(std::optional<std::span<const uint8_t>> key_id_list);
std::vector<uint8_t> encode_get_supported_att_key_id_num();
std::vector<uint8_t> encode_get_supported_att_key_ids(uint32_t buf_size);
std::vector<uint8_t> encode_get_launch_token(std::span<const uint8_t> mr_enclave,
                                             std::span<const uint8_t> modulus,
                                             std::span<const uint8_t> attributes);

// One field of an answer, copied out of the reply.
struct Value {
  std::optional<uint64_t> number;
  std::optional<std::vector<uint8_t>> bytes;
};

// A decoded `Response`: which call it answers, its errorCode when present (a proto2 required
// field: its absence is reported, not read as the default 1), and its other fields by number.
struct Response {
  uint32_t call = 0;
  std::optional<uint32_t> error_code;
  std::map<uint32_t, Value> fields;
  const Value* field(uint32_t n) const {
    auto it = fields.find(n);
    return it == fields.end() ? nullptr : &it->second;
  }
};

// Decodes a reply body. A Response must set exactly one call field (else an error naming the
// fields it set); `what` prefixes errors.
base::Result<Response> decode_response(std::span<const uint8_t> body, const std::string& what);

}  // namespace sgx::aesm
