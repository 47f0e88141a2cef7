#include "rats/verifiers/snp/snp_verifier.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include <openssl/x509.h>

#include "base/encoding.h"
#include "rats/core/cache.h"
#include "rats/core/policy_check.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/x509.h"
#include "rats/formats/snp_report.h"
#include "rats/policy.h"

namespace rats::snp {

// Values computed from the ARK certificates in ../shared/vectors/snp/go-sev-guest
// (`openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum`); the certificates'
// own SHA-256 fingerprints are the ones vectors/snp/MANIFEST.md lists for ARK-Milan
// (69:D0:63:B4...), ARK-Genoa (4C:65:98:D1...) and ARK-Turin (1F:08:41:61...).
// ARK-Milan (ark_milan.pem, CN=ARK-Milan, 2020-10-22 .. 2045-10-22).
const Bytes<32> kArkMilanKey = {0x9f, 0x05, 0x6b, 0xee, 0x44, 0x37, 0x7e, 0x29, 0x30, 0x8c, 0xb5,
                                0xff, 0xa8, 0x95, 0xbd, 0xfb, 0x62, 0xd1, 0x88, 0x81, 0xfa, 0x6b,
                                0xed, 0x8d, 0x6f, 0x07, 0x5b, 0x02, 0x04, 0x08, 0x9c, 0xb9};
// ARK-Genoa (second certificate of ask_ark_genoa.pem, 2022-01-26 .. 2047-01-26).
const Bytes<32> kArkGenoaKey = {0x42, 0x9a, 0x69, 0xc9, 0x42, 0x2a, 0xa2, 0x58, 0xee, 0x4d, 0x8d,
                                0xb5, 0xfc, 0xda, 0x9c, 0x64, 0x70, 0xef, 0x15, 0xf8, 0xcd, 0x5a,
                                0x9c, 0xeb, 0xd6, 0xcb, 0xc7, 0xd9, 0x0b, 0x86, 0x38, 0x31};
// ARK-Turin (second certificate of ask_ark_turin_vcek.pem, 2023-05-15 .. 2048-05-15).
const Bytes<32> kArkTurinKey = {0x4f, 0x12, 0x54, 0x10, 0x56, 0x3a, 0x2a, 0xb9, 0xa5, 0x03, 0x56,
                                0xf9, 0x24, 0x3f, 0x6f, 0xe0, 0xb6, 0xf7, 0x3d, 0xe9, 0x86, 0x03,
                                0xf5, 0x3f, 0x90, 0x33, 0x9c, 0x70, 0xe9, 0xd7, 0xad, 0x08};

std::string_view builtin_ark_product(const Bytes<32>& key) {
  if (key == kArkMilanKey) return "Milan";
  if (key == kArkGenoaKey) return "Genoa";
  if (key == kArkTurinKey) return "Turin";
  return {};
}

namespace {

template <size_t N>
std::string hex(const Bytes<N>& b) {
  return base::hex_encode(b.data(), N);
}
std::string hex(std::span<const uint8_t> b) {
  return base::hex_encode(b.data(), b.size());
}

std::string hex_u64(uint64_t x) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(x));
  return buf;
}

constexpr std::string_view kAmdOid = "1.3.6.1.4.1.3704.1.";

base::Result<std::optional<std::vector<uint8_t>>> amd_extension(const X509* cert,
                                                                std::string_view suffix) {
  return crypto::extension_value(cert, std::string(kAmdOid) + std::string(suffix));
}

base::Error malformed(std::string_view suffix, std::string_view name, std::string_view what) {
  return base::invalid("AMD extension " + std::string(kAmdOid) + std::string(suffix) + " (" +
                       std::string(name) + ") " + std::string(what));
}

// A DER INTEGER that fits an unsigned value (`02 01 xx`, `02 02 00 xx`, ...).
base::Result<uint32_t> der_uint(const std::vector<uint8_t>& v, std::string_view suffix,
                                std::string_view name) {
  if (v.size() < 3 || v[0] != 0x02 || v[1] != v.size() - 2 || v[1] > 5) {
    return malformed(suffix, name, "is not a small DER INTEGER: " + hex(v));
  }
  if (v[2] & 0x80) return malformed(suffix, name, "is negative");
  if (v[1] == 5 && v[2] != 0) return malformed(suffix, name, "does not fit 32 bits");
  uint32_t out = 0;
  for (size_t i = 2; i < v.size(); ++i) out = (out << 8) | v[i];
  return out;
}

