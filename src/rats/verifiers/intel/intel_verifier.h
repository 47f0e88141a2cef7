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
// verdict's TEE ("sgx", "tdx" or "sim"). `cache` may be null.
base::Result<Verdict> verify_quote(Tee tee, const VerifyRequest& request, CollateralCache* cache,
                                   std::string_view tee_label);

base::Result<std::unique_ptr<Verifier>> make_sgx_verifier(const VerifierOptions& options);
base::Result<std::unique_ptr<Verifier>> make_tdx_verifier(const VerifierOptions& options);

}  // namespace rats::intel
