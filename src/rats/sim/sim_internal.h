// Internals of the sim TEE shared by its source files; not a public header.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rats/crypto/ecdsa.h"
#include "rats/sim/sim_tee.h"

namespace rats::sim {

struct SimTee::State {
  std::string dir;
  crypto::PkeyPtr pck_key;  // signs QE reports
  crypto::PkeyPtr att_key;  // this instance's attestation key (signs quotes)
  Bytes<64> att_key_xy{};
  std::string root_pem, platform_ca_pem, pck_pem, tcb_signing_pem;
  Bytes<32> root_key_sha256{};
  Collateral collateral;
  int64_t issued_at = 0;
  std::vector<uint8_t> cert_data;  // PEM leaf, platform CA, root, NUL
  Bytes<16> qe_id{};               // first 16 bytes of the header's user data
};

// A quote v3 of `body` (the ISV enclave's report body) signed by `st`'s attestation key.
base::Result<std::vector<uint8_t>> quote_body(const SimTee::State& st,
                                              const Bytes<kSgxReportBodySize>& body);

// A fresh P-256 key pair.
base::Result<crypto::PkeyPtr> generate_p256();
// The public key of a P-256 key as X || Y (big-endian).
base::Result<Bytes<64>> public_xy(EVP_PKEY* key);
// ECDSA-P256/SHA-256 signature over `message` as r || s (big-endian, 32 + 32).
base::Result<Bytes<64>> sign_p256_sha256(EVP_PKEY* key, std::span<const uint8_t> message);

}  // namespace rats::sim
