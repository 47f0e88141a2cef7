// ECDSA verification and hashes for evidence signatures, on OpenSSL 3 (attestation-formats.md
// §4-6).
//
// Intel quotes carry ECDSA-P256/SHA-256 signatures as raw big-endian r || s (64 bytes) and the
// attestation key as raw X || Y (64 bytes); AMD SEV-SNP reports carry ECDSA-P384/SHA-384 r and s
// as 72-byte little-endian fields and are checked against a VCEK/VLEK certificate's key.
//
// Every OpenSSL object is owned by a unique_ptr with its deleter. A verification returns ok() when
// the signature is valid and an Error otherwise: invalid_argument when the key, certificate or
// signature is malformed or the signature does not verify (the message says which), internal when
// OpenSSL itself fails. The OpenSSL error queue is left empty either way.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <openssl/types.h>

#include "base/error.h"
#include "rats/evidence.h"

namespace rats::crypto {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const;
};
struct X509Deleter {
  void operator()(X509* p) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// One-shot digests; they fail (internal) only when OpenSSL cannot allocate.
base::Result<Bytes<32>> sha256(std::span<const uint8_t> data);
base::Result<Bytes<48>> sha384(std::span<const uint8_t> data);

// Incremental SHA-256 (EVP); update() after a failed allocation is a no-op and final() fails.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void update(std::span<const uint8_t> data);
  // `data` preceded by its length as a u64, so that concatenations are unambiguous.
  void update_framed(std::span<const uint8_t> data);
  base::Result<Bytes<32>> final();

 private:
  EVP_MD_CTX* ctx_;
  bool ok_;
};

// A P-256 public key from its raw X || Y coordinates (big-endian). Fails when the point is not on
// the curve.
base::Result<PkeyPtr> p256_public_key(std::span<const uint8_t, 64> xy);

// Verifies an ECDSA-P256/SHA-256 signature r || s (big-endian, 32 + 32 bytes) over `message`.
// `key` must be a P-256 EC key (not const: OpenSSL takes a reference to it while verifying).
base::Status verify_p256_sha256(EVP_PKEY* key, std::span<const uint8_t> message,
                                std::span<const uint8_t, 64> signature_rs);
// The same with the key given as raw X || Y.
base::Status verify_p256_sha256(std::span<const uint8_t, 64> key_xy,
                                std::span<const uint8_t> message,
                                std::span<const uint8_t, 64> signature_rs);

// An ECDSA-Sig-Value in DER (SEQUENCE { INTEGER r, INTEGER s }), the form OpenSSL verifies.
inline constexpr size_t kEcdsaDerMaxValue = 48;  // bytes of r or s (P-384)
struct EcdsaDer {
  std::array<uint8_t, 2 + 2 * (2 + kEcdsaDerMaxValue + 1)> bytes{};
  size_t size = 0;  // 0: r or s was wider than kEcdsaDerMaxValue
  std::span<const uint8_t> der() const { return {bytes.data(), size}; }
};
// The DER of the unsigned big-endian values r and s, byte for byte as i2d_ECDSA_SIG writes it
// (minimal INTEGERs), built without allocating: signatures arrive as raw r || s fields.
EcdsaDer ecdsa_der(std::span<const uint8_t> r, std::span<const uint8_t> s);

// How many ECDSA verifications (P-256 and P-384) this process has handed to OpenSSL, counted from
// its start. For tests and benchmarks that count the signature work per piece of evidence.
uint64_t ecdsa_verifications();

// Verifies an ECDSA-P384/SHA-384 signature whose r and s are AMD's 72-byte little-endian fields
// (only the low 48 bytes may be non-zero) over `message`, with the public key of `cert`, which
// must be a P-384 EC key.
base::Status verify_p384_sha384_le(const X509* cert, std::span<const uint8_t> message,
                                   std::span<const uint8_t, 72> r_le,
                                   std::span<const uint8_t, 72> s_le);

// One X.509 certificate, PEM (starts with "-----BEGIN") or DER (the whole input, no trailing
// bytes).
base::Result<X509Ptr> parse_certificate(std::span<const uint8_t> pem_or_der);

// Every certificate of a PEM bundle, in order. Blocks are found by their BEGIN/END markers
// (pem.h: back to back, CRLF, trailing NULs and whitespace are accepted); stray text, a cut-short
// block or another PEM type is an error naming the certificate ("PEM certificate 2 of the chain
// ..."), and so is a bundle without any certificate. Defined in pem.cpp.
base::Result<std::vector<X509Ptr>> parse_pem_chain(std::span<const uint8_t> pem);

// Subject of `cert` in one line (RFC 2253), for messages.
std::string subject_name(const X509* cert);

}  // namespace rats::crypto
