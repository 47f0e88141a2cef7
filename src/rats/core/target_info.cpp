#include "rats/core/target_info.h"

#include <cstring>

#include "inclavare/sim_tee.h"
#include "rats/crypto/ecdsa.h"

namespace rats {

Bytes<kTargetInfoSize> sim_qe_target_info() {
  Bytes<kTargetInfoSize> ti{};
  std::memcpy(ti.data() + SIM_TEE_TI_MRENCLAVE_OFF, SIM_TEE_QE_MRENCLAVE, 32);
  const uint64_t flags = SIM_TEE_ATTR_INIT | SIM_TEE_ATTR_MODE64BIT, xfrm = 3;
  for (int i = 0; i < 8; ++i) {
    ti[SIM_TEE_TI_ATTRIBUTES_OFF + i] = static_cast<uint8_t>(flags >> (8 * i));
    ti[SIM_TEE_TI_ATTRIBUTES_OFF + 8 + i] = static_cast<uint8_t>(xfrm >> (8 * i));
  }
  return ti;
}

base::Result<Bytes<kTargetInfoSize>> bind_nonce(Bytes<kTargetInfoSize> ti,
                                                std::span<const uint8_t> nonce) {
  if (nonce.empty() || nonce.size() > kMaxNonceSize)
    return base::invalid("a nonce must be 1 to 64 bytes, not " + std::to_string(nonce.size()));
  ti[kTargetInfoNonceOffset] = static_cast<uint8_t>(nonce.size());
  std::memset(ti.data() + kTargetInfoNonceOffset + 1, 0, kMaxNonceSize);
  std::memcpy(ti.data() + kTargetInfoNonceOffset + 1, nonce.data(), nonce.size());
  return ti;
}

base::Result<Bytes<64>> target_info_report_data(std::span<const uint8_t, kTargetInfoSize> ti) {
  ASSIGN_OR_RETURN(Bytes<32> h, crypto::sha256(ti));
  Bytes<64> rd{};
  std::memcpy(rd.data(), h.data(), h.size());
  return rd;
}

}  // namespace rats
