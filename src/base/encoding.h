// Hex and base64 encodings of bytes, and decimal integers in text.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace base {

std::string hex_encode(const uint8_t* data, size_t n);
inline std::string hex_encode(std::span<const uint8_t> bytes) {
  return hex_encode(bytes.data(), bytes.size());
}
// Hex (either case) to bytes; nullopt on an odd length or a non-hex character.
std::optional<std::vector<uint8_t>> hex_decode(std::string_view hex);
// Standard base64 (RFC 4648, with padding).
std::string base64_encode(const uint8_t* data, size_t n);
// Its inverse (padding required, no whitespace); nullopt for anything else.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);
// A non-negative decimal integer that fits in int64_t (digits only: no sign, no spaces), e.g. a
// Unix time given on a command line; nullopt otherwise.
std::optional<int64_t> parse_nonnegative(std::string_view text);

}  // namespace base
