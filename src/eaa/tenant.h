// The tenant's side of the EAA protocol (`shelter attest`, docs/eaa.md): from outside the cloud,
// a verdict on what runs in a confidential container.
//   relay (default): an attested TLS session to the workload (direct, or through inclavared with
//   the preamble {"connect":ID}); the handshake checks the certificate's evidence against the
//   policy; then hello and get_evidence with a fresh 32-byte nonce: that evidence must pass the
//   policy, carry the report data recomputed with the peer's key, have the certificate's
//   measurement claims (else both values are named) and, for sim, origin `enclave`.
//   broker (through inclavared, {"broker":true}): a TLS session to inclavared that proves
//   nothing by itself; get_evidence{container, nonce} returns `rune attest --nonce` evidence and
//   its TARGETINFO, which must carry the fresh nonce; SHA-256(TARGETINFO) || 0^32 must be the
//   verified report data, the policy must pass and, for sim, the origin be `host`.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "base/json_reader.h"
#include "rats/policy.h"
#include "rats/verifier.h"

namespace eaa {

struct TenantOptions {
  std::string address;    // tcp://… or unix://…
  std::string container;  // through inclavared when set
  bool broker = false;    // broker mode (needs `container`)
  rats::Policy policy;
  std::optional<rats::Collateral> collateral;
  std::optional<int64_t> at;
  std::string sim_state_dir;
  std::string attester;  // mutual (relay): present evidence from this attester
};

struct TenantResult {
  base::Json verdict;  // verdict, mode, address, container, tee, origin, nonce, claims, reasons
  bool trusted = false;
};

// A transport or TLS failure, or inclavared refusing the preamble (not a rejection), is the
// error, naming the address.
base::Result<TenantResult> attest(const TenantOptions& o);

}  // namespace eaa
