// A nonce bound through an SGX TARGETINFO, for runtimes whose local REPORT has no report-data
// argument (PAL v3 pal_get_local_report): the host cannot choose REPORTDATA, but liberpal-sim
// sets it to SHA-256(TARGETINFO) || 32 zero bytes, so a nonce written into the TARGETINFO's
// reserved bytes reaches the REPORT (docs/attestation.md, "rune attest").
//   byte 128        the nonce's length (1..64)
//   bytes 129..192  the nonce, zero-padded
// Both are reserved (zero) in SGX's TARGETINFO, so the quoting enclave's target is unchanged.
#pragma once

#include <span>

#include "base/error.h"
#include "rats/evidence.h"

namespace rats {

inline constexpr size_t kTargetInfoSize = 512;
inline constexpr size_t kTargetInfoNonceOffset = 128;
inline constexpr size_t kMaxNonceSize = 64;

// The sim quoting enclave's TARGETINFO, as rune targets it: SIM_TEE_QE_MRENCLAVE, ATTRIBUTES
// INIT | MODE64BIT, XFRM 3, zero elsewhere.
Bytes<kTargetInfoSize> sim_qe_target_info();

// `target_info` with `nonce` (1..64 bytes) written into its reserved bytes; an error naming the
// nonce's size otherwise.
base::Result<Bytes<kTargetInfoSize>> bind_nonce(Bytes<kTargetInfoSize> target_info,
                                                std::span<const uint8_t> nonce);

// The REPORTDATA liberpal-sim gives a REPORT for `target_info`: SHA-256(TARGETINFO) || zeros.
base::Result<Bytes<64>> target_info_report_data(std::span<const uint8_t, kTargetInfoSize> ti);

}  // namespace rats
