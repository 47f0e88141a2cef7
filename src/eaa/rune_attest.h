// `rune attest` without --report: evidence for an enclave container, made by the helper
// `rune-attest` (rune links neither OpenSSL nor the attestation library, so it execs the helper
// for this command only). The helper asks rune for the container's local REPORT
// (`rune attest --report --target-info F --output R`) for the quoting enclave's TARGETINFO with
// the nonce in its reserved bytes (rats/core/target_info.h), checks that the REPORTDATA is
// SHA-256 of that TARGETINFO (so the nonce is bound), has the quoting enclave quote the REPORT
// (the sim QE for sim containers; aesmd for intelSgx ones or with --aesm-socket) and prints the
// evidence as JSON (docs/eaa.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace eaa {

struct RuneAttestOptions {
  std::string rune;                 // rune's path
  std::vector<std::string> global;  // rune's global flags (--root …, --log …)
  std::string id;                   // the container
  std::string tee;                  // the container's enclave type (sim, intelSgx, …)
  std::string pal;                  // its enclave runtime (for messages)
  int pal_version = 0;
  std::optional<std::vector<uint8_t>> nonce;  // none: --no-nonce
  std::string output;                         // the raw evidence, when set
  std::string aesm_socket;                    // aesmd: forced by a path
  std::string sim_state_dir;
};

// The helper's whole run: the JSON on stdout and, with `output`, the evidence in that file.
// The exit code: 0 with evidence, 1 otherwise (the error on stderr).
int rune_attest(const RuneAttestOptions& o);

// The helper's command line: `rune-attest --rune PATH [--global FLAG]... --tee T --pal PATH
// --pal-version N [--nonce HEX | --no-nonce] [--output F] [--aesm-socket P] [--sim-state-dir D]
// ID` (rune builds it; the nonce defaults to 32 random bytes).
base::Result<RuneAttestOptions> parse_rune_attest_args(const std::vector<std::string>& args);

}  // namespace eaa