// An IA5String or UTF8String.
base::Result<std::string> der_string(const std::vector<uint8_t>& v, std::string_view suffix,
                                     std::string_view name) {
  if (v.size() < 2 || (v[0] != 0x16 && v[0] != 0x0c) || v[1] >= 0x80 || v[1] != v.size() - 2) {
    return malformed(suffix, name, "is not a short DER IA5String: " + hex(v));
  }
  return std::string(v.begin() + 2, v.end());
}

base::Result<std::optional<uint8_t>> spl(const X509* cert, std::string_view suffix,
                                         std::string_view name) {
  ASSIGN_OR_RETURN(auto raw, amd_extension(cert, suffix));
  if (!raw) return std::optional<uint8_t>();
  ASSIGN_OR_RETURN(uint32_t v, der_uint(*raw, suffix, name));
  if (v > 0xff) return malformed(suffix, name, "is over 255: " + std::to_string(v));
  return std::optional<uint8_t>(static_cast<uint8_t>(v));
}

}  // namespace

std::string AmdCertInfo::product() const {
  return product_name.substr(0, product_name.find('-'));
}

base::Result<AmdCertInfo> read_amd_extensions(const X509* cert) {
  AmdCertInfo info;
  ASSIGN_OR_RETURN(auto version, amd_extension(cert, "1"));
  if (version) {
    ASSIGN_OR_RETURN(info.struct_version, der_uint(*version, "1", "structVersion"));
  }
  ASSIGN_OR_RETURN(auto product, amd_extension(cert, "2"));
  if (product) {
    ASSIGN_OR_RETURN(info.product_name, der_string(*product, "2", "productName"));
  }
  ASSIGN_OR_RETURN(info.bl_spl, spl(cert, "3.1", "blSPL"));
  ASSIGN_OR_RETURN(info.tee_spl, spl(cert, "3.2", "teeSPL"));
  ASSIGN_OR_RETURN(info.snp_spl, spl(cert, "3.3", "snpSPL"));
  ASSIGN_OR_RETURN(info.ucode_spl, spl(cert, "3.8", "ucodeSPL"));
  ASSIGN_OR_RETURN(info.fmc_spl, spl(cert, "3.9", "fmcSPL"));
  ASSIGN_OR_RETURN(auto hw_id, amd_extension(cert, "4"));
  if (hw_id) {
    // Raw bytes (legacy) or a DER OCTET STRING around them (04 40 ... for 64 bytes, 04 08 ...
    // for Turin's 8): a raw value never has its own length minus 2 in its second byte.
    std::vector<uint8_t>& v = *hw_id;
    if (v.size() >= 2 && v[0] == 0x04 && v[1] == v.size() - 2 && v[1] < 0x80) {
      v.erase(v.begin(), v.begin() + 2);
    }
    if (v.size() != 64 && v.size() != 8) {
      return malformed("4", "hwID", "has " + std::to_string(v.size()) + " bytes, not 64 or 8");
    }
    info.hw_id = std::move(v);
  }
  ASSIGN_OR_RETURN(auto csp, amd_extension(cert, "5"));
  if (csp) {
    ASSIGN_OR_RETURN(info.csp_id, der_string(*csp, "5", "cspID"));
  }
  return info;
}

std::string_view product_from_cpuid(const SnpReport& r) {
  if (r.version < 3) return {};
  // Family 19h (Zen 3/4): models 00h-0Fh Milan, 10h-1Fh Genoa, A0h-AFh Bergamo/Siena (Genoa
  // keys); family 1Ah (Zen 5): models 00h-1Fh Turin.
  if (r.cpuid_fam_id == 0x19) {
    if (r.cpuid_mod_id <= 0x0f) return "Milan";
    if (r.cpuid_mod_id <= 0x1f) return "Genoa";
    if (r.cpuid_mod_id >= 0xa0 && r.cpuid_mod_id <= 0xaf) return "Genoa";
  }
  if (r.cpuid_fam_id == 0x1a && r.cpuid_mod_id <= 0x1f) return "Turin";
  return {};
}

TcbParts split_tcb(uint64_t v, bool turin) {
  auto byte = [v](int i) { return static_cast<uint8_t>(v >> (8 * i)); };
  TcbParts p;
  if (turin) {
    p.fmc = byte(0);
    p.bl = byte(1);
    p.tee = byte(2);
    p.snp = byte(3);
  } else {
    p.bl = byte(0);
    p.tee = byte(1);
    p.snp = byte(6);
  }
  p.ucode = byte(7);
  return p;
}

