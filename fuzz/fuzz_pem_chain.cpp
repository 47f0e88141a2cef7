// PEM certificate chains (quote certification data type 5, collateral issuer chains): the marker
// splitter, the base64 of each block and parse_pem_chain, with the invariants that tie them
// together. A broken invariant aborts, so the fuzzer reports it as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include <openssl/err.h>

#include "rats/crypto/ecdsa.h"
#include "rats/crypto/pem.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto blocks = rats::crypto::split_pem_certificates(in);
  size_t decoded = 0;
  if (blocks.ok()) {
    require(!blocks->empty());
    size_t last_end = 0;
    for (size_t i = 0; i < blocks->size(); ++i) {
      const auto& b = (*blocks)[i];
      // In order, inside the input, each body right after its BEGIN marker.
      require(b.index == i + 1);
      require(b.offset >= last_end);
      require(b.body_offset == b.offset + rats::crypto::kPemCertificateBegin.size());
      require(b.body.data() == data + b.body_offset);
      require(b.body_offset + b.body.size() + rats::crypto::kPemCertificateEnd.size() <= size);
      last_end = b.body_offset + b.body.size() + rats::crypto::kPemCertificateEnd.size();
      auto der = rats::crypto::pem_certificate_der(b);
      if (der.ok()) {
        require(der->size() <= b.body.size());
        ++decoded;
      }
    }
  }
  auto chain = rats::crypto::parse_pem_chain(in);
  if (chain.ok()) {
    // A chain parses only when it splits and every block decodes, one certificate per block.
    require(blocks.ok());
    require(chain->size() == blocks->size());
    require(decoded == blocks->size());
  } else {
    require(chain.error().category() == base::Category::invalid_argument);
    require(!chain.error().message().empty());
  }
  require(ERR_peek_error() == 0);  // the error queue is left empty either way
  return 0;
}
