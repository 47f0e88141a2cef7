// The Intel SGX extension of PCK certificates, OID 1.2.840.113741.1.13.1
// (attestation-formats.md §5, "PCK certificate SGX extension").
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include <openssl/types.h>

#include "base/error.h"
#include "rats/evidence.h"

namespace rats::intel {

struct PckExtensions {
  Bytes<16> ppid{};
  std::array<uint8_t, 16> comp_svn{};  // .2.1 .. .2.16
  uint16_t pce_svn = 0;                // .2.17
  Bytes<16> cpu_svn{};                 // .2.18
  Bytes<2> pce_id{};                   // .3
  Bytes<6> fmspc{};                    // .4
  int sgx_type = 0;                    // .5: 0 Standard, 1 Scalable, 2 ScalableWithIntegrity
};

// Decodes the extension of `pck` strictly: every mandatory field (PPID, the 18 TCB fields,
// PCE-ID, FMSPC, SGX type) present once with its type and size. The error names the field.
base::Result<PckExtensions> parse_pck_extensions(const X509* pck);
// The same over the extension's value (the DER inside its OCTET STRING).
base::Result<PckExtensions> parse_pck_extension_value(std::span<const uint8_t> der);

}  // namespace rats::intel
