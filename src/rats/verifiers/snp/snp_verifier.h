// AMD SEV-SNP verifier (attestation-formats.md §6, "SNP verification steps").
//
// Evidence is one ATTESTATION_REPORT; collateral is the ARK, the ASK (or ASVK) and the VCEK (or
// VLEK) by role ("ark", "ask", "vcek"), each PEM or DER. The ARK is trusted by the SHA-256 of its
// SubjectPublicKeyInfo only: one of the built-in AMD roots (Milan, Genoa, Turin) or a key the
// policy names; never by its name.
//
// With a CollateralCache, the parsed VCEK/VLEK (its key and AMD extensions) and the result of the
// chain check are kept under the SHA-256 of the three certificates' bytes, for the interval in
// which all three are valid; a verification that hits the cache parses no certificate and
// builds no chain, leaving the report signature and comparisons.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "base/error.h"
#include "rats/evidence.h"
#include "rats/verifier.h"

namespace rats {
class CollateralCache;
}

namespace rats::snp {

// SHA-256 of the DER SubjectPublicKeyInfo of the built-in AMD root keys.
extern const Bytes<32> kArkMilanKey;
extern const Bytes<32> kArkGenoaKey;  // also Bergamo and Siena
extern const Bytes<32> kArkTurinKey;
// The product ("Milan", "Genoa", "Turin") whose built-in ARK has this key, or empty.
std::string_view builtin_ark_product(const Bytes<32>& spki_sha256);

// The AMD extensions (OID 1.3.6.1.4.1.3704.1.*) of a VCEK or VLEK certificate, decoded.
struct AmdCertInfo {
  std::optional<uint32_t> struct_version;  // .1
  std::string product_name;                // .2, e.g. "Milan-B0" (VCEK) or "Milan" (VLEK)
  std::optional<uint8_t> bl_spl;           // .3.1
  std::optional<uint8_t> tee_spl;          // .3.2
  std::optional<uint8_t> snp_spl;          // .3.3
  std::optional<uint8_t> ucode_spl;        // .3.8
  std::optional<uint8_t> fmc_spl;          // .3.9 (Turin)
  std::vector<uint8_t> hw_id;              // .4, VCEK only; raw bytes (64, or 8 on Turin)
  std::optional<std::string> csp_id;       // .5, VLEK only

  bool is_vlek() const { return csp_id.has_value(); }
  // The product part of productName ("Milan" for "Milan-B0"); empty when absent.
  std::string product() const;
};

// Decodes the AMD extensions of `cert`. hwID is accepted as the raw bytes or as a DER OCTET
// STRING around them (`04 40 ...`). Fails (invalid_argument, naming the extension) when an
// extension is present but malformed.
base::Result<AmdCertInfo> read_amd_extensions(const X509* cert);

// The product a v3+ report's CPUID fields name ("Milan", "Genoa", "Turin"), or empty when the
// fields are zero (v2) or the family/model is not one this verifier knows.
std::string_view product_from_cpuid(const SnpReport& report);

// One TCB_VERSION split into its components; the layout depends on the product (§6: Turin
// puts FMC in byte 0 and moves the others down).
struct TcbParts {
  uint8_t fmc = 0;  // Turin only
  uint8_t bl = 0;
  uint8_t tee = 0;
  uint8_t snp = 0;
  uint8_t ucode = 0;
};
TcbParts split_tcb(uint64_t tcb_version, bool turin);

// Verifies one SNP report (see rats/verifier.h for what is an Error and what a Verdict).
// `cache` may be null.
base::Result<Verdict> verify_report(const VerifyRequest& req, CollateralCache* cache);

// The verifier named "snp"; uses options.cache.
base::Result<std::unique_ptr<Verifier>> make_verifier(const VerifierOptions& options);

}  // namespace rats::snp
