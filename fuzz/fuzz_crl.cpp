// CRLs, DER or PEM.
#include <cstddef>
#include <cstdint>
#include <span>

#include "rats/crypto/x509.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto crl = rats::crypto::parse_crl(std::span(data, size));
  if (crl.ok()) {
    (void)rats::crypto::this_update(crl->get());
    (void)rats::crypto::next_update(crl->get());
  }
  return 0;
}
