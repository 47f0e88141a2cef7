#include "eaa/protocol.h"

#include <openssl/evp.h>

#include "base/encoding.h"

namespace eaa {

namespace {

constexpr std::string_view kEvidenceLabel = "inclavare-containers eaa get_evidence v1";

uint32_t be32(const char* p) {
  return uint32_t(uint8_t(p[0])) << 24 | uint32_t(uint8_t(p[1])) << 16 |
         uint32_t(uint8_t(p[2])) << 8 | uint32_t(uint8_t(p[3]));
}

}  // namespace

std::string encode_frame(const base::Json& message) {
  std::string body = message.dump();
  std::string out(4, '\0');
  const uint32_t n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(n >> (24 - 8 * i));
  return out + body;
}

base::Status FrameReader::feed(std::string_view bytes) {
  buf_.append(bytes);
  if (buf_.size() >= 4 && be32(buf_.data()) > kMaxFrame)
    return base::invalid("a frame of " + std::to_string(be32(buf_.data())) +
                         " bytes is over the 1 MiB limit");
  return base::ok();
}

std::optional<base::Result<base::Json>> FrameReader::next() {
  if (buf_.size() < 4) return std::nullopt;
  const uint32_t n = be32(buf_.data());
  if (n > kMaxFrame)
    return base::Result<base::Json>(
        base::invalid("a frame of " + std::to_string(n) + " bytes is over the 1 MiB limit"));
  if (buf_.size() < 4 + size_t(n)) return std::nullopt;
  std::string body = buf_.substr(4, n);
  buf_.erase(0, 4 + size_t(n));
  base::Json j = base::Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return base::Result<base::Json>(base::invalid("a frame is not one JSON object"));
  auto t = j.find("type");
  if (t == j.end() || !t->is_string())
    return base::Result<base::Json>(base::invalid("a message has no string `type`"));
  return base::Result<base::Json>(std::move(j));
}

base::Result<std::vector<uint8_t>> get_evidence_report_data(std::span<const uint8_t> nonce,
                                                            std::span<const uint8_t> spki_der) {
  if (nonce.empty() || nonce.size() > 64)
    return base::invalid("a nonce must be 1 to 64 bytes, not " + std::to_string(nonce.size()));
  uint8_t spki_hash[32];
  unsigned len = 0;
  if (EVP_Digest(spki_der.data(), spki_der.size(), spki_hash, &len, EVP_sha256(), nullptr) != 1)
    return base::Error(base::Category::internal, "SHA-256 failed");
  std::vector<uint8_t> msg(kEvidenceLabel.begin(), kEvidenceLabel.end());
  msg.push_back(static_cast<uint8_t>(nonce.size()));
  msg.insert(msg.end(), nonce.begin(), nonce.end());
  msg.insert(msg.end(), spki_hash, spki_hash + 32);
  std::vector<uint8_t> out(64);
  if (EVP_Digest(msg.data(), msg.size(), out.data(), &len, EVP_sha512(), nullptr) != 1 || len != 64)
    return base::Error(base::Category::internal, "SHA-512 failed");
  return out;
}

base::Result<std::vector<uint8_t>> parse_nonce(const base::Json& message) {
  auto n = message.find("nonce");
  if (n == message.end() || !n->is_string())
    return base::invalid("get_evidence needs `nonce` (1 to 64 bytes of hex)");
  auto bytes = base::hex_decode(n->get<std::string>());
  if (!bytes || bytes->empty() || bytes->size() > 64)
    return base::invalid("`nonce` `" + base::clip(n->get<std::string>()) +
                         "` is not 1 to 64 bytes of hex");
  return std::move(*bytes);
}

base::Result<Preamble> parse_preamble(std::string_view line) {
  if (line.size() > kMaxPreamble) return base::invalid("the preamble is longer than 4 KiB");
  base::Json j = base::Json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return base::invalid("the preamble is not a JSON object: `" + base::clip(line) + "`");
  Preamble p;
  auto c = j.find("connect");
  auto b = j.find("broker");
  if (j.size() != 1 || (c == j.end() && b == j.end()))
    return base::invalid(
        "the preamble must be {\"connect\":\"<container or route>\"} or {\"broker\":true}");
  if (c != j.end()) {
    if (!c->is_string() || c->get<std::string>().empty() ||
        c->get<std::string>().find('\0') != std::string::npos)
      return base::invalid("`connect` must name a container or route");
    p.connect = c->get<std::string>();
  } else {
    if (!b->is_boolean() || !b->get<bool>()) return base::invalid("`broker` must be true");
    p.broker = true;
  }
  return p;
}

std::string preamble_ok() {
  return "{\"ok\":true}\n";
}

std::string preamble_error(std::string_view code, std::string_view message) {
  return base::Json{{"error", {{"code", code}, {"message", message}}}}.dump() + "\n";
}

base::Status parse_preamble_answer(std::string_view line) {
  base::Json j = base::Json::parse(line, nullptr, false);
  if (j.is_object() && j.size() == 1 && j.value("ok", false) == true) return base::ok();
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const base::Json& e = j["error"];
    std::string c = e.value("code", ""), m = e.value("message", "");
    auto cat = c == code::unknown_target   ? base::Category::not_found
               : c == code::not_attestable ? base::Category::failed_precondition
                                           : base::Category::unavailable;
    return base::Error(cat, "inclavared refused (" + c + "): " + m);
  }
  return base::invalid("inclavared answered the preamble with `" + base::clip(line) + "`");
}

base::Json error_message(std::string_view code, std::string_view message) {
  return base::Json{{"type", "error"}, {"code", code}, {"message", message}};
}

}  // namespace eaa
