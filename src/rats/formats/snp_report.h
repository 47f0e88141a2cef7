// Parser of AMD SEV-SNP ATTESTATION_REPORT (attestation-formats.md §6).
#pragma once

#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "rats/evidence.h"

namespace rats::formats {

// Parses a 1184-byte report. Bytes after it are ignored and counted in `trailing_bytes`. Fails
// (invalid_argument) on input over kMaxEvidenceSize, on a short input (naming the first field cut
// off and its offset), on an unknown VERSION (2..5 accepted), SIGNATURE_ALGO (only 1) or
// SIGNING_KEY (0 VCEK, 1 VLEK, 7 none). Non-zero reserved bytes are recorded in
// `nonzero_reserved_offset`, not rejected. No signature is checked.
base::Result<SnpReport> parse_snp_report(std::span<const uint8_t> data);

// The report's claims as JSON, named as in ../shared/vectors/cases.json: measurement,
// report_data, host_data, policy, debug (POLICY.DEBUG), vmpl, ...
nlohmann::json claims_json(const SnpReport& report);

}  // namespace rats::formats
