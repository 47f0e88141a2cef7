#include "rats/crypto/quote_signatures.h"

#include <algorithm>

#include <openssl/x509.h>

#include "base/encoding.h"
#include "rats/crypto/ecdsa.h"

namespace rats::crypto {

std::string_view sig_check_name(SigCheck check) {
  switch (check) {
    case SigCheck::qe_report_signature:
      return "qe_report_signature";
    case SigCheck::qe_report_data_binding:
      return "qe_report_data_binding";
    case SigCheck::quote_signature:
      return "quote_signature";
    case SigCheck::snp_report_signature:
      return "snp_report_signature";
  }
  return "unknown";
}

bool SignatureChecks::all_passed() const {
  return !results.empty() &&
         std::all_of(results.begin(), results.end(), [](const auto& r) { return r.passed; });
}

const SigCheckResult* SignatureChecks::find(SigCheck check) const {
  for (const auto& r : results) {
    if (r.check == check) return &r;
  }
  return nullptr;
}

std::string SignatureChecks::failures() const {
  std::string out;
  for (const auto& r : results) {
    if (r.passed) continue;
    if (!out.empty()) out += "; ";
    out += std::string(sig_check_name(r.check)) + ": " + r.reason;
  }
  return out;
}

namespace {

void record(SignatureChecks& out, SigCheck check, const base::Status& status) {
  out.results.push_back({check, status.ok(), status.ok() ? "" : status.error().message()});
}

void fail(SignatureChecks& out, SigCheck check, std::string reason) {
  out.results.push_back({check, false, std::move(reason)});
}

// §5.5: ECDSA-P256/SHA-256 over [0, signed_len) with the attestation key.
base::Status check_quote_signature(std::span<const uint8_t> data, const IntelQuote& quote) {
  if (quote.signed_len == 0 || quote.signed_len > data.size()) {
    return base::invalid("signed length " + std::to_string(quote.signed_len) +
                         " does not fit the " + std::to_string(data.size()) + "-byte input");
  }
  TRY_WRAP(verify_p256_sha256(quote.sig.attestation_key, data.first(quote.signed_len),
                              quote.sig.quote_signature),
           "attestation key");
  return base::ok();
}

// §5.4: QE REPORTDATA[0:32] = SHA-256(attestation key X||Y || QE auth data), [32:64] zero.
base::Status check_binding(const IntelQuote& quote) {
  std::vector<uint8_t> bound(quote.sig.attestation_key.begin(), quote.sig.attestation_key.end());
  bound.insert(bound.end(), quote.sig.qe_auth_data.begin(), quote.sig.qe_auth_data.end());
  ASSIGN_OR_RETURN(Bytes<32> digest, sha256(bound));
  const auto& rd = quote.sig.qe_report.report_data;
  if (!std::equal(digest.begin(), digest.end(), rd.begin())) {
    return base::invalid("QE REPORTDATA[0:32] is " + base::hex_encode(rd.data(), 32) +
                         ", SHA-256(attestation key || " +
                         std::to_string(quote.sig.qe_auth_data.size()) + "-byte QE auth data) is " +
                         base::hex_encode(digest.data(), 32));
  }
  if (std::any_of(rd.begin() + 32, rd.end(), [](uint8_t b) { return b != 0; })) {
    return base::invalid("QE REPORTDATA[32:64] is " + base::hex_encode(rd.data() + 32, 32) +
                         ", not zero");
  }
  return base::ok();
}

// §5.3: ECDSA-P256/SHA-256 over the raw 384-byte QE report with the PCK leaf key.
base::Status check_qe_report_signature(const IntelQuote& quote, const X509* caller_leaf) {
  const X509* leaf = caller_leaf;
  X509Ptr chain_leaf;
  if (quote.sig.cert_data_type == kCertDataPckChain) {
    auto chain = parse_pem_chain(quote.sig.cert_data);
    if (!chain.ok()) {
      return std::move(chain).error().wrap("PCK chain in the certification data (type 5)");
    }
    chain_leaf = std::move(chain->front());
    if (caller_leaf != nullptr && X509_cmp(caller_leaf, chain_leaf.get()) != 0) {
      return base::invalid("the PCK certificate given (`" + subject_name(caller_leaf) +
                           "`) is not the leaf of the quote's own chain (`" +
                           subject_name(chain_leaf.get()) + "`)");
    }
    leaf = chain_leaf.get();
  } else if (leaf == nullptr) {
    return base::invalid("certification data type " + std::to_string(quote.sig.cert_data_type) +
                         " carries no PCK chain and no PCK certificate was given");
  }
  EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (key == nullptr) {
    return base::invalid("PCK certificate `" + subject_name(leaf) + "` has no usable public key");
  }
  TRY_WRAP(verify_p256_sha256(key, quote.sig.qe_report_raw, quote.sig.qe_report_signature),
           "PCK certificate `" + subject_name(leaf) + "`");
  return base::ok();
}

}  // namespace

SignatureChecks check_intel_quote_signatures(std::span<const uint8_t> data, const IntelQuote& quote,
                                             const X509* pck_leaf) {
  SignatureChecks out;
  record(out, SigCheck::qe_report_signature, check_qe_report_signature(quote, pck_leaf));
  record(out, SigCheck::qe_report_data_binding, check_binding(quote));
  record(out, SigCheck::quote_signature, check_quote_signature(data, quote));
  return out;
}

SignatureChecks check_intel_quote_signatures(
    std::span<const uint8_t> data, const IntelQuote& quote,
    std::optional<std::span<const uint8_t>> pck_leaf_pem_or_der) {
  if (!pck_leaf_pem_or_der) return check_intel_quote_signatures(data, quote, nullptr);
  auto leaf = parse_certificate(*pck_leaf_pem_or_der);
  if (!leaf.ok()) {
    // The other two checks do not need the certificate; still run and report them.
    SignatureChecks out;
    fail(out, SigCheck::qe_report_signature, "PCK certificate: " + leaf.error().message());
    record(out, SigCheck::qe_report_data_binding, check_binding(quote));
    record(out, SigCheck::quote_signature, check_quote_signature(data, quote));
    return out;
  }
  return check_intel_quote_signatures(data, quote, leaf->get());
}

SignatureChecks check_snp_report_signature(std::span<const uint8_t> data, const SnpReport& report,
                                           const X509* vcek_or_vlek) {
  SignatureChecks out;
  if (report.signed_len != kSnpSignedLen || data.size() < kSnpSignedLen) {
    fail(out, SigCheck::snp_report_signature,
         "signed length " + std::to_string(report.signed_len) + " does not fit the " +
             std::to_string(data.size()) + "-byte input");
    return out;
  }
  if (vcek_or_vlek == nullptr) {
    fail(out, SigCheck::snp_report_signature, "no VCEK or VLEK certificate given");
    return out;
  }
  record(out, SigCheck::snp_report_signature,
         verify_p384_sha384_le(vcek_or_vlek, data.first(kSnpSignedLen), report.signature_r,
                               report.signature_s));
  return out;
}

SignatureChecks check_snp_report_signature(std::span<const uint8_t> data, const SnpReport& report,
                                           std::span<const uint8_t> vcek_or_vlek_pem_or_der) {
  auto cert = parse_certificate(vcek_or_vlek_pem_or_der);
  if (!cert.ok()) {
    SignatureChecks out;
    fail(out, SigCheck::snp_report_signature, "VCEK/VLEK certificate: " + cert.error().message());
    return out;
  }
  return check_snp_report_signature(data, report, cert->get());
}

}  // namespace rats::crypto
