// Intel DCAP quote verification: the steps of attestation-formats.md §5, in order. Collateral
// checks (PCK chain with CRLs, TCB info, QE identity) depend only on the collateral, the quote's
// certification data and the trust anchor, so their outcome is cached by those exact bytes
// together with the interval in which all of it is valid. The QE report and its signature by the
// PCK key are the same in every quote a quoting enclave signs with one attestation key, so a
// (QE report, signature, PCK certificate) triple that verified in a fully successful verification
// is memoised for that interval too. Per quote the work left is the quote signature, the binding
// and the comparisons.
#include "rats/verifiers/intel/intel_verifier.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <mutex>

#include "base/encoding.h"
#include "rats/core/policy_check.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/x509.h"
#include "rats/formats/intel_quote.h"
#include "rats/verifiers/intel/collateral_json.h"
#include "rats/verifiers/intel/pck_extensions.h"
#include "rats/verifiers/intel/tcb_status.h"

namespace rats::intel {

// openssl x509 -in intel_sgx_root_ca.pem -pubkey -noout | openssl pkey -pubin -outform DER |
// sha256sum (production root, serial 22650CD6…06AC; ../shared/vectors/sgx/MANIFEST.md).
const Bytes<32> kIntelSgxRootKeySha256 = {
    0xa0, 0xaf, 0x03, 0x12, 0x89, 0xf5, 0xd5, 0xd4, 0x13, 0x2f, 0x91, 0x86, 0x06, 0x8a, 0x7f, 0xc1,
    0x36, 0x28, 0x63, 0x3b, 0xa2, 0x35, 0x77, 0x74, 0x72, 0xe2, 0x9b, 0x6b, 0x6c, 0x67, 0xa4, 0x9e};

namespace {

using crypto::X509Ptr;

std::string hex(std::span<const uint8_t> b) {
  return base::hex_encode(b.data(), b.size());
}

// What the collateral checks establish; shared (read-only) between verifications via the cache.
struct VerifiedCollateral {
  X509Ptr pck_leaf;
  Bytes<32> pck_leaf_sha256{};  // SHA-256 of its DER: the signer of memoised QE report signatures
  PckExtensions pck;
  TcbInfo tcb_info;
  QeIdentity qe_identity;
  Bytes<32> anchor_key{};
  crypto::ValidityWindow window;
};

// SHA-256 of a certificate's DER encoding.
base::Result<Bytes<32>> der_sha256(const X509* cert) {
  int len = i2d_X509(cert, nullptr);
  std::vector<uint8_t> der(static_cast<size_t>(std::max(len, 0)));
  uint8_t* p = der.data();
  if (len <= 0 || i2d_X509(cert, &p) != len) {
    return base::Error(base::Category::internal,
                       "DER encoding of `" + crypto::subject_name(cert) + "` failed");
  }
  return crypto::sha256(der);
}

bool self_signed(const X509* cert) {
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

// Certificates of a PEM bundle (collateral or certification data); malformed → unusable input.
base::Result<std::vector<X509Ptr>> pem_chain(std::span<const uint8_t> bytes,
                                             std::string_view what) {
  auto chain = crypto::parse_pem_chain(bytes);
  if (!chain.ok()) return std::move(chain).error().wrap(std::string(what));
  return chain;
}

// Runs the collateral checks. Reasons go into `verdict`; an Error means unusable collateral.
// Returns the verified state when every check passed, else nullptr (with `leaf_out` still set
// when the PCK leaf could be read, so that the quote's own signatures are checked and reported).
class CollateralChecker {
 public:
  CollateralChecker(Tee tee, const IntelQuote& quote, const Collateral& collateral, int64_t at,
                    const Policy& policy, Verdict& verdict)
      : tee_(tee), quote_(quote), col_(collateral), at_(at), policy_(policy), verdict_(verdict) {}

  base::Result<std::shared_ptr<VerifiedCollateral>> run(X509Ptr& leaf_out) {
    auto state = std::make_shared<VerifiedCollateral>();
    bool ok = true;

    // Required roles (certification data types 1-4 also need the PCK certificate).
    std::vector<std::string> missing;
    for (const char* role : {"pck_crl", "root_ca_crl", "tcb_info", "tcb_info_issuer_chain",
                             "qe_identity", "qe_identity_issuer_chain"}) {
      if (!col_.has(role)) missing.push_back(role);
    }
    bool chain_in_quote = quote_.sig.cert_data_type == kCertDataPckChain;
    if (!chain_in_quote && !col_.has("pck_cert")) missing.push_back("pck_cert");
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      verdict_.reject("collateral", "missing " + list);
      ok = false;
    }

    // §5.2 PCK chain: from the quote (type 5) or the pck_cert / pck_cert_issuer_chain roles.
    std::vector<X509Ptr> chain;
    if (chain_in_quote) {
      ASSIGN_OR_RETURN(chain,
                       pem_chain(quote_.sig.cert_data, "quote certification data (PCK chain)"));
    } else if (const auto* pck = col_.find("pck_cert")) {
      auto leaf = crypto::parse_certificate(*pck);
      if (!leaf.ok()) return std::move(leaf).error().wrap("collateral `pck_cert`");
      chain.push_back(std::move(leaf).value());
      if (const auto* issuers = col_.find("pck_cert_issuer_chain")) {
        ASSIGN_OR_RETURN(auto rest, pem_chain(*issuers, "collateral `pck_cert_issuer_chain`"));
        for (auto& c : rest) chain.push_back(std::move(c));
      }
    }

    if (!chain.empty()) leaf_out.reset(X509_dup(chain[0].get()));

    // The trust anchor: root_ca collateral, else the chain's own self-signed root; either way
    // its key must be pinned or trusted by the policy. Never matched by name.
    X509Ptr anchor;
    if (const auto* root = col_.find("root_ca")) {
      auto cert = crypto::parse_certificate(*root);
      if (!cert.ok()) return std::move(cert).error().wrap("collateral `root_ca`");
      anchor = std::move(cert).value();
    } else if (!chain.empty() && self_signed(chain.back().get())) {
      anchor.reset(X509_dup(chain.back().get()));
    }
    if (!anchor) {
      verdict_.reject(
          "root_ca",
          "no root certificate: neither a root_ca collateral nor a root in the PCK chain");
      return std::shared_ptr<VerifiedCollateral>();
    }
    ASSIGN_OR_RETURN(state->anchor_key, crypto::spki_sha256(anchor.get()));
    if (state->anchor_key != kIntelSgxRootKeySha256 &&
        !policy_.trusts_root_key(state->anchor_key)) {
      verdict_.reject(
          "root_ca",
          "root `" + crypto::subject_name(anchor.get()) + "` has key sha256 " +
              hex(state->anchor_key) +
              ", which is neither the pinned Intel SGX Root CA key nor trusted by the policy");
      ok = false;
    }
    state->window.narrow(anchor.get());

    // CRLs (DER or PEM); malformed ones make the input unusable.
    std::vector<crypto::CrlPtr> crls;
    for (const char* role : {"pck_crl", "root_ca_crl"}) {
      if (const auto* bytes = col_.find(role)) {
        auto crl = crypto::parse_crl(*bytes);
        if (!crl.ok()) return std::move(crl).error().wrap("collateral `" + std::string(role) + "`");
        state->window.narrow(crl->get());
        crls.push_back(std::move(crl).value());
      }
    }
    std::vector<const X509_CRL*> crl_ptrs;
    for (const auto& c : crls) crl_ptrs.push_back(c.get());
    const X509_CRL* root_crl = col_.has("root_ca_crl") ? crls.back().get() : nullptr;

    if (!chain.empty()) {
      std::vector<const X509*> intermediates;
      for (size_t i = 1; i < chain.size(); ++i) {
        if (!self_signed(chain[i].get())) intermediates.push_back(chain[i].get());
      }
      std::vector<X509Ptr> crl_issuers;
      if (const auto* issuers = col_.find("pck_crl_issuer_chain")) {
        ASSIGN_OR_RETURN(crl_issuers, pem_chain(*issuers, "collateral `pck_crl_issuer_chain`"));
        for (const auto& c : crl_issuers) {
          if (!self_signed(c.get())) intermediates.push_back(c.get());
        }
      }
      for (size_t i = 0; i < chain.size(); ++i) {
        if (i == 0 || !self_signed(chain[i].get())) state->window.narrow(chain[i].get());
      }
      if (col_.has("pck_crl") && col_.has("root_ca_crl")) {
        auto st = crypto::verify_chain(
            {chain[0].get(), intermediates, anchor.get(), at_, crl_ptrs, crypto::CrlCheck::all});
        if (!st.ok()) {
          verdict_.reject("pck_chain", st.error().message());
          ok = false;
        }
      }
      auto pck = parse_pck_extensions(chain[0].get());
      if (!pck.ok()) {
        verdict_.reject("pck_extensions", pck.error().message());
        ok = false;
      } else {
        state->pck = *pck;
      }
    }

    // §5.6 TCB info; §5.9 QE identity: signed by the TCB signing key, chained to the anchor.
    if (const auto* text = col_.find("tcb_info")) {
      auto doc = parse_tcb_info(
          std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
      if (!doc.ok()) return std::move(doc).error().wrap("collateral `tcb_info`");
      ok &= check_signed("tcb_info", doc->signed_bytes, doc->signature, "tcb_info_issuer_chain",
                         anchor.get(), root_crl, doc->body.issue_date, doc->body.next_update,
                         state->window);
      ok &= check_tcb_info(doc->body, state->pck);
      state->tcb_info = std::move(doc->body);
    }
    if (const auto* text = col_.find("qe_identity")) {
      auto doc = parse_qe_identity(
          std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
      if (!doc.ok()) return std::move(doc).error().wrap("collateral `qe_identity`");
      ok &= check_signed("qe_identity", doc->signed_bytes, doc->signature,
                         "qe_identity_issuer_chain", anchor.get(), root_crl, doc->body.issue_date,
                         doc->body.next_update, state->window);
      const char* want = tee_ == Tee::tdx ? "TD_QE" : "QE";
      if (doc->body.id != want) {
        verdict_.reject("qe_identity", "id is `" + doc->body.id + "`, expected `" + want + "`");
        ok = false;
      }
      state->qe_identity = std::move(doc->body);
    }
    if (!ok || !leaf_out) return std::shared_ptr<VerifiedCollateral>();
    state->pck_leaf.reset(X509_dup(leaf_out.get()));
    ASSIGN_OR_RETURN(state->pck_leaf_sha256, der_sha256(state->pck_leaf.get()));
    return state;
  }

 private:
  // Signature of a TCB info / QE identity document and its issuer chain; validity of the
  // document at `at`.
  bool check_signed(const std::string& doc, const std::string& signed_bytes, const Bytes<64>& sig,
                    const char* chain_role, const X509* anchor, const X509_CRL* root_crl,
                    int64_t issue, int64_t next, crypto::ValidityWindow& window) {
    bool ok = true;
    const auto* chain_bytes = col_.find(chain_role);
    if (chain_bytes == nullptr) return false;  // reported as missing collateral
    auto chain = crypto::parse_pem_chain(*chain_bytes);
    if (!chain.ok()) {
      verdict_.reject(doc,
                      "collateral `" + std::string(chain_role) + "`: " + chain.error().message());
      return false;
    }
    const X509* signer = (*chain)[0].get();
    std::vector<const X509*> intermediates;
    for (size_t i = 1; i < chain->size(); ++i) {
      if (!self_signed((*chain)[i].get())) intermediates.push_back((*chain)[i].get());
      if (!self_signed((*chain)[i].get())) window.narrow((*chain)[i].get());
    }
    window.narrow(signer);
    std::vector<const X509_CRL*> crls;
    if (root_crl != nullptr) crls.push_back(root_crl);
    auto st = crypto::verify_chain({signer, intermediates, anchor, at_, crls,
                                    root_crl ? crypto::CrlCheck::all : crypto::CrlCheck::none});
    if (!st.ok()) {
      verdict_.reject(doc, "signing chain: " + st.error().message());
      ok = false;
    }
    auto verified = crypto::verify_p256_sha256(
        const_cast<EVP_PKEY*>(X509_get0_pubkey(signer)),
        std::span(reinterpret_cast<const uint8_t*>(signed_bytes.data()), signed_bytes.size()), sig);
    if (!verified.ok()) {
      verdict_.reject(doc, "signature: " + verified.error().message());
      ok = false;
    }
    window.narrow(issue, next);
    if (at_ < issue || at_ >= next) {
      verdict_.reject(doc, "not valid at " + std::to_string(at_) + ": issued " +
                               std::to_string(issue) + ", next update " + std::to_string(next) +
                               (at_ >= next ? " (expired)" : " (not yet issued)"));
      ok = false;
    }
    return ok;
  }

  // §5.6: id, FMSPC and PCE-ID against the PCK certificate; minimum evaluation data number.
  bool check_tcb_info(const TcbInfo& info, const PckExtensions& pck) {
    bool ok = true;
    const char* want = tee_ == Tee::tdx ? "TDX" : "SGX";
    if (info.version == 3 ? info.id != want : tee_ == Tee::tdx) {
      verdict_.reject("tcb_info", "is for `" +
                                      (info.id.empty() ? std::string("SGX (v2)") : info.id) +
                                      "`, expected `" + want + "`");
      ok = false;
    }
    if (info.fmspc != pck.fmspc) {
      verdict_.reject("tcb_info", "FMSPC " + hex(info.fmspc) +
                                      " differs from the PCK certificate's " + hex(pck.fmspc));
      ok = false;
    }
    if (info.pce_id != pck.pce_id) {
      verdict_.reject("tcb_info", "PCE-ID " + hex(info.pce_id) +
                                      " differs from the PCK certificate's " + hex(pck.pce_id));
      ok = false;
    }
    if (policy_.min_tcb_evaluation_data_number &&
        info.tcb_evaluation_data_number < *policy_.min_tcb_evaluation_data_number) {
      verdict_.reject("tcb_info", "tcbEvaluationDataNumber " +
                                      std::to_string(info.tcb_evaluation_data_number) +
                                      " is below the policy's minimum " +
                                      std::to_string(*policy_.min_tcb_evaluation_data_number));
      ok = false;
    }
    return ok;
  }

  Tee tee_;
  const IntelQuote& quote_;
  const Collateral& col_;
  int64_t at_;
  const Policy& policy_;
  Verdict& verdict_;
};

// Cache key: the TEE and certification data type, every collateral role's name and bytes, and
// the quote's certification data, compared byte for byte by the cache. (A SHA-256 over them,
// about 25 KB per quote, cost a quarter of a signature verification.)
class CollateralKey {
 public:
  CollateralKey(Tee tee, const IntelQuote& quote, const Collateral& collateral)
      : head_{static_cast<uint8_t>(tee), static_cast<uint8_t>(quote.sig.cert_data_type),
              static_cast<uint8_t>(quote.sig.cert_data_type >> 8)} {
    parts_.reserve(2 + 2 * collateral.by_role.size());
    parts_.emplace_back(head_);
    for (const auto& [role, bytes] : collateral.by_role) {
      parts_.emplace_back(reinterpret_cast<const uint8_t*>(role.data()), role.size());
      parts_.emplace_back(bytes);
    }
    parts_.emplace_back(quote.sig.cert_data);
  }
  CollateralKey(const CollateralKey&) = delete;  // parts_ points into head_
  CollateralKey& operator=(const CollateralKey&) = delete;

  KeyParts parts() const { return parts_; }

 private:
  std::array<uint8_t, 3> head_;
  std::vector<std::span<const uint8_t>> parts_;
};

// §5.9: the QE report against the QE identity; returns the matching level or nullptr.
const IsvLevel* check_qe_report(const IntelQuote& quote, const QeIdentity& id, Verdict& v) {
  const SgxReportBody& qe = quote.sig.qe_report;
  const auto& raw = quote.sig.qe_report_raw;
  bool ok = true;
  if (qe.mr_signer != id.mrsigner) {
    v.reject("qe_identity",
             "QE MRSIGNER " + hex(qe.mr_signer) + " differs from " + hex(id.mrsigner));
    ok = false;
  }
  if (qe.isv_prod_id != id.isv_prod_id) {
    v.reject("qe_identity", "QE ISVPRODID " + std::to_string(qe.isv_prod_id) + " differs from " +
                                std::to_string(id.isv_prod_id));
    ok = false;
  }
  // Byte by byte: the JSON hex is the report's bytes in order (MISCSELECT at 16, ATTRIBUTES at 48).
  for (size_t i = 0; i < 4; ++i) {
    if ((raw[16 + i] & id.miscselect_mask[i]) != id.miscselect[i]) {
      v.reject("qe_identity", "QE MISCSELECT " + hex(std::span(raw).subspan(16, 4)) + " & mask " +
                                  hex(id.miscselect_mask) + " differs from " + hex(id.miscselect));
      ok = false;
      break;
    }
  }
  for (size_t i = 0; i < 16; ++i) {
    if ((raw[48 + i] & id.attributes_mask[i]) != id.attributes[i]) {
      v.reject("qe_identity", "QE ATTRIBUTES " + hex(std::span(raw).subspan(48, 16)) + " & mask " +
                                  hex(id.attributes_mask) + " differs from " + hex(id.attributes));
      ok = false;
      break;
    }
  }
  if (!ok) return nullptr;
  const IsvLevel* level = match_isv_level(id.levels, qe.isv_svn);
  if (level == nullptr) {
    v.reject("qe_identity", "no QE identity level for QE ISVSVN " + std::to_string(qe.isv_svn) +
                                " (TCB not supported)");
  }
  return level;
}

void add_advisories(Verdict& v, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (std::find(v.advisory_ids.begin(), v.advisory_ids.end(), id) == v.advisory_ids.end())
      v.advisory_ids.push_back(id);
  }
}

// §5.7, §5.8, §5.10: the TCB status from the verified collateral; nullopt when not supported
// (the reason is recorded).
std::optional<TcbStatus> tcb_status(const IntelQuote& quote, const VerifiedCollateral& c,
                                    Verdict& v) {
  const TdReportBody* td = quote.td_body();
  const TcbLevel* platform =
      match_platform_level(c.tcb_info, c.pck, td ? &td->tee_tcb_svn : nullptr);
  if (platform == nullptr) {
    v.reject("tcb_status", "no matching TCB level (TCB not supported): PCK SVNs " +
                               hex(c.pck.comp_svn) + " PCESVN " + std::to_string(c.pck.pce_svn) +
                               (td ? " TEE_TCB_SVN " + hex(td->tee_tcb_svn) : std::string()));
    return std::nullopt;
  }
  TcbStatus status = platform->status;
  add_advisories(v, platform->advisory_ids);
  if (td != nullptr) {
    // §5.8 TDX module: MRSIGNERSEAM and SEAM attributes against tdxModule, then the module
    // identity TDX_<major> when TEE_TCB_SVN[1] > 0.
    const auto& m = *c.tcb_info.tdx_module;
    if (td->mr_signer_seam != m.mrsigner) {
      v.reject("tdx_module",
               "MRSIGNERSEAM " + hex(td->mr_signer_seam) + " differs from " + hex(m.mrsigner));
      return std::nullopt;
    }
    for (size_t i = 0; i < 8; ++i) {
      if ((td->seam_attributes[i] & m.attributes_mask[i]) != m.attributes[i]) {
        v.reject("tdx_module", "SEAMATTRIBUTES " + hex(td->seam_attributes) + " & mask " +
                                   hex(m.attributes_mask) + " differs from " + hex(m.attributes));
        return std::nullopt;
      }
    }
    auto module_status = [&](const Bytes<16>& svn) -> std::optional<const IsvLevel*> {
      if (svn[1] == 0) return nullptr;  // TDX 1.0 module: no module identity
      char want[8];
      std::snprintf(want, sizeof want, "TDX_%02X", svn[1]);
      for (const auto& id : c.tcb_info.tdx_module_identities) {
        if (id.id != want) continue;
        if (id.mrsigner != td->mr_signer_seam) return std::nullopt;
        for (size_t i = 0; i < 8; ++i) {
          if ((td->seam_attributes[i] & id.attributes_mask[i]) != id.attributes[i])
            return std::nullopt;
        }
        const IsvLevel* l = match_isv_level(id.levels, svn[0]);
        if (l == nullptr) return std::nullopt;
        return l;
      }
      return std::nullopt;
    };
    auto mod = module_status(td->tee_tcb_svn);
    if (!mod) {
      v.reject("tdx_module", "no TDX module identity level for TEE_TCB_SVN " +
                                 hex(td->tee_tcb_svn) + " (TCB not supported)");
      return std::nullopt;
    }
    if (*mod != nullptr) {
      add_advisories(v, (*mod)->advisory_ids);
      status = converge(status, (*mod)->status);
    }
    // TD 1.5: a TD launched under an out-of-date module that now runs a current one is advised
    // to relaunch.
    if (td->td15 &&
        (status == TcbStatus::OutOfDate || status == TcbStatus::OutOfDateConfigurationNeeded)) {
      const TcbLevel* now_level = match_platform_level(c.tcb_info, c.pck, &td->tee_tcb_svn2);
      auto now_mod = module_status(td->tee_tcb_svn2);
      if (now_level && now_mod) {
        TcbStatus now = now_level->status;
        if (*now_mod != nullptr) now = converge(now, (*now_mod)->status);
        if (now == TcbStatus::UpToDate || now == TcbStatus::SWHardeningNeeded)
          status = TcbStatus::TDRelaunchAdvised;
        else if (now == TcbStatus::ConfigurationNeeded ||
                 now == TcbStatus::ConfigurationAndSWHardeningNeeded)
          status = TcbStatus::TDRelaunchAdvisedConfigurationNeeded;
      }
    }
  }
  const IsvLevel* qe = check_qe_report(quote, c.qe_identity, v);
  if (qe == nullptr) return std::nullopt;
  add_advisories(v, qe->advisory_ids);
  return converge(status, qe->status);
}

// Attestation keys as OpenSSL keys, by their X || Y bytes. Building an EC key from raw
// coordinates costs OpenSSL 3 about as much as a verification (it sets up the curve each time),
// and a platform's quoting enclave uses one key for many quotes; the map is small and cleared when
// full.
base::Result<std::shared_ptr<EVP_PKEY>> attestation_key(const Bytes<64>& xy) {
  static std::mutex mu;
  static std::map<Bytes<64>, std::shared_ptr<EVP_PKEY>> keys;
  {
    std::lock_guard lock(mu);
    if (auto it = keys.find(xy); it != keys.end()) return it->second;
  }
  ASSIGN_OR_RETURN(crypto::PkeyPtr key, crypto::p256_public_key(xy));
  std::shared_ptr<EVP_PKEY> shared(key.release(), EVP_PKEY_free);
  std::lock_guard lock(mu);
  if (keys.size() >= 256) keys.clear();
  keys.emplace(xy, shared);
  return shared;
}

// How the QE report signature (§5.3) was established for one verification.
enum class QeReportSignature {
  not_checked,  // no PCK certificate could be read
  failed,
  verified,  // verified now
  memoised,  // the same triple verified in a fully successful verification, in this window
};

// §5.3: the QE report under the PCK leaf key. With verified collateral and a memo, a (QE report,
// signature, PCK certificate) triple recorded for a window holding `at` is not verified again: its
// result cannot differ.
QeReportSignature check_qe_report_signature(const IntelQuote& quote, const X509* leaf,
                                            const VerifiedCollateral* state,
                                            const SignatureMemo* memo, int64_t at, Verdict& v) {
  if (leaf == nullptr) return QeReportSignature::not_checked;
  if (state != nullptr && memo != nullptr &&
      memo->verified(quote.sig.qe_report_raw, quote.sig.qe_report_signature, state->pck_leaf_sha256,
                     at)) {
    return QeReportSignature::memoised;
  }
  auto st = crypto::verify_p256_sha256(const_cast<EVP_PKEY*>(X509_get0_pubkey(leaf)),
                                       quote.sig.qe_report_raw, quote.sig.qe_report_signature);
  if (!st.ok()) {
    v.reject("qe_report_signature", "QE report under the PCK key: " + st.error().message());
    return QeReportSignature::failed;
  }
  return QeReportSignature::verified;
}

// SHA-256(attestation key || QE auth data), the value §5.4 binds into the QE report.
Bytes<32> attestation_key_digest(const IntelQuoteSignatureData& sig) {
  constexpr size_t kKey = sizeof sig.attestation_key;
  std::array<uint8_t, kKey + 128> small;  // auth data is normally 32 bytes
  std::vector<uint8_t> large;
  std::span<uint8_t> buf;
  if (sig.qe_auth_data.size() <= small.size() - kKey) {
    buf = std::span(small).first(kKey + sig.qe_auth_data.size());
  } else {
    large.resize(kKey + sig.qe_auth_data.size());
    buf = large;
  }
  std::memcpy(buf.data(), sig.attestation_key.data(), kKey);
  if (!sig.qe_auth_data.empty())
    std::memcpy(buf.data() + kKey, sig.qe_auth_data.data(), sig.qe_auth_data.size());
  auto digest = crypto::sha256(buf);
  return digest.ok() ? *digest : Bytes<32>{};  // all zero (no match) only if SHA-256 fails
}

// §5.4-5.5: the binding of the attestation key into the QE report and the quote signature.
void check_quote_signature(std::span<const uint8_t> data, const IntelQuote& quote, Verdict& v) {
  // §5.4: QE REPORTDATA = SHA-256(attestation key || QE auth data) || 32 zero bytes.
  Bytes<32> digest = attestation_key_digest(quote.sig);
  const auto& rd = quote.sig.qe_report.report_data;
  bool zero_tail = std::all_of(rd.begin() + 32, rd.end(), [](uint8_t b) { return b == 0; });
  if (std::memcmp(rd.data(), digest.data(), 32) != 0 || !zero_tail) {
    v.reject("qe_report_data_binding", "QE REPORTDATA " + hex(rd) +
                                           " is not SHA-256(attestation key || QE auth data) " +
                                           hex(digest) + " followed by zeros");
  }
  auto key = attestation_key(quote.sig.attestation_key);
  base::Status st = key.ok() ? crypto::verify_p256_sha256(key->get(), data.first(quote.signed_len),
                                                          quote.sig.quote_signature)
                             : base::Status(key.error());
  if (!st.ok())
    v.reject("quote_signature", "quote under the attestation key: " + st.error().message());
}

// §5.11: relying-party policy on the report body.
void check_policy(const IntelQuote& quote, const Policy& p, const VerifyRequest& req, Verdict& v) {
  if (const SgxReportBody* b = quote.sgx_body()) {
    if (b->debug() && !p.allow_debug)
      v.reject("debug", "the enclave is a debug enclave (ATTRIBUTES.DEBUG set)");
    expect_listed(v, "policy.mrenclave", "", p.mrenclave, b->mr_enclave);
    expect_listed(v, "policy.mrsigner", "", p.mrsigner, b->mr_signer);
    if (p.isv_prod_id && b->isv_prod_id != *p.isv_prod_id)
      v.reject("policy.isv_prod_id", std::to_string(b->isv_prod_id) + " is not the expected " +
                                         std::to_string(*p.isv_prod_id));
    if (p.min_isv_svn && b->isv_svn < *p.min_isv_svn)
      v.reject("policy.isv_svn", std::to_string(b->isv_svn) + " is below the minimum " +
                                     std::to_string(*p.min_isv_svn));
    if (req.report_data && b->report_data != *req.report_data)
      v.reject("report_data",
               hex(b->report_data) + " differs from the expected " + hex(*req.report_data));
  } else if (const TdReportBody* t = quote.td_body()) {
    if (t->debug() && !p.allow_debug)
      v.reject("debug", "the TD is a debug TD (TDATTRIBUTES.DEBUG set)");
    expect_listed(v, "policy.mrtd", "", p.mrtd, t->mr_td);
    for (size_t i = 0; i < 4; ++i) {
      std::string check = "policy.rtmr" + std::to_string(i);
      expect_listed(v, check, "", p.rtmr[i], t->rtmr[i]);
    }
    expect_listed(v, "policy.mrconfigid", "", p.mrconfigid, t->mr_config_id);
    expect_listed(v, "policy.mrowner", "", p.mrowner, t->mr_owner);
    expect_listed(v, "policy.mrseam", "", p.mrseam, t->mr_seam);
    expect_listed(v, "policy.xfam", "", p.xfam, t->xfam);
    if (req.report_data && t->report_data != *req.report_data)
      v.reject("report_data",
               hex(t->report_data) + " differs from the expected " + hex(*req.report_data));
  }
}

class IntelVerifier final : public Verifier {
 public:
  IntelVerifier(Tee tee, std::string name, std::shared_ptr<CollateralCache> cache)
      : tee_(tee), name_(std::move(name)), cache_(std::move(cache)) {}
  std::string_view name() const override { return name_; }
  base::Result<Verdict> verify(const VerifyRequest& request) const override {
    return verify_quote(tee_, request, cache_.get(), tee_name(tee_));
  }

 private:
  Tee tee_;
  std::string name_;
  std::shared_ptr<CollateralCache> cache_;
};

}  // namespace

base::Result<Verdict> verify_quote(Tee tee, const VerifyRequest& req, CollateralCache* cache,
                                   std::string_view tee_label) {
  // §5.1 parse strictly and validate the header.
  auto parsed = formats::parse_intel_quote(req.evidence);
  if (!parsed.ok()) return std::move(parsed).error().wrap("evidence");
  const IntelQuote& quote = *parsed;
  if (quote.tee != tee) {
    return base::invalid("evidence is a " + std::string(tee_name(quote.tee)) + " quote, not " +
                         std::string(tee_name(tee)));
  }
  static const Policy kDefaultPolicy;
  static const Collateral kNoCollateral;
  const Policy& policy = req.policy ? *req.policy : kDefaultPolicy;
  const Collateral& collateral = req.collateral ? *req.collateral : kNoCollateral;

  Verdict v;
  v.trusted = true;
  v.tee = std::string(tee_label);
  v.claims = formats::claims_json(quote);
  v.trailing_bytes = quote.trailing_bytes;
  if (!quote.qe_vendor_is_intel())
    v.reject("qe_vendor", "QE vendor id " + hex(quote.header.qe_vendor_id) + " is not Intel's");

  // Collateral: from the cache when this exact collateral was verified for a window holding `at`.
  std::shared_ptr<const VerifiedCollateral> state;
  std::optional<CollateralKey> key;
  if (cache != nullptr) {
    key.emplace(tee, quote, collateral);
    state = cache->find_as<VerifiedCollateral>(key->parts(), req.at);
    if (state && state->anchor_key != kIntelSgxRootKeySha256 &&
        !policy.trusts_root_key(state->anchor_key)) {
      v.reject("root_ca",
               "root key sha256 " + hex(state->anchor_key) +
                   " is neither the pinned Intel SGX Root CA key nor trusted by the policy");
    }
    if (state && policy.min_tcb_evaluation_data_number &&
        state->tcb_info.tcb_evaluation_data_number < *policy.min_tcb_evaluation_data_number) {
      state = nullptr;  // re-run the checks so the reason is reported the usual way
    }
  }
  X509Ptr leaf;
  if (!state) {
    CollateralChecker checker(tee, quote, collateral, req.at, policy, v);
    ASSIGN_OR_RETURN(std::shared_ptr<VerifiedCollateral> fresh, checker.run(leaf));
    if (fresh && cache != nullptr) cache->insert(key->parts(), fresh->window, fresh);
    state = fresh;
  }
  SignatureMemo* memo = cache != nullptr ? &cache->signatures() : nullptr;
  QeReportSignature qe_signature = check_qe_report_signature(
      quote, state ? state->pck_leaf.get() : leaf.get(), state.get(), memo, req.at, v);
  check_quote_signature(req.evidence, quote, v);
  if (state) {
    v.tcb_status = tcb_status(quote, *state, v);
    if (v.tcb_status && !policy.accepts_tcb_status(*v.tcb_status)) {
      v.reject("tcb_status", "TCB status " + std::string(tcb_status_name(*v.tcb_status)) +
                                 " is not accepted by the policy");
    }
  }
  check_policy(quote, policy, req, v);
  v.trusted = v.reasons.empty();
  // Memoised only after a verification whose every check passed, for its collateral's window.
  if (v.trusted && qe_signature == QeReportSignature::verified && state && memo != nullptr) {
    memo->record(quote.sig.qe_report_raw, quote.sig.qe_report_signature, state->pck_leaf_sha256,
                 state->window);
  }
  return v;
}

base::Result<std::unique_ptr<Verifier>> make_sgx_verifier(const VerifierOptions& options) {
  return std::unique_ptr<Verifier>(new IntelVerifier(Tee::sgx, "sgx_ecdsa", options.cache));
}

base::Result<std::unique_ptr<Verifier>> make_tdx_verifier(const VerifierOptions& options) {
  return std::unique_ptr<Verifier>(new IntelVerifier(Tee::tdx, "tdx_ecdsa", options.cache));
}

}  // namespace rats::intel
