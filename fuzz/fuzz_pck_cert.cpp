// Certificates (PEM or DER) and their vendor extensions: the Intel SGX PCK extension (also fed
// the raw extension value) and the AMD VCEK/VLEK extensions; PEM chains.
#include <cstddef>
#include <cstdint>
#include <span>

#include "rats/crypto/ecdsa.h"
#include "rats/crypto/x509.h"
#include "rats/verifiers/intel/pck_extensions.h"
#include "rats/verifiers/snp/snp_verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)rats::intel::parse_pck_extension_value(in);
  auto cert = rats::crypto::parse_certificate(in);
  if (cert.ok()) {
    (void)rats::intel::parse_pck_extensions(cert->get());
    (void)rats::snp::read_amd_extensions(cert->get());
    (void)rats::crypto::spki_sha256(cert->get());
  }
  (void)rats::crypto::parse_pem_chain(in);
  return 0;
}
