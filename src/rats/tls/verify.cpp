// Verification of a peer certificate's evidence: which extension, the binding of the evidence
// to the certificate's key (attestation-formats.md §7), then the verifier.
#include <openssl/evp.h>

#include <cstring>

#include "base/encoding.h"
#include "rats/crypto/x509.h"
#include "rats/tls/internal.h"

namespace rats::tls {

namespace {

// The digest named by an IANA Named Information hash algorithm id (1, 7, 8), or null.
const EVP_MD* named_info_digest(int64_t id) {
  switch (id) {
    case 1:
      return EVP_sha256();
    case 7:
      return EVP_sha384();
    case 8:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

base::Result<std::vector<uint8_t>> digest(const EVP_MD* md, std::span<const uint8_t> data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr) != 1)
    return crypto::internal("EVP_Digest failed");
  out.resize(n);
  return out;
}

std::string hex(std::span<const uint8_t> b) {
  return base::hex_encode(b.data(), b.size());
}

// Runs the verifier; an Error from it (unusable evidence) becomes the reason "evidence".
Verdict run_verifier(const PeerCheck& check, std::span<const uint8_t> evidence,
                     std::optional<Bytes<64>> report_data) {
  VerifyRequest req;
  req.evidence = evidence;
  req.collateral = check.collateral;
  req.at = check.at;
  req.report_data = report_data;
  req.policy = check.policy;
  base::Result<Verdict> r = check.verifier->verify(req);
  if (!r.ok()) {
    Verdict v;
    v.reject("evidence", r.error().message());
    return v;
  }
  // A REPORT the host asked for (the sim TEE's pal_get_local_report) never binds a key: its
  // REPORTDATA is the runtime's, not the enclave's, so only evidence the enclave made may.
  Verdict v = std::move(r).value();
  if (v.claims.is_object() && v.claims.value("report_origin", "") == "host")
    v.reject("report_origin",
             "the evidence is of a REPORT the host asked for (report_origin `host`), which binds "
             "no TLS key: only a REPORT the enclave asked for can");
  return v;
}

}  // namespace

base::Result<Verdict> verify_peer_cert(X509* cert, const PeerCheck& check, EvidenceForm* form) {
  if (check.verifier == nullptr) return base::invalid("no verifier");
  ASSIGN_OR_RETURN(CertEvidence ev, find_cert_evidence(cert));
  if (form != nullptr) *form = ev.form;
  if (X509_get0_pubkey(cert) == nullptr)
    return base::invalid("peer certificate has no usable public key");
  ASSIGN_OR_RETURN(std::vector<uint8_t> spki, crypto::spki_der(cert));

  if (ev.form == EvidenceForm::none) {
    if (check.verifier->name() == "nullverifier") return run_verifier(check, {}, std::nullopt);
    Verdict v;
    v.reject("evidence", "no evidence extension (" + std::string(kDiceEvidenceOid) + " or " +
                             std::string(kIntelRaTlsQuoteOid) + ") in the peer certificate");
    return v;
  }

  if (ev.form == EvidenceForm::intel_quote) {
    // REPORTDATA = SHA-256(DER SubjectPublicKeyInfo) || 32 zero bytes.
    ASSIGN_OR_RETURN(Bytes<64> rd, report_data_for(spki));
    return run_verifier(check, ev.value, rd);
  }

  // DICE: REPORTDATA = SHA-256(serialized claims) || 32 zero bytes, and the claims' pubkey-hash
  // is the hash of the certificate's SubjectPublicKeyInfo.
  base::Result<DiceEvidence> dice = decode_dice_evidence(ev.value);
  if (!dice.ok()) {
    Verdict v;
    v.reject("evidence", dice.error().message());
    return v;
  }
  std::vector<Reason> binding;
  base::Result<Claims> claims = decode_claims(dice->claims);
  if (!claims.ok()) {
    binding.push_back({"report_data", claims.error().message()});
  } else if (const EVP_MD* md = named_info_digest(claims->hash_alg); md == nullptr) {
    binding.push_back({"report_data", "claims `pubkey-hash` uses unsupported hash algorithm " +
                                          std::to_string(claims->hash_alg)});
  } else {
    ASSIGN_OR_RETURN(std::vector<uint8_t> want, digest(md, spki));
    if (claims->pubkey_hash != want) {
      binding.push_back({"report_data", "claims `pubkey-hash` " + hex(claims->pubkey_hash) +
                                            " is not the hash of the certificate's key " +
                                            hex(want)});
    }
  }
  ASSIGN_OR_RETURN(Bytes<64> rd, report_data_for(dice->claims));
  Verdict v = run_verifier(check, dice->evidence, rd);
  for (Reason& r : binding) v.reject(std::move(r.check), std::move(r.detail));
  return v;
}

base::Result<Verdict> verify_peer_certificate(std::span<const uint8_t> der, const PeerCheck& check,
                                              EvidenceForm* form) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size())
    return crypto::openssl_error(base::Category::invalid_argument, "malformed peer certificate");
  return verify_peer_cert(cert.get(), check, form);
}

}  // namespace rats::tls