namespace {

// What the cache keeps per (ARK, ASK, VCEK) triple: only triples whose chain verified.
struct CertSet {
  crypto::X509Ptr vcek;
  AmdCertInfo info;
  Bytes<32> ark_key{};
  std::string ark_subject;
};

constexpr std::string_view kRoles[] = {"ark", "ask", "vcek"};

// SHA-256 over the three roles' bytes, each preceded by its length (u64 little-endian).
base::Result<Bytes<32>> cache_key(const std::vector<uint8_t>* const (&certs)[3]) {
  std::vector<uint8_t> buf;
  size_t total = 24;
  for (const auto* c : certs) total += c->size();
  buf.reserve(total);
  for (const auto* c : certs) {
    uint64_t n = c->size();
    for (int i = 0; i < 8; ++i) buf.push_back(static_cast<uint8_t>(n >> (8 * i)));
    buf.insert(buf.end(), c->begin(), c->end());
  }
  return crypto::sha256(buf);
}

std::string key_kind(bool vlek) {
  return vlek ? "VLEK" : "VCEK";
}

void check_policy(const SnpReport& r, const Policy& policy, Verdict& v) {
  // Step 5: guest policy and identity as the relying party requires.
  if (r.debug_allowed() && !policy.allow_debug) {
    v.reject("debug", "guest POLICY " + hex_u64(r.policy) +
                          " has DEBUG (bit 19) set; the policy does not allow debug");
  }
  if (r.migrate_ma_allowed() && !policy.allow_migrate_ma) {
    v.reject("migrate_ma",
             "guest POLICY has MIGRATE_MA (bit 18) set; the policy does not allow a migration "
             "agent");
  }
  expect_listed(v, "policy.measurement", "MEASUREMENT", policy.snp_measurement, r.measurement);
  expect_listed(v, "policy.host_data", "HOST_DATA", policy.snp_host_data, r.host_data);
  expect_listed(v, "policy.id_key_digest", "ID_KEY_DIGEST", policy.snp_id_key_digest,
                r.id_key_digest);
  if (!policy.snp_author_key_digest.empty() && !r.author_key_en()) {
    v.reject("policy.author_key_digest",
             "the policy requires an author key but the report's AUTHOR_KEY_EN is 0");
  } else {
    expect_listed(v, "policy.author_key_digest", "AUTHOR_KEY_DIGEST", policy.snp_author_key_digest,
                  r.author_key_digest);
  }
  expect_listed(v, "policy.family_id", "FAMILY_ID", policy.snp_family_id, r.family_id);
  expect_listed(v, "policy.image_id", "IMAGE_ID", policy.snp_image_id, r.image_id);
  if (policy.min_guest_svn && r.guest_svn < *policy.min_guest_svn) {
    v.reject("policy.guest_svn", "GUEST_SVN " + std::to_string(r.guest_svn) +
                                     " is below the policy's minimum " +
                                     std::to_string(*policy.min_guest_svn));
  }
  if (policy.max_vmpl && r.vmpl > *policy.max_vmpl) {
    v.reject("policy.vmpl", "VMPL " + std::to_string(r.vmpl) + " is above the policy's maximum " +
                                std::to_string(*policy.max_vmpl));
  }
}

// Step 4: the certificate is the one issued for this report's TCB and chip.
void check_binding(const SnpReport& r, const AmdCertInfo& info, bool turin, Verdict& v) {
  const std::string kind = key_kind(info.is_vlek());
  TcbParts want = split_tcb(r.reported_tcb, turin);
  std::string diffs;
  auto compare = [&](std::string_view name, std::optional<uint8_t> have, uint8_t reported) {
    if (!have) {
      diffs += (diffs.empty() ? "" : "; ") + kind + " has no " + std::string(name) + " extension";
    } else if (*have != reported) {
      diffs += (diffs.empty() ? "" : "; ") + std::string(name) + ": REPORTED_TCB " +
               std::to_string(reported) + ", " + kind + " " + std::to_string(*have);
    }
  };
  compare("blSPL", info.bl_spl, want.bl);
  compare("teeSPL", info.tee_spl, want.tee);
  compare("snpSPL", info.snp_spl, want.snp);
  compare("ucodeSPL", info.ucode_spl, want.ucode);
  if (turin) compare("fmcSPL", info.fmc_spl, want.fmc);
  if (!diffs.empty()) {
    v.reject("reported_tcb", "REPORTED_TCB " + hex_u64(r.reported_tcb) + " does not match the " +
                                 kind + ": " + diffs);
  }

  // hwID only on a VCEK (a VLEK report has CHIP_ID masked to zero).
  if (!info.is_vlek()) {
    if (info.hw_id.empty()) {
      v.reject("chip_id", "VCEK has no hwID extension; CHIP_ID " + hex(r.chip_id));
    } else {
      std::span<const uint8_t> chip(r.chip_id);
      // Turin VCEKs carry 8 bytes: the start of CHIP_ID.
      if (info.hw_id.size() == 8) chip = chip.first(8);
      if (info.hw_id.size() != chip.size() ||
          !std::equal(info.hw_id.begin(), info.hw_id.end(), chip.begin())) {
        v.reject("chip_id", "CHIP_ID " + hex(chip) + ", VCEK hwID " + hex(info.hw_id));
      }
    }
  }
}

}  // namespace

