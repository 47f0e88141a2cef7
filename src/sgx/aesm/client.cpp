// aesmd client: protobuf wire encoding by hand (three small messages do not justify a protobuf
// dependency) over a Unix stream socket, one connection per request as aesmd expects.
#include "rats/attesters/aesm.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <optional>

#include "base/fd.h"
#include "rats/evidence.h"

namespace rats::attesters::aesm {

namespace {

// Replies larger than this are refused before reading them (a quote is a few KiB).
constexpr uint32_t kMaxReply = 1024 * 1024;
// aesmd may contact a caching service on the first quote; do not wait forever.
constexpr int kTimeoutSeconds = 60;

// Request/Response fields.
constexpr uint32_t kInitQuoteEx = 15;
constexpr uint32_t kGetQuoteSizeEx = 16;
constexpr uint32_t kGetQuoteEx = 17;

enum Wire : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

void put_tag(std::vector<uint8_t>& out, uint32_t field, Wire wire) {
  put_varint(out, (uint64_t{field} << 3) | wire);
}

void put_uint(std::vector<uint8_t>& out, uint32_t field, uint64_t v) {
  put_tag(out, field, kVarint);
  put_varint(out, v);
}

void put_bytes(std::vector<uint8_t>& out, uint32_t field, std::span<const uint8_t> bytes) {
  put_tag(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// The last occurrence of each field of interest in a message (proto2: the last one wins).
struct Field {
  std::optional<uint64_t> varint;
  std::optional<std::span<const uint8_t>> bytes;
};

bool get_varint(std::span<const uint8_t> in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    uint8_t b = in[pos++];
    v |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Decodes one message level; fields numbered 1..`max_field` are kept, others skipped.
base::Result<std::vector<Field>> decode(std::span<const uint8_t> in, uint32_t max_field,
                                        const std::string& what) {
  std::vector<Field> fields(max_field + 1);
  size_t pos = 0;
  while (pos < in.size()) {
    size_t at = pos;
    uint64_t key;
    if (!get_varint(in, pos, key)) {
      return base::invalid(what + ": truncated field key at byte " + std::to_string(at));
    }
    uint64_t number = key >> 3;
    auto wire = static_cast<uint8_t>(key & 7);
    Field f;
    if (wire == kVarint) {
      uint64_t v;
      if (!get_varint(in, pos, v)) {
        return base::invalid(what + ": truncated varint at byte " + std::to_string(at));
      }
      f.varint = v;
    } else if (wire == kLengthDelimited) {
      uint64_t len;
      if (!get_varint(in, pos, len) || len > in.size() - pos) {
        return base::invalid(what + ": length of field " + std::to_string(number) + " at byte " +
                             std::to_string(at) + " exceeds the message");
      }
      f.bytes = in.subspan(pos, len);
      pos += len;
    } else if (wire == kFixed64 || wire == kFixed32) {
      size_t n = wire == kFixed64 ? 8 : 4;
      if (in.size() - pos < n) {
        return base::invalid(what + ": truncated fixed field at byte " + std::to_string(at));
      }
      pos += n;
    } else {
      return base::invalid(what + ": unsupported wire type " + std::to_string(wire) + " at byte " +
                           std::to_string(at));
    }
    if (number >= 1 && number <= max_field) fields[number] = f;
  }
  return fields;
}

std::string error_name(uint32_t code) {
  switch (code) {
    case 1:
      return " (unexpected error)";
    case 2:
      return " (no SGX device)";
    case 3:
      return " (invalid parameter)";
    case kErrAttKeyNotInitialized:
      return " (attestation key not initialized)";
    default:
      return "";
  }
}

base::Status send_all(int fd, std::span<const uint8_t> data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return base::sys_error("writing to aesmd at `" + path + "`");
    done += static_cast<size_t>(n);
  }
  return {};
}

base::Status recv_all(int fd, uint8_t* data, size_t len, const std::string& path) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = recv(fd, data + done, len - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::sys_error("reading from aesmd at `" + path + "`");
    if (n == 0) {
      return base::Error(base::Category::unavailable,
                         "aesmd at `" + path + "` closed the connection after " +
                             std::to_string(done) + " of " + std::to_string(len) + " bytes");
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

base::Result<base::UniqueFd> connect_to(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return base::invalid("aesmd socket path `" + path + "` is empty or too long");
  }
  memcpy(addr.sun_path, path.data(), path.size());
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return base::sys_error("creating a socket for aesmd");
  timeval tv{kTimeoutSeconds, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int r;
  do r = connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  while (r != 0 && errno == EINTR);
  if (r != 0) {
    return base::sys_error("cannot reach aesmd at `" + path +
                           "` (is the SGX AESM service with the ECDSA quote plugin running?)");
  }
  return fd;
}

}  // namespace

std::array<uint8_t, kKeyIdSize> ecdsa_p256_key_id() {
  // Layout (sgx_ql_att_key_id_t, then zero padding to 256 bytes): u16 id at 0, u16 version at 2,
  // u16 mrsigner_length at 4, mrsigner[48] at 6, u32 prod_id at 54, extended_prod_id[16] at 58,
  // config_id[64] at 74, family_id[16] at 138, u32 algorithm_id at 154.
  static constexpr uint8_t kQe3MrSigner[32] = {0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e,
                                               0x96, 0x13, 0x7f, 0x77, 0xc6, 0x8a, 0x82, 0x9a,
                                               0x00, 0x56, 0xac, 0x8d, 0xed, 0x70, 0x14, 0x0b,
                                               0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff};
  std::array<uint8_t, kKeyIdSize> id{};
  id[4] = 32;
  memcpy(id.data() + 6, kQe3MrSigner, sizeof kQe3MrSigner);
  id[54] = 1;   // prod_id
  id[154] = 2;  // SGX_QL_ALG_ECDSA_P256
  return id;
}

std::string Client::context(const char* what) const {
  return "reply of aesmd at `" + path_ + "` to " + what;
}

base::Result<Client::Payload> Client::call(uint32_t field, const std::vector<uint8_t>& message,
                                           const char* what, uint32_t* aesm_code) const {
  if (aesm_code != nullptr) *aesm_code = 0;
  ASSIGN_OR_RETURN(base::UniqueFd fd, connect_to(path_));
  // Framing: the Request's length, then the Request, whose only field is `field` = `message`.
  std::vector<uint8_t> framed(sizeof(uint32_t));
  put_bytes(framed, field, message);
  auto len = static_cast<uint32_t>(framed.size() - sizeof(uint32_t));
  memcpy(framed.data(), &len, sizeof len);
  TRY(send_all(fd.get(), framed, path_));

  uint32_t reply_len = 0;
  TRY(recv_all(fd.get(), reinterpret_cast<uint8_t*>(&reply_len), sizeof reply_len, path_));
  if (reply_len > kMaxReply) {
    return base::invalid("aesmd at `" + path_ + "` announced a " + std::to_string(reply_len) +
                         "-byte reply to " + what + " (limit " + std::to_string(kMaxReply) + ")");
  }
  std::vector<uint8_t> reply(reply_len);
  TRY(recv_all(fd.get(), reply.data(), reply.size(), path_));

  std::string ctx = context(what);
  ASSIGN_OR_RETURN(auto outer, decode(reply, field, ctx));
  if (!outer[field].bytes) {
    return base::invalid(ctx + " lacks its response message (field " + std::to_string(field) + ")");
  }
  ASSIGN_OR_RETURN(auto fields, decode(*outer[field].bytes, 2, ctx));
  // errorCode is required; its declared default is 1 (unexpected error).
  uint64_t code = fields[1].varint.value_or(1);
  if (code != 0) {
    if (aesm_code != nullptr) *aesm_code = static_cast<uint32_t>(code);
    return base::Error(base::Category::unavailable,
                       "aesmd at `" + path_ + "`: " + what + " failed: aesmd error " +
                           std::to_string(code) + error_name(static_cast<uint32_t>(code)));
  }
  Payload out;
  out.number = fields[2].varint;
  if (fields[2].bytes) out.bytes.emplace(fields[2].bytes->begin(), fields[2].bytes->end());
  return out;
}

base::Result<std::array<uint8_t, kTargetInfoSize>> Client::qe_target_info() const {
  auto key_id = ecdsa_p256_key_id();
  std::vector<uint8_t> m;
  put_bytes(m, 1, key_id);  // att_key_id
  put_uint(m, 3, 1);        // b_pub_key_id: true
  put_uint(m, 4, 32);       // buf_size: the public key id (a SHA-256) is 32 bytes
  ASSIGN_OR_RETURN(Payload ti, call(kInitQuoteEx, m, "InitQuoteEx", nullptr));
  if (!ti.bytes || ti.bytes->size() != kTargetInfoSize) {
    return base::invalid(
        context("InitQuoteEx") + ": target_info is " +
        (ti.bytes ? std::to_string(ti.bytes->size()) + " bytes" : std::string("missing")) +
        ", expected " + std::to_string(kTargetInfoSize));
  }
  std::array<uint8_t, kTargetInfoSize> out;
  memcpy(out.data(), ti.bytes->data(), out.size());
  return out;
}

base::Result<std::vector<uint8_t>> Client::quote(std::span<const uint8_t, kReportSize> report,
                                                 uint32_t* aesm_code) const {
  auto key_id = ecdsa_p256_key_id();
  std::vector<uint8_t> size_req;
  put_bytes(size_req, 1, key_id);  // att_key_id
  ASSIGN_OR_RETURN(Payload size_reply,
                   call(kGetQuoteSizeEx, size_req, "GetQuoteSizeEx", aesm_code));
  uint64_t size = size_reply.number.value_or(0);
  if (size == 0 || size > kMaxEvidenceSize) {
    return base::invalid(context("GetQuoteSizeEx") + ": quote_size " + std::to_string(size) +
                         " is not in 1.." + std::to_string(kMaxEvidenceSize));
  }

  std::vector<uint8_t> m;
  put_bytes(m, 1, report);  // report
  put_bytes(m, 2, key_id);  // att_key_id
  put_uint(m, 4, size);     // buf_size
  ASSIGN_OR_RETURN(Payload quote, call(kGetQuoteEx, m, "GetQuoteEx", aesm_code));
  if (!quote.bytes || quote.bytes->empty() || quote.bytes->size() > size) {
    return base::invalid(
        context("GetQuoteEx") + ": quote is " +
        (quote.bytes ? std::to_string(quote.bytes->size()) + " bytes" : std::string("missing")) +
        ", expected 1.." + std::to_string(size));
  }
  return std::move(*quote.bytes);
}

base::Result<std::vector<uint8_t>> Client::quote_for(const ReportFn& make_report) const {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(auto ti, qe_target_info());
    auto report = make_report(ti);
    if (!report.ok()) return std::move(report).error().wrap("making the enclave's REPORT");
    if (report->size() != kReportSize) {
      return base::invalid("the enclave's REPORT is " + std::to_string(report->size()) +
                           " bytes, expected " + std::to_string(kReportSize));
    }
    uint32_t code = 0;
    auto q = quote(std::span<const uint8_t, kReportSize>(report->data(), kReportSize), &code);
    if (q.ok() || code != kErrAttKeyNotInitialized || attempt == kAttempts) return q;
  }
}

}  // namespace rats::attesters::aesm
