// aesmd's errorCode values (Intel's aesm_error_t, linux-sgx 90873a0c psw/ae/inc/internal/
// aesm_error.h: 0..51, 27 unused) by name, with what to do about the ones users meet.
#pragma once

#include <cstdint>
#include <string>

namespace sgx::aesm {

inline constexpr uint32_t kSuccess = 0;
inline constexpr uint32_t kUnexpectedError = 1;
inline constexpr uint32_t kParameterError = 3;
inline constexpr uint32_t kUnsupportedAttKeyId = 38;
inline constexpr uint32_t kAttKeyNotInitialized = 42;
inline constexpr uint32_t kInvalidReport = 47;

// "AESM_ATT_KEY_NOT_INITIALIZED"; null for a value aesm_error.h does not define.
const char* error_name(uint32_t code);
// What to do, for 2, 24, 30, 38, 42, 44 and 47; null for the others.
const char* error_hint(uint32_t code);
// "42 AESM_ATT_KEY_NOT_INITIALIZED (hint)", "27 (not an aesm_error_t value)".
std::string describe_error(uint32_t code);

}  // namespace sgx::aesm
