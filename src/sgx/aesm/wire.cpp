#include "sgx/aesm/wire.h"

#include <cstring>

#include "base/le_load.h"

namespace sgx::aesm {

std::string call_name(uint32_t number) {
  switch (static_cast<Call>(number)) {
    case Call::get_launch_token:
      return "GetLaunchToken";
    case Call::init_quote_ex:
      return "InitQuoteEx";
    case Call::get_quote_size_ex:
      return "GetQuoteSizeEx";
    case Call::get_quote_ex:
      return "GetQuoteEx";
    case Call::select_att_key_id:
      return "SelectAttKeyID";
    case Call::unsupported:
      return "UnsupportedRequest";
    case Call::get_supported_att_key_id_num:
      return "GetSupportedAttKeyIDNum";
    case Call::get_supported_att_key_ids:
      return "GetSupportedAttKeyIDs";
  }
  return "message " + std::to_string(number);
}

uint32_t key_id_algorithm(std::span<const uint8_t, kKeyIdSize> id) {
  return base::load_le32(id.data() + kKeyIdAlgorithmOffset);
}

KeyId ecdsa_p256_key_id(std::span<const uint8_t, 32> mrsigner, uint32_t prod_id) {
  // sgx_ql_att_key_id_t at the start, zero padding to 256 bytes: u16 id at 0, u16 version at 2,
  // u16 mrsigner_length at 4, mrsigner[48] at 6, u32 prod_id at 54, extended_prod_id[16] at 58,
  // config_id[64] at 74, family_id[16] at 138, u32 algorithm_id at 154.
  KeyId id{};
  id[4] = 32;
  memcpy(id.data() + 6, mrsigner.data(), mrsigner.size());
  memcpy(id.data() + 54, &prod_id, sizeof prod_id);
  id[kKeyIdAlgorithmOffset] = kAlgorithmEcdsaP256;
  return id;
}

KeyId qe3_key_id() {
  static constexpr uint8_t kQe3MrSigner[32] = {0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e,
                                               0x96, 0x13, 0x7f, 0x77, 0xc6, 0x8a, 0x82, 0x9a,
                                               0x00, 0x56, 0xac, 0x8d, 0xed, 0x70, 0x14, 0x0b,
                                               0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff};
  return ecdsa_p256_key_id(kQe3MrSigner, 1);
}

namespace wire {

namespace {

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

bool get_varint(std::span<const uint8_t> in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    uint8_t b = in[pos++];
    v |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;  // more than 10 bytes
}

constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;

}  // namespace

Encoder& Encoder::uint(uint32_t field, uint64_t v) {
  put_varint(out_, (uint64_t{field} << 3) | kVarint);
  put_varint(out_, v);
  return *this;
}

Encoder& Encoder::bytes(uint32_t field, std::span<const uint8_t> b) {
  put_varint(out_, (uint64_t{field} << 3) | kLengthDelimited);
  put_varint(out_, b.size());
  out_.insert(out_.end(), b.begin(), b.end());
  return *this;
}

base::Result<std::vector<Field>> decode(std::span<const uint8_t> in, const std::string& what) {
  std::vector<Field> fields;
  size_t pos = 0;
  auto at = [&](size_t offset) { return " at byte " + std::to_string(offset); };
  while (pos < in.size()) {
    Field f;
    f.offset = pos;
    uint64_t key;
    if (!get_varint(in, pos, key))
      return base::invalid(what + ": truncated field key" + at(f.offset));
    uint64_t number = key >> 3;
    if (number == 0 || number > kMaxFieldNumber) {
      return base::invalid(what + ": field number " + std::to_string(number) + at(f.offset) +
                           " is out of range");
    }
    f.number = static_cast<uint32_t>(number);
    f.type = static_cast<Type>(key & 7);
    const std::string name = "field " + std::to_string(number);
    switch (f.type) {
      case kVarint:
        if (!get_varint(in, pos, f.varint)) {
          return base::invalid(what + ": truncated varint of " + name + at(f.offset));
        }
        break;
      case kLengthDelimited: {
        uint64_t len;
        if (!get_varint(in, pos, len)) {
          return base::invalid(what + ": truncated length of " + name + at(f.offset));
        }
        if (len > in.size() - pos) {
          return base::invalid(what + ": " + name + at(f.offset) + " claims " +
                               std::to_string(len) + " bytes, " + std::to_string(in.size() - pos) +
                               " remain");
        }
        f.bytes = in.subspan(pos, len);
        pos += len;
        break;
      }
      case kFixed64:
      case kFixed32: {
        size_t n = f.type == kFixed64 ? 8 : 4;
        if (in.size() - pos < n) {
          return base::invalid(what + ": truncated fixed-size " + name + at(f.offset));
        }
        f.varint = 0;
        for (size_t i = 0; i < n; ++i) f.varint |= uint64_t{in[pos + i]} << (8 * i);
        pos += n;
        break;
      }
      default:
        return base::invalid(what + ": " + name + at(f.offset) + " has wire type " +
                             std::to_string(key & 7) + ", which these messages never use");
    }
    fields.push_back(f);
  }
  return fields;
}

const Field* last(const std::vector<Field>& fields, uint32_t number) {
  const Field* found = nullptr;
  for (const Field& f : fields) {
    if (f.number == number) found = &f;
  }
  return found;
}

std::vector<uint8_t> frame(std::span<const uint8_t> message) {
  std::vector<uint8_t> out(sizeof(uint32_t));
  auto len = static_cast<uint32_t>(message.size());
  memcpy(out.data(), &len, sizeof len);
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

}  // namespace wire

namespace {

std::vector<uint8_t> request(Call call, const wire::Encoder& inner) {
  wire::Encoder outer;
  outer.message(static_cast<uint32_t>(call), inner);
  return outer.take();
}

}  // namespace

std::vector<uint8_t> encode_init_quote_ex(std::span<const uint8_t> key_id, bool b_pub_key_id,
                                          std::optional<uint64_t> buf_size) {
  wire::Encoder m;
  m.bytes(1, key_id).boolean(3, b_pub_key_id);
  if (buf_size) m.uint(4, *buf_size);
  return request(Call::init_quote_ex, m);
}

std::vector<uint8_t> encode_get_quote_size_ex(std::span<const uint8_t> key_id) {
  wire::Encoder m;
  m.bytes(1, key_id);
  return request(Call::get_quote_size_ex, m);
}

std::vector<uint8_t> encode_get_quote_ex(std::span<const uint8_t> report,
                                         std::span<const uint8_t> key_id,
                                         std::optional<std::span<const uint8_t>> qe_report_info,
                                         uint32_t buf_size) {
  wire::Encoder m;
  m.bytes(1, report).bytes(2, key_id);
  if (qe_report_info) m.bytes(3, *qe_report_info);
  m.uint(4, buf_size);
  return request(Call::get_quote_ex, m);
}

std::vector<uint8_t> encode_select_att_key_id(std::optional<std::span<const uint8_t>> key_id_list) {
  wire::Encoder m;
  if (key_id_list) m.bytes(1, *key_id_list);
  return request(Call::select_att_key_id, m);
}

std::vector<uint8_t> encode_get_supported_att_key_id_num() {
  return request(Call::get_supported_att_key_id_num, wire::Encoder());
}

std::vector<uint8_t> encode_get_supported_att_key_ids(uint32_t buf_size) {
  wire::Encoder m;
  m.uint(1, buf_size);
  return request(Call::get_supported_att_key_ids, m);
}

std::vector<uint8_t> encode_get_launch_token(std::span<const uint8_t> mr_enclave,
                                             std::span<const uint8_t> modulus,
                                             std::span<const uint8_t> attributes) {
  wire::Encoder m;
  m.bytes(1, mr_enclave).bytes(2, modulus).bytes(3, attributes);
  return request(Call::get_launch_token, m);
}

base::Result<Response> decode_response(std::span<const uint8_t> body, const std::string& what) {
  ASSIGN_OR_RETURN(auto outer, wire::decode(body, what));
  // One call field; repeated occurrences of the same one merge in proto2, which aesmd never
  // sends: the last one is taken.
  const wire::Field* call = nullptr;
  for (const wire::Field& f : outer) {
    if (call != nullptr && call->number != f.number) {
      return base::invalid(what + ": the Response sets both " + call_name(call->number) + " and " +
                           call_name(f.number) + " (one answer expected)");
    }
    call = &f;
  }
  if (call == nullptr) return base::invalid(what + ": the Response is empty");
  if (call->type != wire::kLengthDelimited) {
    return base::invalid(what + ": the Response's " + call_name(call->number) +
                         " is not a message (wire type " + std::to_string(call->type) + ")");
  }
  Response r;
  r.call = call->number;
  const std::string inner_what = what + " (" + call_name(call->number) + ")";
  ASSIGN_OR_RETURN(auto inner, wire::decode(call->bytes, inner_what));
  for (const wire::Field& f : inner) {
    Value& v = r.fields[f.number];
    if (f.type == wire::kLengthDelimited) {
      v.bytes.emplace(f.bytes.begin(), f.bytes.end());
      v.number.reset();
    } else {
      v.number = f.varint;
      v.bytes.reset();
    }
  }
  if (const Value* code = r.field(1)) {
    if (!code->number || *code->number > UINT32_MAX) {
      return base::invalid(inner_what + ": errorCode is not a uint32");
    }
    r.error_code = static_cast<uint32_t>(*code->number);
  }
  return r;
}

}  // namespace sgx::aesm
