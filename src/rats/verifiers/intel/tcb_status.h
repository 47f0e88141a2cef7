// TCB status derivation for Intel quotes (attestation-formats.md §5 steps 7, 8 and 10; Intel QVL
// rules as the vectors' MANIFESTs state them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rats/evidence.h"
#include "rats/verifiers/intel/collateral_json.h"
#include "rats/verifiers/intel/pck_extensions.h"

namespace rats::intel {

// §5 step 7: the first level whose SGX components and PCESVN are all ≤ the PCK certificate's and,
// for TDX, whose TDX components are ≤ TEE_TCB_SVN (indexes 0 and 1 skipped when
// TEE_TCB_SVN[1] > 0). nullptr: no level matches (TCB not supported).
const TcbLevel* match_platform_level(const TcbInfo& info, const PckExtensions& pck,
                                     const Bytes<16>* tee_tcb_svn);

// §5 step 9: the first level with isvsvn ≤ `isv_svn`; nullptr when none.
const IsvLevel* match_isv_level(const std::vector<IsvLevel>& levels, uint16_t isv_svn);

// §5 steps 8 and 10: merges a TDX module or QE status into the platform status.
TcbStatus converge(TcbStatus platform, TcbStatus other);

}  // namespace rats::intel
