// Verifier of Intel DCAP quotes: SGX (v3, v4) and TDX (v4, v5) — attestation-formats.md §5.
#pragma once

#include <memory>

#include "base/error.h"
#include "rats/core/cache.h"
#include "rats/evidence.h"
#include "rats/verifier.h"

namespace rats::intel {

// SHA-256 of the DER SubjectPublicKeyInfo of the production Intel SGX Root CA (the key every
// Intel PCK chain, TCB info and QE identity leads to). The only built-in Intel anchor.
extern const Bytes<32> kIntelSgxRootKeySha256;

// Verifies `request.evidence` as an Intel quote of `tee` (sgx or tdx). `tee_label` names the
// verdict's TEE ("sgx", "tdx" or "sim"). `cache` may be null. With a cache, verified collateral is
// reused by its exact bytes, and the QE report signature of a quote that verified in full is
// memoised in cache->signatures() under (QE report, signature, SHA-256 of the PCK certificate's
// DER) for the validity window of that verification's collateral: a later quote with the same
// triple, verified at a time inside that window, skips that one ECDSA verify (docs/attestation.md).
base::Result<Verdict> verify_quote(Tee tee, const VerifyRequest& request, CollateralCache* cache,
                                   std::string_view tee_label);

base::Result<std::unique_ptr<Verifier>> make_sgx_verifier(const VerifierOptions& options);
base::Result<std::unique_ptr<Verifier>> make_tdx_verifier(const VerifierOptions& options);

}  // namespace rats::intel
