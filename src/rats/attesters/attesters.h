// Hardware attesters (docs/attestation.md): TDX and SEV-SNP evidence through Linux configfs-tsm
// (attestation-formats.md §8), SGX quotes through aesmd or Gramine's /dev/attestation.
//
// Each checks that the evidence it returns parses and carries the requested report data, so a
// stale or foreign blob is an error here and not a verifier's rejection later.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "rats/attester.h"
#include "rats/attesters/tsm.h"

namespace rats::attesters {

// Gramine's attestation pseudo-filesystem.
inline constexpr const char* kGramineAttestationDir = "/dev/attestation";

// "tdx_ecdsa": provider tdx_guest under options.tsm_root; evidence = the TDX quote (outblob).
base::Result<std::unique_ptr<Attester>> make_tdx(const AttesterOptions& options,
                                                 tsm::Hooks hooks = {});
// "snp": provider sev_guest under options.tsm_root; evidence = the 1184-byte report (outblob).
// `privlevel` is the VMPL to request; none: the kernel's default.
base::Result<std::unique_ptr<Attester>> make_snp(const AttesterOptions& options,
                                                 tsm::Hooks hooks = {},
                                                 std::optional<uint32_t> privlevel = {});
// "sgx_ecdsa". With options.sgx_report: through aesmd at options.aesm_socket (src/sgx/aesm/
// client.h): the ECDSA key id, the quoting enclave's TARGETINFO, the enclave's REPORT from sgx_report, the quote;
// the quote must carry that REPORT's body. Without it: Gramine, writes the report data to
// `<dir>/user_report_data` and reads `<dir>/quote` (`<dir>/attestation_type`, when present, must
// say "dcap"); `dir` is kGramineAttestationDir unless a test gives another.
base::Result<std::unique_ptr<Attester>> make_sgx(const AttesterOptions& options,
                                                 std::string dir = kGramineAttestationDir);

}  // namespace rats::attesters
