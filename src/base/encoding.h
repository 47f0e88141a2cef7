// Hex and base64 encodings of bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace base {

std::string hex_encode(const uint8_t* data, size_t n);
// Standard base64 (RFC 4648, with padding).
std::string base64_encode(const uint8_t* data, size_t n);

}  // namespace base
