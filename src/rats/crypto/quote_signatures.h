// The cryptographic checks of one piece of evidence that need no collateral
// (attestation-formats.md §5 steps 3-5 for Intel quotes, §6 SNP step 3).
//
// These only say that the evidence is signed by the keys it names (Intel) or by the certificate
// the caller gives (SNP). Whether those keys are trusted (PCK chain to the pinned root, CRLs,
// VCEK/VLEK chain to the ARK, TCB) is the verifier's job and not done here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "rats/evidence.h"

namespace rats::crypto {

enum class SigCheck {
  qe_report_signature,     // Intel §5.3: QE report signed by the PCK leaf key
  qe_report_data_binding,  // Intel §5.4: QE REPORTDATA = SHA-256(attestation key || QE auth data)
  quote_signature,         // Intel §5.5: signed region signed by the attestation key
  snp_report_signature,    // SNP §6.3: [0, 0x2A0) signed by the VCEK/VLEK
};

std::string_view sig_check_name(SigCheck check);

struct SigCheckResult {
  SigCheck check;
  bool passed = false;
  std::string reason;  // why it failed; empty when it passed
};

struct SignatureChecks {
  std::vector<SigCheckResult> results;  // in the order the checks ran

  bool all_passed() const;
  // The result of `check`, or nullptr when it did not run.
  const SigCheckResult* find(SigCheck check) const;
  // "check: reason; check: reason" over the failed checks.
  std::string failures() const;
};

// Runs the three Intel checks on `quote`, parsed from `data` (the signed region is read from
// `data`). The PCK leaf certificate is the first certificate of the quote's PEM chain when the
// certification data is type 5; for any other type (1-4, 7) it must be given as `pck_leaf`. A
// `pck_leaf` given for a type-5 quote must be the same certificate as the chain's leaf. Every
// check runs and is reported, even after one fails.
SignatureChecks check_intel_quote_signatures(std::span<const uint8_t> data, const IntelQuote& quote,
                                             const X509* pck_leaf = nullptr);
// The same with the PCK leaf certificate as PEM or DER bytes.
SignatureChecks check_intel_quote_signatures(
    std::span<const uint8_t> data, const IntelQuote& quote,
    std::optional<std::span<const uint8_t>> pck_leaf_pem_or_der);

// Checks the SNP report signature over [0, 0x2A0) of `data` with the public key of the VCEK or
// VLEK certificate.
SignatureChecks check_snp_report_signature(std::span<const uint8_t> data, const SnpReport& report,
                                           const X509* vcek_or_vlek);
// The same with the certificate as PEM or DER bytes.
SignatureChecks check_snp_report_signature(std::span<const uint8_t> data, const SnpReport& report,
                                           std::span<const uint8_t> vcek_or_vlek_pem_or_der);

}  // namespace rats::crypto
