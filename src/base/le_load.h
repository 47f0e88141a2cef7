// Little-endian integers read from bytes: the one set for every parser of untrusted binary
// formats (quotes, reports, SGX structures). Named le_load.h, not endian.h: runtimes/ compiles
// with src/base on its include path, where an endian.h would shadow the system's <endian.h>.
#pragma once

#include <cstdint>

namespace base {

constexpr uint16_t load_le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
constexpr uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
constexpr uint64_t load_le64(const uint8_t* p) {
  return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}

}  // namespace base
