// Rats-TLS peer input: the DICE CBOR evidence wrapper, the CBOR claims map, and a peer
// certificate's evidence extension (DER certificate), each from the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "rats/tls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto dice = rats::tls::decode_dice_evidence(in);
  if (dice.ok()) (void)rats::tls::decode_claims(dice->claims);
  (void)rats::tls::decode_claims(in);
  (void)rats::tls::find_cert_evidence(in);
  return 0;
}
