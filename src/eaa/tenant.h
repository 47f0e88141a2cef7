// The tenant's side of the EAA protocol (`shelter attest`, docs/eaa.md): from outside the cloud,
// an attested TLS session to the workload, then evidence for a fresh nonce over it, and one JSON
// verdict.
//   relay (direct): TLS to the workload at `address`; the handshake checks the certificate's
//   evidence against the policy; then hello and get_evidence with a fresh 32-byte nonce: that
//   evidence must pass the policy, carry the report data recomputed with the peer's key, have the
//   certificate's measurement claims (else both values are named) and, for sim, origin `enclave`.
// Through inclavared (the preamble) and the broker mode come with inclavared.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "base/json_reader.h"
#include "rats/policy.h"
#include "rats/verifier.h"

namespace eaa {

struct TenantOptions {
  std::string address;  // tcp://… or unix://…
  rats::Policy policy;
  std::optional<rats::Collateral> collateral;
  std::optional<int64_t> at;
  std::string sim_state_dir;
};

struct TenantResult {
  base::Json verdict;  // verdict, mode, address, container, tee, origin, nonce, claims, reasons
  bool trusted = false;
};

// A transport or TLS failure (not a rejection) is the error, naming the address.
base::Result<TenantResult> attest_relay(const TenantOptions& o);

}  // namespace eaa
