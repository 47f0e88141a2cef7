// Verifier interface of the attestation library: evidence + collateral + time + policy in, a
// verdict with reasons and claims out (attestation-formats.md §5, §6; docs/attestation.md).
//
// Verification never fetches anything and never reads the clock: collateral is passed in by role
// and the time is a parameter. A verifier returns an Error only when the input is unusable
// (malformed, truncated or oversized evidence; unreadable or malformed collateral; evidence of
// another TEE); everything else — a bad signature, a broken chain, expired or revoked collateral,
// a TCB status or measurement the policy does not accept — is a Verdict with trusted = false and
// one Reason per failed check.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "rats/evidence.h"
#include "rats/policy.h"

namespace rats {

// Collateral by role. Intel: root_ca, pck_crl, pck_crl_issuer_chain, root_ca_crl, tcb_info,
// tcb_info_issuer_chain, qe_identity, qe_identity_issuer_chain, pck_cert, pck_cert_issuer_chain.
// AMD: ark, ask (ASK or ASVK), vcek (VCEK or VLEK). Values are the files' bytes as they are.
struct Collateral {
  std::map<std::string, std::vector<uint8_t>, std::less<>> by_role;

  const std::vector<uint8_t>* find(std::string_view role) const {
    auto it = by_role.find(role);
    return it == by_role.end() ? nullptr : &it->second;
  }
  bool has(std::string_view role) const { return find(role) != nullptr; }
};

// Every role name a collateral JSON may use.
std::span<const std::string_view> collateral_roles();

// Reads a collateral JSON object {"role": "path", ...}; relative paths are resolved against the
// JSON file's folder. Errors name the JSON file, the role and the path.
base::Result<Collateral> load_collateral_json(const std::string& path);
// The role -> path map of a collateral JSON text (paths as written), without reading the files;
// errors name `what` and the role.
base::Result<std::map<std::string, std::string>> parse_collateral_map(std::string_view text,
                                                                      const std::string& what);

// TCB status, best to worst (attestation-formats.md §5 step 10). Values are only ever appended.
enum class TcbStatus {
  UpToDate,
  SWHardeningNeeded,
  ConfigurationNeeded,
  ConfigurationAndSWHardeningNeeded,
  OutOfDate,
  OutOfDateConfigurationNeeded,
  TDRelaunchAdvised,
  TDRelaunchAdvisedConfigurationNeeded,
  Revoked,
};
std::string_view tcb_status_name(TcbStatus s);
std::optional<TcbStatus> parse_tcb_status(std::string_view name);

// One failed check: `check` is a stable identifier (e.g. "quote_signature", "pck_chain",
// "tcb_info", "tcb_status", "debug", "report_data", "policy.mrenclave"); `detail` says what was
// compared or what failed, with both values where there are two.
struct Reason {
  std::string check;
  std::string detail;
};

struct Verdict {
  bool trusted = false;
  std::string tee;                      // "sgx", "tdx", "snp", "sim", "null"
  std::optional<TcbStatus> tcb_status;  // Intel: derived from TCB info + QE identity
  std::vector<std::string>
      advisory_ids;             // of the selected TCB level, when the collateral names them
  std::vector<Reason> reasons;  // empty exactly when trusted
  nlohmann::json claims = nlohmann::json::object();  // names as in ../shared/vectors/cases.json
  size_t trailing_bytes = 0;  // evidence bytes after the end its length fields give

  void reject(std::string check, std::string detail) {
    trusted = false;
    reasons.push_back({std::move(check), std::move(detail)});
  }
  // {"verdict": "trusted"|"rejected", "tee", "tcb_status", "advisory_ids", "reasons": [..],
  //  "claims": {..}, "trailing_bytes"}
  nlohmann::json to_json() const;
};

struct VerifyRequest {
  std::span<const uint8_t> evidence;
  const Collateral* collateral = nullptr;  // may be null: no collateral
  int64_t at = 0;                          // Unix time to verify at
  std::optional<Bytes<64>> report_data;    // when set, the evidence's report data must equal it
  const Policy* policy = nullptr;          // null: the default policy
};

class CollateralCache;

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual std::string_view name() const = 0;
  virtual base::Result<Verdict> verify(const VerifyRequest& request) const = 0;
};

struct VerifierOptions {
  // Verified collateral shared between verifications (and verifiers); null: no caching.
  std::shared_ptr<CollateralCache> cache;
  // The sim TEE's state directory (its PKI and collateral); empty: the default
  // (docs/attestation.md).
  std::string sim_state_dir;
};

// Verifier names: "nullverifier", "sim", "sgx_ecdsa", "tdx_ecdsa", "snp"; short forms "null",
// "sgx", "tdx" are accepted. "sim" trusts the sim root only when the policy does
// (Policy::trust_sim_root(TrustSimRoot{}) or its key in trusted_root_keys). An unknown name is
// an error listing the known ones.
base::Result<std::unique_ptr<Verifier>> make_verifier(std::string_view name,
                                                      const VerifierOptions& options = {});
std::vector<std::string> verifier_names();

}  // namespace rats