base::Result<Verdict> verify_report(const VerifyRequest& req, CollateralCache* cache) {
  // Step 1: size, VERSION, SIGNATURE_ALGO and SIGNING_KEY (the parser); reserved bytes below.
  if (req.evidence.size() > kMaxEvidenceSize) {
    return base::invalid("SNP evidence is " + std::to_string(req.evidence.size()) +
                         " bytes, over the " + std::to_string(kMaxEvidenceSize) + "-byte limit");
  }
  ASSIGN_OR_RETURN(SnpReport report, formats::parse_snp_report(req.evidence));
  const Policy default_policy;
  const Policy& policy = req.policy ? *req.policy : default_policy;

  Verdict v;
  v.tee = "snp";
  v.trailing_bytes = report.trailing_bytes;
  v.claims = formats::claims_json(report);
  std::string_view cpu_product = product_from_cpuid(report);

  // Step 2: the collateral by role.
  const std::vector<uint8_t>* certs[3] = {};
  bool have_all = true;
  for (size_t i = 0; i < 3; ++i) {
    certs[i] = req.collateral ? req.collateral->find(kRoles[i]) : nullptr;
    if (certs[i] == nullptr) {
      have_all = false;
      v.reject("collateral", "no `" + std::string(kRoles[i]) + "` certificate in the collateral" +
                                 std::string(i == 2   ? " (VCEK or VLEK)"
                                             : i == 1 ? " (ASK or ASVK)"
                                                      : " (AMD root)"));
    }
  }

  // A cached set is one whose chain verified and whose extensions decoded, and `at` lies in
  // the validity window of all three certificates.
  std::shared_ptr<const CertSet> set;
  bool info_ok = true;
  std::optional<Bytes<32>> key;
  if (have_all && cache != nullptr) {
    ASSIGN_OR_RETURN(key, cache_key(certs));
    set = cache->find_as<CertSet>(*key, req.at);
  }
  if (have_all && set == nullptr) {
    crypto::X509Ptr parsed[3];
    for (size_t i = 0; i < 3; ++i) {
      auto c = crypto::parse_certificate(*certs[i]);
      if (!c.ok()) return std::move(c).error().wrap("collateral `" + std::string(kRoles[i]) + "`");
      parsed[i] = std::move(*c);
    }
    auto fresh = std::make_shared<CertSet>();
    ASSIGN_OR_RETURN(fresh->ark_key, crypto::spki_sha256(parsed[0].get()));
    fresh->ark_subject = crypto::subject_name(parsed[0].get());
    auto info = read_amd_extensions(parsed[2].get());
    info_ok = info.ok();
    if (info_ok) {
      fresh->info = std::move(*info);
    } else {
      v.reject("vcek_extensions", info.error().message());
    }

    // Step 2: VCEK ← ASK ← ARK (or VLEK ← ASVK ← ARK), RSA-PSS, valid at `at`.
    crypto::ChainInput chain;
    chain.leaf = parsed[2].get();
    chain.intermediates = {parsed[1].get()};
    chain.anchor = parsed[0].get();
    chain.at = req.at;
    auto st = crypto::verify_chain(chain);
    bool chain_ok = st.ok();
    if (!chain_ok) {
      v.reject("vcek_chain", "VCEK/VLEK ← ASK/ASVK ← ARK at " + std::to_string(req.at) + ": " +
                                 st.error().message());
    }
    fresh->vcek = std::move(parsed[2]);
    if (cache != nullptr && chain_ok && info_ok) {
      crypto::ValidityWindow window;
      window.narrow(fresh->vcek.get());
      window.narrow(parsed[1].get());
      window.narrow(parsed[0].get());
      cache->insert(*key, window, fresh);
    }
    set = std::move(fresh);
  }

  if (set != nullptr) {
    const AmdCertInfo& info = set->info;
    // Step 2: the ARK is pinned by its key (built-in AMD roots or one the policy names).
    std::string_view ark_product = builtin_ark_product(set->ark_key);
    if (ark_product.empty() && !policy.trusts_root_key(set->ark_key)) {
      v.reject("ark", "ARK `" + set->ark_subject + "` has key SHA-256 " + hex(set->ark_key) +
                          ", which is neither a built-in AMD root (Milan, Genoa, Turin) nor "
                          "trusted by the policy");
    }

    // Step 2: SIGNING_KEY selects the key type: a VCEK report needs a VCEK, a VLEK report a VLEK
    // (the one with a cspID extension).
    bool want_vlek = report.signing_key() == SnpSigningKey::vlek;
    if (report.signing_key() == SnpSigningKey::none) {
      v.reject("signing_key", "SIGNING_KEY is 7 (none): the report is not signed");
    } else if (info_ok && want_vlek != info.is_vlek()) {
      v.reject("signing_key", "SIGNING_KEY names a " + key_kind(want_vlek) +
                                  " but the `vcek` certificate is a " + key_kind(info.is_vlek()));
    }

    // Step 3: the report signature over [0, 0x2A0) with the VCEK/VLEK key.
    if (report.signing_key() != SnpSigningKey::none) {
      auto sig = crypto::verify_p384_sha384_le(set->vcek.get(), req.evidence.first(kSnpSignedLen),
                                               report.signature_r, report.signature_s);
      if (!sig.ok()) v.reject("snp_report_signature", sig.error().message());
    }

    // Step 4: bind the certificate to the report (REPORTED_TCB, CHIP_ID, product).
    std::string cert_product = info.product();
    if (!cert_product.empty() && !cpu_product.empty() && cert_product != cpu_product) {
      v.reject("product", "report CPUID family 0x" + base::hex_encode(&report.cpuid_fam_id, 1) +
                              " model 0x" + base::hex_encode(&report.cpuid_mod_id, 1) + " is " +
                              std::string(cpu_product) + ", the " + key_kind(info.is_vlek()) +
                              " productName is `" + info.product_name + "`");
    }
    std::string product = !cert_product.empty()  ? cert_product
                          : !cpu_product.empty() ? std::string(cpu_product)
                                                 : std::string(ark_product);
    if (!product.empty()) v.claims["product"] = product;
    if (info_ok) check_binding(report, info, product == "Turin", v);
  } else if (!cpu_product.empty()) {
    v.claims["product"] = std::string(cpu_product);
  }

  // Step 1: reserved (must-be-zero) bytes.
  if (report.nonzero_reserved_offset) {
    v.reject("reserved", "reserved byte at offset " + hex_u64(*report.nonzero_reserved_offset) +
                             " is not zero");
  }

  // Step 5: REPORT_DATA binds the caller's nonce or key.
  if (req.report_data && *req.report_data != report.report_data) {
    v.reject("report_data",
             "REPORT_DATA " + hex(report.report_data) + ", expected " + hex(*req.report_data));
  }

  check_policy(report, policy, v);
  v.trusted = v.reasons.empty();
  return v;
}

namespace {

class SnpVerifier final : public Verifier {
 public:
  explicit SnpVerifier(std::shared_ptr<CollateralCache> cache) : cache_(std::move(cache)) {}
  std::string_view name() const override { return "snp"; }
  base::Result<Verdict> verify(const VerifyRequest& request) const override {
    return verify_report(request, cache_.get());
  }

 private:
  std::shared_ptr<CollateralCache> cache_;
};

}  // namespace

base::Result<std::unique_ptr<Verifier>> make_verifier(const VerifierOptions& options) {
  return std::unique_ptr<Verifier>(std::make_unique<SnpVerifier>(options.cache));
}

}  // namespace rats::snp
