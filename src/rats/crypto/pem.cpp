#include "rats/crypto/pem.h"

#include <climits>
#include <string>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rats/crypto/ecdsa.h"
#include "rats/crypto/openssl_util.h"

namespace rats::crypto {
namespace {

constexpr size_t npos = std::string_view::npos;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_base64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

size_t skip_space(std::string_view text, size_t p) {
  while (p < text.size() && is_space(text[p])) ++p;
  return p;
}

// `text` for a message: printable ASCII as is, other bytes as \xNN, at most `limit` bytes.
std::string printable(std::string_view text, size_t limit = 24) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size() && i < limit; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '`') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

std::string nth(size_t index) {
  return "PEM certificate " + std::to_string(index) + " of the chain";
}

std::string at(size_t offset) {
  return "offset " + std::to_string(offset);
}

// Offset `p` is where certificate `index` should begin (or, after the first, the chain end) but
// holds something else.
base::Error not_a_certificate(std::string_view text, size_t p, size_t index) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  if (text.substr(p).starts_with(kBegin)) {
    // Another PEM type: `-----BEGIN <label>-----` on one line.
    size_t label = p + kBegin.size();
    size_t close = text.find("-----", label);
    size_t eol = text.find_first_of("\r\n", label);
    if (close != npos && (eol == npos || close < eol)) {
      return base::invalid(nth(index) + " at " + at(p) + " is a `" +
                           printable(text.substr(label, close - label), 40) +
                           "` block, not a CERTIFICATE");
    }
  }
  std::string found = at(p) + " holds `" + printable(text.substr(p)) + "` where `" +
                      std::string(kPemCertificateBegin) + "`" +
                      (index > 1 ? " or the end of the chain" : "") + " was expected";
  if (index == 1 && text.find(kPemCertificateBegin) == npos) {
    return base::invalid("PEM chain holds no certificate: " + found);
  }
  return base::invalid(nth(index) + ": " + found);
}

// The certificate of one block: its DER through OpenSSL's d2i_X509, all of it.
base::Result<X509Ptr> certificate_of(const PemCertificateBlock& block) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> der, pem_certificate_der(block));
  if (der.size() > LONG_MAX) return base::invalid(nth(block.index) + " is too large");
  const uint8_t* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) {
    return openssl_error(base::Category::invalid_argument,
                         nth(block.index) + " (BEGIN at " + at(block.offset) + ", " +
                             std::to_string(der.size()) +
                             " bytes of DER) is not a valid X.509 certificate");
  }
  size_t used = static_cast<size_t>(p - der.data());
  if (used != der.size()) {
    return base::invalid(nth(block.index) + " (BEGIN at " + at(block.offset) + ") holds a " +
                         std::to_string(used) + "-byte certificate followed by " +
                         std::to_string(der.size() - used) + " more DER bytes");
  }
  return cert;
}

}  // namespace

base::Result<std::vector<PemCertificateBlock>> split_pem_certificates(
    std::span<const uint8_t> pem) {
  std::string_view text(reinterpret_cast<const char*>(pem.data()), pem.size());
  std::vector<PemCertificateBlock> blocks;
  size_t p = skip_space(text, 0);
  while (p < text.size()) {
    size_t index = blocks.size() + 1;
    if (!blocks.empty() && text[p] == '\0') {
      // NULs (and whitespace) may end the chain, as the NUL that often ends certification data.
      size_t q = p;
      while (q < text.size() && (text[q] == '\0' || is_space(text[q]))) ++q;
      if (q == text.size()) break;
      return base::invalid(nth(index) + ": " + at(q) + " holds `" + printable(text.substr(q)) +
                           "` after a NUL byte at " + at(p) +
                           "; NUL bytes may only follow the last certificate");
    }
    if (!text.substr(p).starts_with(kPemCertificateBegin)) {
      return not_a_certificate(text, p, index);
    }
    size_t body = p + kPemCertificateBegin.size();
    size_t end = text.find(kPemCertificateEnd, body);
    // A BEGIN before this block's END: the block was cut short.
    size_t next = text.substr(0, end).find("-----BEGIN", body);
    if (next != npos) {
      return base::invalid(nth(index) + " (BEGIN at " + at(p) + ") has no `" +
                           std::string(kPemCertificateEnd) + "` before the `-----BEGIN` at " +
                           at(next));
    }
    if (end == npos) {
      return base::invalid(nth(index) + " (BEGIN at " + at(p) + ") has no `" +
                           std::string(kPemCertificateEnd) + "`");
    }
    PemCertificateBlock block;
    block.index = index;
    block.offset = p;
    block.body_offset = body;
    block.body = pem.subspan(body, end - body);
    blocks.push_back(block);
    p = skip_space(text, end + kPemCertificateEnd.size());
  }
  if (blocks.empty()) return base::invalid("PEM chain holds no certificate");
  return blocks;
}

base::Result<std::vector<uint8_t>> pem_certificate_der(const PemCertificateBlock& block) {
  std::string b64;
  b64.reserve(block.body.size());
  size_t padding = 0;
  size_t padding_offset = 0;
  for (size_t i = 0; i < block.body.size(); ++i) {
    auto c = static_cast<char>(block.body[i]);
    if (is_space(c)) continue;
    size_t offset = block.body_offset + i;
    if (c == '=') {
      if (padding++ == 0) padding_offset = offset;
    } else if (!is_base64(c)) {
      return base::invalid(nth(block.index) + ": byte `" + printable(std::string_view(&c, 1)) +
                           "` at " + at(offset) + " is neither base64 nor whitespace");
    } else if (padding > 0) {
      return base::invalid(nth(block.index) + ": base64 goes on at " + at(offset) +
                           " after the `=` padding at " + at(padding_offset));
    }
    b64 += c;
  }
  if (b64.empty()) {
    return base::invalid(nth(block.index) + " (BEGIN at " + at(block.offset) +
                         ") is empty: no base64 between its markers");
  }
  if (padding > 2) {
    return base::invalid(nth(block.index) + ": " + std::to_string(padding) +
                         " `=` padding characters from " + at(padding_offset) + " (at most 2)");
  }
  if (b64.size() % 4 != 0) {
    return base::invalid(nth(block.index) + " (BEGIN at " + at(block.offset) + ") has " +
                         std::to_string(b64.size()) +
                         " base64 characters, not a multiple of 4: truncated or padding missing");
  }
  if (b64.size() > INT_MAX) return base::invalid(nth(block.index) + " is too large");
  std::vector<uint8_t> der(b64.size() / 4 * 3);
  int n = EVP_DecodeBlock(der.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0 || static_cast<size_t>(n) != der.size()) {
    return openssl_error(base::Category::invalid_argument,
                         nth(block.index) + ": base64 does not decode");
  }
  der.resize(der.size() - padding);
  return der;
}

base::Result<std::vector<X509Ptr>> parse_pem_chain(std::span<const uint8_t> pem) {
  ASSIGN_OR_RETURN(std::vector<PemCertificateBlock> blocks, split_pem_certificates(pem));
  std::vector<X509Ptr> chain;
  chain.reserve(blocks.size());
  for (const auto& block : blocks) {
    ASSIGN_OR_RETURN(X509Ptr cert, certificate_of(block));
    chain.push_back(std::move(cert));
  }
  return chain;
}

}  // namespace rats::crypto
