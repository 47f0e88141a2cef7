// Sizes of SGX's architectural structures (Intel's arch.h, sgx_report.h, sgx_quote.h at linux-sgx
// 90873a0c): the one list, for the structures (structs.h) and the AESM messages (aesm/wire.h).
#pragma once

#include <cstddef>

namespace sgx {

inline constexpr size_t kSigStructSize = 1808;    // enclave_css_t
inline constexpr size_t kTokenSize = 304;         // token_t (EINITTOKEN)
inline constexpr size_t kTargetInfoSize = 512;    // sgx_target_info_t
inline constexpr size_t kReportSize = 432;        // sgx_report_t: body 384, key id 32, MAC 16
inline constexpr size_t kReportBodySize = 384;    // sgx_report_body_t
inline constexpr size_t kKeyIdSize = 256;         // sgx_att_key_id_t / sgx_att_key_id_ext_t
inline constexpr size_t kQeReportInfoSize = 960;  // sgx_qe_report_info_t: nonce 16, TI, REPORT
inline constexpr size_t kModulusSize = 384;       // SIGSTRUCT MODULUS (RSA-3072)
inline constexpr size_t kAttributesSize = 16;     // sgx_attributes_t
inline constexpr size_t kMeasurementSize = 32;    // MRENCLAVE, MRSIGNER

}  // namespace sgx
