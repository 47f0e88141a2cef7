// Test support: an Intel quote re-encoded with other certification data, and the layouts of a
// PEM chain that real quotes carry (no newline between certificates, CRLF, trailing NULs). Used by
// pem_variants_test.cpp and by tests/helpers/pem_variant.cpp for the shelter CLI test.
//
// The innermost certification data is the last field of the signature data (attestation-formats.md
// §4): v3 `... u16 type || u32 size || data`; v4/v5 `u16 6 || u32 outer size || [QE report ...
// u16 type || u32 size || data]`. Replacing it changes its size field, the outer type-6 size
// (v4/v5) and sig_data_len; the signed header and body are untouched, so the quote signature still
// holds.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "rats/formats/intel_quote.h"

namespace rats::test {

namespace cert_data_detail {

inline uint32_t get_u32(const std::vector<uint8_t>& b, size_t off) {
  return static_cast<uint32_t>(b[off]) | static_cast<uint32_t>(b[off + 1]) << 8 |
         static_cast<uint32_t>(b[off + 2]) << 16 | static_cast<uint32_t>(b[off + 3]) << 24;
}

inline void put_u32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

inline void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
}

}  // namespace cert_data_detail

// `quote` with its innermost certification data replaced by `cert_data`; bytes after the quote
// (padding, trailers) are kept after it. Fails when the quote does not parse or its certification
// data is not the last field of its signature data.
inline base::Result<std::vector<uint8_t>> with_cert_data(const std::vector<uint8_t>& quote,
                                                         const std::vector<uint8_t>& cert_data) {
  using namespace cert_data_detail;
  auto parsed = formats::parse_intel_quote(quote);
  if (!parsed.ok()) return std::move(parsed).error();
  const IntelQuote& q = *parsed;
  size_t old_size = q.sig.cert_data.size();
  if (q.cert_data_offset + old_size != q.quote_len || q.cert_data_offset < 4 ||
      get_u32(quote, q.cert_data_offset - 4) != old_size) {
    return base::invalid("the certification data is not the last field of the quote");
  }
  auto delta = static_cast<int64_t>(cert_data.size()) - static_cast<int64_t>(old_size);
  std::vector<uint8_t> out(quote.begin(),
                           quote.begin() + static_cast<ptrdiff_t>(q.cert_data_offset));
  out.insert(out.end(), cert_data.begin(), cert_data.end());
  out.insert(out.end(), quote.begin() + static_cast<ptrdiff_t>(q.quote_len), quote.end());
  put_u32(out, q.cert_data_offset - 4, static_cast<uint32_t>(cert_data.size()));
  size_t sig_len_off = q.sig_data_offset - 4;
  put_u32(out, sig_len_off, static_cast<uint32_t>(get_u32(quote, sig_len_off) + delta));
  if (q.header.version >= 4) {
    // u16 type 6 after the signature and the attestation key, then the u32 outer size.
    size_t outer = q.sig_data_offset + 128;
    if (quote[outer] != kCertDataQeReport || quote[outer + 1] != 0) {
      return base::invalid("no type-6 certification data at the start of the signature data");
    }
    put_u32(out, outer + 2, static_cast<uint32_t>(get_u32(quote, outer + 2) + delta));
  }
  return out;
}

// Layouts of a PEM chain.
enum class PemLayout {
  joined,       // no whitespace between certificates, nor after the last END marker
  crlf,         // every LF turned into CRLF
  joined_crlf,  // CRLF inside the blocks, nothing between them
  padded,       // NULs and whitespace appended
};

inline const char* layout_name(PemLayout l) {
  switch (l) {
    case PemLayout::joined:
      return "joined";
    case PemLayout::crlf:
      return "crlf";
    case PemLayout::joined_crlf:
      return "joined_crlf";
    case PemLayout::padded:
      return "padded";
  }
  return "?";
}

// The PEM chain `pem` (as a quote carries it: certificates, then maybe NULs) in layout `l`.
inline std::vector<uint8_t> pem_layout(const std::vector<uint8_t>& pem, PemLayout l) {
  using namespace cert_data_detail;
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::string s(pem.begin(), pem.end());
  auto join = [&] {
    // Drop the whitespace after each END marker: before the next BEGIN or the trailing NULs.
    for (size_t p = s.find(kEnd); p != std::string::npos; p = s.find(kEnd, p + kEnd.size())) {
      size_t from = p + kEnd.size();
      size_t to = s.find_first_not_of(" \t\r\n", from);
      s.erase(from, (to == std::string::npos ? s.size() : to) - from);
    }
  };
  switch (l) {
    case PemLayout::joined:
      join();
      break;
    case PemLayout::crlf:
      replace_all(s, "\n", "\r\n");
      break;
    case PemLayout::joined_crlf:
      replace_all(s, "\n", "\r\n");
      join();
      break;
    case PemLayout::padded:
      s += std::string("\r\n\0\0 \t\n\0\0\0", 10);
      break;
  }
  return std::vector<uint8_t>(s.begin(), s.end());
}

}  // namespace rats::test
