// Hex and base64 encodings of bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace base {

std::string hex_encode(const uint8_t* data, size_t n);
// Hex (either case) to bytes; nullopt on an odd length or a non-hex character.
std::optional<std::vector<uint8_t>> hex_decode(std::string_view hex);
// Standard base64 (RFC 4648, with padding).
std::string base64_encode(const uint8_t* data, size_t n);

}  // namespace base
