// Parser of Intel DCAP ECDSA quotes: SGX v3, SGX/TDX v4 and TDX v5 (attestation-formats.md §1-4).
#pragma once

#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "rats/evidence.h"

namespace rats::formats {

// Parses a quote strictly by its own length fields. Bytes after the end the length fields give
// are ignored and counted in `trailing_bytes`. Fails (invalid_argument) on input over
// kMaxEvidenceSize, on any truncation or length inconsistency (naming the field and its offset),
// and on an unknown version, attestation key type (only 2), TEE type, body type or
// certification data type. The QE vendor id is recorded, not checked. No signature is checked.
base::Result<IntelQuote> parse_intel_quote(std::span<const uint8_t> data);

// The quote's claims as JSON, named as in ../shared/vectors/cases.json: byte strings as lowercase
// hex, integers as numbers, `debug` as a boolean. SGX: mrenclave, mrsigner, isv_prod_id, isv_svn,
// debug, report_data, ...; TDX: mrtd, rtmr0..rtmr3, mrconfigid, mrowner, td_attributes, ...
nlohmann::json claims_json(const IntelQuote& quote);

}  // namespace rats::formats
