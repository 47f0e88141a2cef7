// The "sim" verifier: the Intel SGX verifier, unchanged, with the sim root as the one extra trust
// anchor when the policy trusts it (ARCHITECTURE.md, "The TEE model without TEE hardware").
// Collateral comes from the request or, when none is given, from the sim state's collateral.json;
// the state is only read, never created or re-issued, so verifying at any time leaves it as it is.
#include <sys/stat.h>

#include <memory>
#include <mutex>

#include "base/file.h"
#include "rats/crypto/x509.h"
#include "rats/sim/sim_tee.h"
#include "rats/verifiers/intel/intel_verifier.h"

namespace rats::sim {

namespace {

class SimVerifier final : public Verifier {
 public:
  SimVerifier(std::string dir, std::shared_ptr<CollateralCache> cache)
      : dir_(std::move(dir)), cache_(std::move(cache)) {}
  std::string_view name() const override { return "sim"; }

  base::Result<Verdict> verify(const VerifyRequest& request) const override {
    std::shared_ptr<const Loaded> loaded;
    if (request.collateral == nullptr) {
      ASSIGN_OR_RETURN(loaded, state_collateral());
    } else {
      ASSIGN_OR_RETURN(Loaded given, with_root_key(*request.collateral));
      loaded = std::make_shared<const Loaded>(std::move(given));
    }
    // The sim root is trusted only when the policy says so: by its key in trusted_root_keys, or
    // by "trust_sim_root", which names the root of this state (STYLE.md §6: TrustSimRoot).
    Policy policy = request.policy ? *request.policy : Policy{};
    if (policy.trusts_sim_root()) policy.trust_sim_root(TrustSimRoot{}, loaded->root_key);
    VerifyRequest req = request;
    req.collateral = &loaded->collateral;
    req.policy = &policy;
    ASSIGN_OR_RETURN(Verdict v, intel::verify_quote(Tee::sgx, req, cache_.get(), "sim"));
    add_report_origin(request.evidence, v);
    return v;
  }

  // The claim `report_origin`: who asked for the REPORT the quote is of (ISVFAMILYID byte 0 of
  // the ISV report body, inclavare/sim_tee.h). Only with a parsed quote (claims present).
  static void add_report_origin(std::span<const uint8_t> evidence, Verdict& v) {
    constexpr size_t kOff = kQuoteHeaderSize + SIM_TEE_R_ISVFAMILYID_OFF;
    if (v.claims.empty() || evidence.size() <= kOff) return;
    switch (evidence[kOff]) {
      case SIM_TEE_ORIGIN_PROCESS:
        v.claims["report_origin"] = "process";
        break;
      case SIM_TEE_ORIGIN_HOST:
        v.claims["report_origin"] = "host";
        break;
      case SIM_TEE_ORIGIN_ENCLAVE:
        v.claims["report_origin"] = "enclave";
        break;
      default:
        v.claims["report_origin"] = "unknown";
        v.reject("report_origin", "ISVFAMILYID[0] = " + std::to_string(evidence[kOff]) +
                                      " names no origin of a sim REPORT (0 process, 1 host, 2 "
                                      "enclave)");
    }
  }

 private:
  struct Loaded {
    Collateral collateral;
    Bytes<32> root_key{};  // SHA-256 of the sim root's SubjectPublicKeyInfo
  };

  static base::Result<Loaded> with_root_key(Collateral collateral) {
    const auto* root_pem = collateral.find("root_ca");
    if (root_pem == nullptr) return base::invalid("sim collateral has no `root_ca`");
    auto root = crypto::parse_certificate(*root_pem);
    if (!root.ok()) return std::move(root).error().wrap("sim collateral `root_ca`");
    ASSIGN_OR_RETURN(Bytes<32> key, crypto::spki_sha256(root->get()));
    return Loaded{std::move(collateral), key};
  }

  // The state's collateral, read again only when collateral.json changes (the sim TEE re-issues
  // it by writing a new file and renaming it over the old one).
  base::Result<std::shared_ptr<const Loaded>> state_collateral() const {
    std::string path = base::path_join(dir_, "collateral.json");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return base::Error(
          base::Category::not_found,
          "sim TEE state `" + dir_ + "` has no collateral.json (no sim evidence was made there)");
    }
    std::lock_guard lock(mu_);
    if (loaded_ && st.st_ino == ino_ && st.st_mtim.tv_sec == mtime_.tv_sec &&
        st.st_mtim.tv_nsec == mtime_.tv_nsec)
      return loaded_;
    ASSIGN_OR_RETURN(Collateral c, load_collateral_json(path));
    ASSIGN_OR_RETURN(Loaded l, with_root_key(std::move(c)));
    loaded_ = std::make_shared<const Loaded>(std::move(l));
    ino_ = st.st_ino;
    mtime_ = st.st_mtim;
    return loaded_;
  }

  std::string dir_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Loaded> loaded_;
  mutable ino_t ino_ = 0;
  mutable struct timespec mtime_ {};
  std::shared_ptr<CollateralCache> cache_;
};

}  // namespace

base::Result<std::unique_ptr<Verifier>> make_sim_verifier(const VerifierOptions& options) {
  std::string dir = options.sim_state_dir.empty() ? default_state_dir() : options.sim_state_dir;
  return std::unique_ptr<Verifier>(new SimVerifier(std::move(dir), options.cache));
}

}  // namespace rats::sim
