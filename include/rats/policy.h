// Relying-party policy: what a verifier accepts beyond valid signatures, chains and collateral
// (attestation-formats.md §5 step 11, §6 step 5). The JSON form is documented in
// docs/attestation.md.
//
// The default policy (Policy{}) trusts only the built-in roots (Intel SGX Root CA, AMD ARK
// Milan/Genoa/Turin), accepts TCB statuses UpToDate, SWHardeningNeeded, ConfigurationNeeded and
// ConfigurationAndSWHardeningNeeded, rejects debug enclaves/guests and requires no measurement.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "rats/evidence.h"

namespace rats {

enum class TcbStatus;

// Token for the one call that trusts the sim TEE's root, so that grep finds every place that
// does (STYLE.md §6).
struct TrustSimRoot {
  explicit TrustSimRoot() = default;
};

struct Policy {
  bool allow_debug = false;
  // Accepted TCB statuses; the default four unless set.
  std::vector<TcbStatus> accepted_tcb_statuses;
  // Roots trusted beyond the built-in ones, by SHA-256 of their DER SubjectPublicKeyInfo.
  std::vector<Bytes<32>> trusted_root_keys;
  std::optional<uint32_t> min_tcb_evaluation_data_number;

  // SGX (an empty list accepts any value; a non-empty one requires one of its values).
  std::vector<Bytes<32>> mrenclave;
  std::vector<Bytes<32>> mrsigner;
  std::optional<uint16_t> isv_prod_id;
  std::optional<uint16_t> min_isv_svn;
  // TDX
  std::vector<Bytes<48>> mrtd;
  std::array<std::vector<Bytes<48>>, 4> rtmr;
  std::vector<Bytes<48>> mrconfigid;
  std::vector<Bytes<48>> mrowner;
  std::vector<Bytes<48>> mrseam;  // the TDX module's measurement
  std::vector<Bytes<8>> xfam;     // as on the wire (little-endian bytes)
  // SNP
  std::vector<Bytes<48>> snp_measurement;
  std::vector<Bytes<32>> snp_host_data;
  std::optional<uint32_t> min_guest_svn;
  bool allow_migrate_ma = true;
  std::optional<uint32_t> max_vmpl;
  // ID block identity: the digests of the ID key and author key that signed the guest's ID block,
  // and the family/image ids it declared. A required author key digest also requires
  // AUTHOR_KEY_EN.
  std::vector<Bytes<48>> snp_id_key_digest;
  std::vector<Bytes<48>> snp_author_key_digest;
  std::vector<Bytes<16>> snp_family_id;
  std::vector<Bytes<16>> snp_image_id;

  bool accepts_tcb_status(TcbStatus s) const;
  bool trusts_root_key(const Bytes<32>& spki_sha256) const;

  // The sim TEE's root is trusted only through these two calls, which take the TrustSimRoot
  // token (so that grep finds every caller), or by its key in trusted_root_keys. Nothing else
  // sets it: there is no public flag (tests/unit/rats/core/policy_test.cpp checks this at
  // compile time).
  // Trusts the sim TEE root whose key fingerprint is `spki_sha256`.
  Policy& trust_sim_root(TrustSimRoot, const Bytes<32>& spki_sha256);
  // Trusts the root of whichever sim TEE state the `sim` verifier reads (JSON
  // "trust_sim_root": true); that verifier turns it into its root's key.
  Policy& trust_sim_root(TrustSimRoot);
  bool trusts_sim_root() const { return sim_root_trusted_; }

 private:
  bool sim_root_trusted_ = false;
};

// Parses the JSON policy (docs/attestation.md). Unknown keys, wrong types and malformed hex are
// errors naming the key; the first error is kept.
base::Result<Policy> parse_policy_json(std::string_view text);

}  // namespace rats
