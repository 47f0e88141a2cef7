// X.509 certificate chains, CRLs and extensions on OpenSSL 3, for the verifiers' collateral
// (attestation-formats.md §5 step 2, §5 step 6, §6 step 2).
//
// Trust anchors are chosen by the caller (a pinned key or one the policy trusts); this file only
// checks that a chain leads to the anchor it is given, at the time it is given.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "base/error.h"
#include "rats/crypto/ecdsa.h"
#include "rats/evidence.h"

namespace rats::crypto {

struct CrlDeleter {
  void operator()(X509_CRL* p) const;
};
using CrlPtr = std::unique_ptr<X509_CRL, CrlDeleter>;

// One CRL, PEM ("-----BEGIN X509 CRL-----") or DER (the whole input).
base::Result<CrlPtr> parse_crl(std::span<const uint8_t> pem_or_der);

// The DER SubjectPublicKeyInfo of `cert`, and its SHA-256: the key fingerprint trust anchors are
// pinned by.
base::Result<std::vector<uint8_t>> spki_der(const X509* cert);
base::Result<Bytes<32>> spki_sha256(const X509* cert);

// Certificate and CRL times as Unix seconds. A CRL without nextUpdate gives the maximum.
int64_t not_before(const X509* cert);
int64_t not_after(const X509* cert);
int64_t this_update(const X509_CRL* crl);
int64_t next_update(const X509_CRL* crl);

// The contents of the OCTET STRING of the extension `oid` (dotted text), or nullopt when the
// certificate has no such extension. An error when the OID text is malformed or the extension
// appears more than once.
base::Result<std::optional<std::vector<uint8_t>>> extension_value(const X509* cert,
                                                                  std::string_view oid);

// Interval of Unix times [from, until) in which a set of certificates, CRLs and signed JSON
// documents are all valid; narrowed by each item.
struct ValidityWindow {
  int64_t from = std::numeric_limits<int64_t>::min();
  int64_t until = std::numeric_limits<int64_t>::max();

  void narrow(int64_t item_from, int64_t item_until);
  void narrow(const X509* cert) { narrow(not_before(cert), not_after(cert) + 1); }
  void narrow(const X509_CRL* crl) { narrow(this_update(crl), next_update(crl)); }
  bool contains(int64_t t) const { return from <= t && t < until; }
};

enum class CrlCheck {
  none,  // no revocation check
  leaf,  // the leaf against its issuer's CRL
  all,   // every certificate below the anchor against its issuer's CRL
};

struct ChainInput {
  const X509* leaf = nullptr;
  std::vector<const X509*> intermediates;  // untrusted; any order
  const X509* anchor = nullptr;            // the trusted root
  int64_t at = 0;                          // Unix time to check validity at
  std::vector<const X509_CRL*> crls;       // CRLs to consult; each must be signed by its issuer
  CrlCheck crl_check = CrlCheck::none;
};

// Verifies leaf ← intermediates ← anchor: signatures (ECDSA or RSA-PSS), validity at `at`
// (anchor included), CA basic constraints, and with CRLs that no certificate is revoked and that
// each CRL is signed by its issuer and current (thisUpdate ≤ at < nextUpdate). The error names
// the certificate or CRL and what is wrong with it ("certificate has expired", "CRL has expired",
// "certificate revoked", "unable to get local issuer certificate", ...).
base::Status verify_chain(const ChainInput& input);

}  // namespace rats::crypto
