// The Intel DCAP verifier on the real vectors: the sets beyond cases.json, and one rejection per
// failed check (tampered regions, times, roots, collateral), each with its specific reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "base/encoding.h"
#include "rats/core/cache.h"
#include "rats/crypto/x509.h"
#include "rats/formats/intel_quote.h"
#include "rats/vectors.h"
#include "rats/verifier.h"
#include "rats/verifiers/intel/collateral_json.h"
#include "rats/verifiers/intel/intel_verifier.h"

namespace rats {
namespace {

using test::Buf;
using test::load;

constexpr int64_t kCdsiAt = 1785432688;

Collateral cdsi_collateral() {
  Collateral c;
  const std::string d = "sgx/signal-cdsi/";
  c.by_role["root_ca"] = load(d + "intel_sgx_root_ca.pem");
  c.by_role["pck_crl"] = load(d + "pck_crl.der");
  c.by_role["pck_crl_issuer_chain"] = load(d + "pck_crl_issuer_chain.pem");
  c.by_role["root_ca_crl"] = load(d + "root_ca_crl.der");
  c.by_role["tcb_info"] = load(d + "tcb_info.json");
  c.by_role["tcb_info_issuer_chain"] = load(d + "tcb_info_issuer_chain.pem");
  c.by_role["qe_identity"] = load(d + "qe_identity.json");
  c.by_role["qe_identity_issuer_chain"] = load(d + "qe_identity_issuer_chain.pem");
  return c;
}

Collateral intel_sample_collateral() {
  Collateral c;
  const std::string d = "sgx/intel-dcap-qvl-sample/";
  c.by_role["root_ca"] = load(d + "trustedRootCaCert.pem");
  c.by_role["pck_cert"] = load(d + "pckCert.pem");
  c.by_role["pck_cert_issuer_chain"] = load(d + "pckSignChain.pem");
  c.by_role["pck_crl"] = load(d + "intermediateCaCrl.pem");
  c.by_role["root_ca_crl"] = load(d + "rootCaCrl.pem");
  c.by_role["tcb_info"] = load(d + "tcbInfo.json");
  c.by_role["tcb_info_issuer_chain"] = load(d + "tcbSignChain.pem");
  c.by_role["qe_identity"] = load(d + "qeIdentity.json");
  c.by_role["qe_identity_issuer_chain"] = load(d + "tcbSignChain.pem");
  return c;
}

Bytes<32> key_of(const Buf& pem) {
  auto cert = crypto::parse_certificate(pem);
  EXPECT_TRUE(cert.ok());
  auto k = crypto::spki_sha256(cert->get());
  EXPECT_TRUE(k.ok());
  return *k;
}

base::Result<Verdict> verify(Tee tee, const Buf& evidence, const Collateral* c, int64_t at,
                             const Policy* policy = nullptr, CollateralCache* cache = nullptr,
                             std::optional<Bytes<64>> report_data = std::nullopt) {
  VerifyRequest r;
  r.evidence = evidence;
  r.collateral = c;
  r.at = at;
  r.policy = policy;
  r.report_data = report_data;
  return intel::verify_quote(tee, r, cache, tee_name(tee));
}

std::vector<std::string> checks(const Verdict& v) {
  std::vector<std::string> out;
  for (const auto& r : v.reasons) out.push_back(r.check);
  return out;
}

bool has(const Verdict& v, const std::string& check, const std::string& detail_part = "") {
  for (const auto& r : v.reasons) {
    if (r.check == check && r.detail.find(detail_part) != std::string::npos) return true;
  }
  return false;
}

std::string dump(const Verdict& v) {
  return v.to_json().dump(2);
}

class RatsIntelVerifier : public ::testing::Test {
 protected:
  void SetUp() override { REQUIRE_VECTORS(); }
};

TEST_F(RatsIntelVerifier, IntelSampleIsTrustedOnlyUnderItsTestRootNamedByThePolicy) {
  Buf quote = load("sgx/intel-dcap-qvl-sample/quote.dat");
  Collateral c = intel_sample_collateral();
  auto v = verify(Tee::sgx, quote, &c, 1577836800);
  ASSERT_TRUE(v.ok()) << v.error().what();
  EXPECT_FALSE(v->trusted);
  EXPECT_TRUE(has(*v, "root_ca", "neither the pinned")) << dump(*v);

  Policy p;
  p.trusted_root_keys.push_back(key_of(c.by_role["root_ca"]));
  v = verify(Tee::sgx, quote, &c, 1577836800, &p);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->trusted) << dump(*v);
  EXPECT_EQ(v->tcb_status, TcbStatus::UpToDate);
}

TEST_F(RatsIntelVerifier, IntelSampleWithTheProductionRootFailsTheChain) {
  Buf quote = load("sgx/intel-dcap-qvl-sample/quote.dat");
  Collateral c = intel_sample_collateral();
  c.by_role["root_ca"] = load("sgx/signal-cdsi/intel_sgx_root_ca.pem");
  auto v = verify(Tee::sgx, quote, &c, 1577836800);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->trusted);
  EXPECT_TRUE(has(*v, "pck_chain")) << dump(*v);
  EXPECT_FALSE(has(*v, "root_ca")) << dump(*v);
}

TEST_F(RatsIntelVerifier, OcclumQuoteWithCdsiCollateralIsOutOfDateAndDebug) {
  Buf quote = load("sgx/occlum-trustee/occlum_quote.dat");
  Collateral c = cdsi_collateral();
  auto v = verify(Tee::sgx, quote, &c, kCdsiAt);
  ASSERT_TRUE(v.ok()) << v.error().what();
  EXPECT_FALSE(v->trusted);
  EXPECT_EQ(v->tcb_status, TcbStatus::OutOfDate);
  EXPECT_EQ(v->advisory_ids.size(), 13u) << dump(*v);
  EXPECT_EQ(checks(*v), (std::vector<std::string>{"tcb_status", "debug"})) << dump(*v);

  auto p = parse_policy_json(R"({"accept_out_of_date": true, "allow_debug": true})");
  ASSERT_TRUE(p.ok());
  v = verify(Tee::sgx, quote, &c, kCdsiAt, &*p);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->trusted) << dump(*v);
  EXPECT_EQ(v->claims["mrenclave"],
            "8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68");
}

TEST_F(RatsIntelVerifier, QuotesWithoutCollateralAreRejectedOnlyForMissingCollateral) {
  for (const char* path : {"sgx/occlum-trustee/occlum_quote.dat", "sgx/signal-cdsi/quote.bin"}) {
    Buf quote = load(path);
    auto v = verify(Tee::sgx, quote, nullptr, 1700000000);
    ASSERT_TRUE(v.ok()) << path;
    EXPECT_FALSE(v->trusted);
    // The chain's own root is the pinned production key; signatures are checked and pass.
    std::vector<std::string> want = {"collateral"};
    if (std::string(path).find("occlum") != std::string::npos) want.push_back("debug");
    EXPECT_EQ(checks(*v), want) << path << dump(*v);
  }
  for (const char* path : {"tdx/go-tdx-guest/ccel_cos-113-tdx-quote.dat",
                           "tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat"}) {
    Buf quote = load(path);
    auto v = verify(Tee::tdx, quote, nullptr, 1725000000);
    ASSERT_TRUE(v.ok()) << path;
    EXPECT_EQ(checks(*v), std::vector<std::string>{"collateral"}) << path << dump(*v);
  }
}

TEST_F(RatsIntelVerifier, ReportDataMustMatchWhenGiven) {
  Buf quote = load("tdx/go-tdx-guest/ccel_cos-113-tdx-quote.dat");
  Buf nonce = load("tdx/go-tdx-guest/ccel_nonce.dat");
  ASSERT_EQ(nonce.size(), 64u);
  Bytes<64> rd{};
  std::copy(nonce.begin(), nonce.end(), rd.begin());
  auto v = verify(Tee::tdx, quote, nullptr, 1725000000, nullptr, nullptr, rd);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(has(*v, "report_data"));
  rd[63] ^= 1;
  v = verify(Tee::tdx, quote, nullptr, 1725000000, nullptr, nullptr, rd);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(has(*v, "report_data", "differs from the expected")) << dump(*v);
}

TEST_F(RatsIntelVerifier, TdxPolicyRequiresEachMeasurement) {
  // Without collateral the verdict also carries `collateral`; only the policy checks matter here.
  Buf quote = load("tdx/go-tdx-guest/ccel_cos-113-tdx-quote.dat");
  auto q = formats::parse_intel_quote(quote);
  ASSERT_TRUE(q.ok());
  const TdReportBody* t = q->td_body();
  ASSERT_NE(t, nullptr);
  auto policy_checks = [](const Verdict& v) {
    std::vector<std::string> out;
    for (const auto& c : checks(v))
      if (c.rfind("policy.", 0) == 0) out.push_back(c);
    return out;
  };

  Policy same;
  same.mrtd = {t->mr_td};
  for (size_t i = 0; i < 4; ++i) same.rtmr[i] = {Bytes<48>{0xff}, t->rtmr[i]};
  same.mrconfigid = {t->mr_config_id};
  same.mrowner = {t->mr_owner};
  same.mrseam = {t->mr_seam};
  same.xfam = {t->xfam};
  auto ok = verify(Tee::tdx, quote, nullptr, 1725000000, &same);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(policy_checks(*ok).empty()) << dump(*ok);

  Policy other = same;
  auto flip = [](auto& list) { list.back()[0] ^= 1; };
  flip(other.mrtd);
  for (auto& r : other.rtmr) flip(r);
  flip(other.mrconfigid);
  flip(other.mrowner);
  flip(other.mrseam);
  flip(other.xfam);
  auto v = verify(Tee::tdx, quote, nullptr, 1725000000, &other);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(policy_checks(*v),
            (std::vector<std::string>{"policy.mrtd", "policy.rtmr0", "policy.rtmr1", "policy.rtmr2",
                                      "policy.rtmr3", "policy.mrconfigid", "policy.mrowner",
                                      "policy.mrseam", "policy.xfam"}))
      << dump(*v);
  EXPECT_TRUE(has(*v, "policy.xfam",
                  base::hex_encode(t->xfam.data(), 8) + " is not the expected " +
                      base::hex_encode(other.xfam[0].data(), 8)))
      << dump(*v);
}

TEST_F(RatsIntelVerifier, EveryByteOfTheSignedRegionIsCoveredByTheQuoteSignature) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  auto parsed = formats::parse_intel_quote(quote);
  ASSERT_TRUE(parsed.ok());
  CollateralCache cache;  // the collateral does not change: verified once
  for (size_t off = 0; off < parsed->signed_len; off += 7) {
    Buf t = quote;
    t[off] ^= 0x01;
    auto v = verify(Tee::sgx, t, &c, kCdsiAt, nullptr, &cache);
    if (!v.ok()) continue;  // a flip in a header field the parser checks: unusable, also fine
    EXPECT_FALSE(v->trusted) << off;
    EXPECT_TRUE(has(*v, "quote_signature")) << off << dump(*v);
  }
  EXPECT_GT(cache.hits(), 50u);
}

Collateral phala_collateral(const std::string& d) {
  Collateral c;
  c.by_role["root_ca"] = load("tdx/go-tdx-guest/verify_trusted_root.pem");
  c.by_role["pck_crl"] = load(d + "pck_crl.der");
  c.by_role["root_ca_crl"] = load(d + "root_ca_crl.der");
  c.by_role["tcb_info"] = load(d + "tcb_info.json");
  c.by_role["tcb_info_issuer_chain"] = load(d + "tcb_info_issuer_chain.pem");
  c.by_role["qe_identity"] = load(d + "qe_identity.json");
  c.by_role["qe_identity_issuer_chain"] = load(d + "qe_identity_issuer_chain.pem");
  return c;
}

TEST_F(RatsIntelVerifier, TdxSignedRegionsV4AndV5AreCovered) {
  struct Set {
    const char* quote;
    const char* collateral;
    int64_t at;
  } sets[] = {
      {"tdx/phala-dcap-qvl/quote.bin", "tdx/phala-dcap-qvl/", 1751328000},
      {"tdx/phala-dcap-qvl-outdated/quote.bin", "tdx/phala-dcap-qvl-outdated/", 1772323200},
  };
  for (const auto& set : sets) {
    Buf quote = load(set.quote);
    Collateral c = phala_collateral(set.collateral);
    auto q = formats::parse_intel_quote(quote);
    ASSERT_TRUE(q.ok());
    CollateralCache cache;
    size_t rejected = 0;
    // Header, body descriptor (v5) and TD report body: the quote signature.
    for (size_t off = 0; off < q->signed_len; off += 5) {
      Buf t = quote;
      t[off] ^= 0x80;
      auto v = verify(Tee::tdx, t, &c, set.at, nullptr, &cache);
      if (!v.ok()) continue;  // a header/descriptor field the parser checks: unusable
      ++rejected;
      EXPECT_TRUE(has(*v, "quote_signature")) << set.quote << " @" << off << dump(*v);
    }
    EXPECT_GT(rejected, q->signed_len / 5 - 20) << set.quote;
    // The QE report inside the type-6 certification data: the PCK's signature over it.
    for (size_t i = 0; i < 384; i += 11) {
      Buf t = quote;
      t[q->qe_report_offset + i] ^= 0x04;
      auto v = verify(Tee::tdx, t, &c, set.at, nullptr, &cache);
      ASSERT_TRUE(v.ok());
      EXPECT_TRUE(has(*v, "qe_report_signature")) << set.quote << " QE+" << i;
    }
  }
}

TEST_F(RatsIntelVerifier, ATamperedPckCertificateInTheQuoteFailsTheChain) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  auto q = formats::parse_intel_quote(quote);
  ASSERT_TRUE(q.ok());
  // A base64 character in the middle of the leaf's signature value (the end of the first PEM
  // block): still a well-formed certificate, no longer signed by its issuer.
  std::string pem(q->sig.cert_data.begin(), q->sig.cert_data.end());
  size_t end = pem.find("-----END CERTIFICATE-----");
  ASSERT_NE(end, std::string::npos);
  size_t pos = end - 10;
  while (pem[pos] == '\n' || pem[pos] == '=') --pos;
  Buf t = quote;
  size_t at = q->cert_data_offset + pos;
  t[at] = t[at] == 'A' ? 'B' : 'A';
  auto v = verify(Tee::sgx, t, &c, kCdsiAt);
  ASSERT_TRUE(v.ok()) << v.error().what();
  EXPECT_FALSE(v->trusted);
  EXPECT_TRUE(has(*v, "pck_chain", "signature")) << dump(*v);
}

TEST_F(RatsIntelVerifier, TamperedQeReportAuthDataAndKeyFailTheirChecks) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  auto q = formats::parse_intel_quote(quote);
  ASSERT_TRUE(q.ok());
  for (size_t i = 0; i < 384; i += 13) {
    Buf t = quote;
    t[q->qe_report_offset + i] ^= 0x10;
    auto v = verify(Tee::sgx, t, &c, kCdsiAt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(has(*v, "qe_report_signature")) << i << dump(*v);
  }
  {  // QE auth data
    Buf t = quote;
    t[q->qe_auth_data_offset] ^= 0x01;
    auto v = verify(Tee::sgx, t, &c, kCdsiAt);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(checks(*v), std::vector<std::string>{"qe_report_data_binding"}) << dump(*v);
  }
  {  // attestation key: the binding and the quote signature both fail
    Buf t = quote;
    t[q->sig_data_offset + 64 + 5] ^= 0x01;
    auto v = verify(Tee::sgx, t, &c, kCdsiAt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(has(*v, "qe_report_data_binding")) << dump(*v);
    EXPECT_TRUE(has(*v, "quote_signature")) << dump(*v);
  }
  {  // the quote signature itself
    Buf t = quote;
    t[q->sig_data_offset + 3] ^= 0x01;
    auto v = verify(Tee::sgx, t, &c, kCdsiAt);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(checks(*v), std::vector<std::string>{"quote_signature"}) << dump(*v);
  }
  {  // the QE report signature
    Buf t = quote;
    t[q->qe_report_offset + 384 + 10] ^= 0x01;
    auto v = verify(Tee::sgx, t, &c, kCdsiAt);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(checks(*v), std::vector<std::string>{"qe_report_signature"}) << dump(*v);
  }
}

TEST_F(RatsIntelVerifier, EditedTcbInfoOrQeIdentityFailsItsSignature) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  {
    Collateral c = cdsi_collateral();
    std::string s(c.by_role["tcb_info"].begin(), c.by_role["tcb_info"].end());
    auto pos = s.find("\"tcbType\":0");
    ASSERT_NE(pos, std::string::npos);
    s[pos + 10] = '1';
    c.by_role["tcb_info"].assign(s.begin(), s.end());
    auto v = verify(Tee::sgx, quote, &c, kCdsiAt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(has(*v, "tcb_info", "signature")) << dump(*v);
  }
  {
    Collateral c = cdsi_collateral();
    std::string s(c.by_role["qe_identity"].begin(), c.by_role["qe_identity"].end());
    auto pos = s.find("\"isvprodid\":1");
    ASSERT_NE(pos, std::string::npos);
    s.replace(pos, 13, "\"isvprodid\":1 ");  // whitespace only: the signed bytes still change
    c.by_role["qe_identity"].assign(s.begin(), s.end());
    auto v = verify(Tee::sgx, quote, &c, kCdsiAt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(has(*v, "qe_identity", "signature")) << dump(*v);
  }
  {  // a pretty-printed copy must not verify, and is not made to
    Collateral c = cdsi_collateral();
    auto j = nlohmann::json::parse(c.by_role["tcb_info"]);
    std::string pretty = j.dump(2);
    c.by_role["tcb_info"].assign(pretty.begin(), pretty.end());
    auto v = verify(Tee::sgx, quote, &c, kCdsiAt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(has(*v, "tcb_info", "signature")) << dump(*v);
  }
}

TEST_F(RatsIntelVerifier, TamperedCrlSignatureFailsThePckChain) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  c.by_role["pck_crl"].back() ^= 0x01;  // last byte of the CRL's signature
  auto v = verify(Tee::sgx, quote, &c, kCdsiAt);
  ASSERT_TRUE(v.ok()) << v.error().what();
  EXPECT_TRUE(has(*v, "pck_chain", "CRL signature failure")) << dump(*v);
}

TEST_F(RatsIntelVerifier, TimesOutsideValidityAreRejectedWithTheExpiredItem) {
  Buf quote = load("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
  auto v = verify(Tee::tdx, quote, nullptr, 2477264400);  // 2048: PCK expired
  ASSERT_TRUE(v.ok());
  // Without collateral the chain is not checked; with it, the PCK leaf is expired.
  Collateral c;
  const std::string d = "tdx/go-tdx-guest/";
  c.by_role["root_ca"] = load(d + "verify_trusted_root.pem");
  c.by_role["pck_crl"] = load(d + "pckcrl");
  c.by_role["root_ca_crl"] = load(d + "rootcrl.der");
  c.by_role["tcb_info"] = load(d + "sample_tcbInfo_response");
  c.by_role["tcb_info_issuer_chain"] = load(d + "tcbinfo_issuer_chain.pem");
  c.by_role["qe_identity"] = load(d + "sample_qeIdentity_response");
  c.by_role["qe_identity_issuer_chain"] = load(d + "qeidentity_issuer_chain.pem");
  v = verify(Tee::tdx, quote, &c, 2477264400);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(has(*v, "pck_chain", "expired")) << dump(*v);
  EXPECT_TRUE(has(*v, "tcb_info", "expired")) << dump(*v);
  // Before the collateral was issued.
  v = verify(Tee::tdx, quote, &c, 1600000000);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(has(*v, "tcb_info", "not yet issued")) << dump(*v);
  EXPECT_TRUE(has(*v, "pck_chain", "not yet valid")) << dump(*v);
}

TEST_F(RatsIntelVerifier, AForeignRootIsRejectedEvenWithTheSameName) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  c.by_role["root_ca"] = load("sgx/intel-dcap-qvl-sample/trustedRootCaCert.pem");
  auto v = verify(Tee::sgx, quote, &c, kCdsiAt);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(has(*v, "root_ca", "neither the pinned")) << dump(*v);
  EXPECT_TRUE(has(*v, "pck_chain")) << dump(*v);
}

TEST_F(RatsIntelVerifier, TruncatedOversizedAndForeignEvidenceIsUnusable) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  for (size_t len : {size_t(0), size_t(47), size_t(431), quote.size() - 1}) {
    Buf t(quote.begin(), quote.begin() + len);
    auto v = verify(Tee::sgx, t, nullptr, kCdsiAt);
    EXPECT_FALSE(v.ok()) << len;
  }
  Buf big = quote;
  big.resize(kMaxEvidenceSize + 1);
  EXPECT_FALSE(verify(Tee::sgx, big, nullptr, kCdsiAt).ok());
  auto v = verify(Tee::tdx, quote, nullptr, kCdsiAt);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("not tdx"), std::string::npos) << v.error().message();
}

TEST_F(RatsIntelVerifier, TrailingBytesAreIgnoredAndCounted) {
  Buf quote = load("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
  auto v = verify(Tee::tdx, quote, nullptr, 1688173200);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->trailing_bytes, 39u);
  EXPECT_EQ(v->to_json()["trailing_bytes"], 39);
}

TEST_F(RatsIntelVerifier, MalformedCollateralIsUnusableAndNamed) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  struct Bad {
    const char* role;
    std::string bytes;
  } bad[] = {
      {"tcb_info", "{not json"},
      {"qe_identity", R"({"enclaveIdentity":{"id":"QE"},"signature":"00"})"},
      {"pck_crl", "garbage"},
      {"root_ca", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
  };
  for (const auto& b : bad) {
    Collateral c = cdsi_collateral();
    c.by_role[b.role].assign(b.bytes.begin(), b.bytes.end());
    auto v = verify(Tee::sgx, quote, &c, kCdsiAt);
    ASSERT_FALSE(v.ok()) << b.role;
    EXPECT_NE(v.error().message().find(b.role), std::string::npos) << v.error().message();
  }
}

TEST_F(RatsIntelVerifier, CacheHitsInsideTheWindowOnlyAndIsSafeUnderConcurrency) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  CollateralCache cache;
  auto first = verify(Tee::sgx, quote, &c, kCdsiAt, nullptr, &cache);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->trusted);
  EXPECT_EQ(cache.size(), 1u);
  auto second = verify(Tee::sgx, quote, &c, kCdsiAt + 60, nullptr, &cache);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->trusted);
  EXPECT_EQ(cache.hits(), 1u);
  // 40 days later the collateral has expired: a miss, and the full checks reject.
  auto late = verify(Tee::sgx, quote, &c, kCdsiAt + 40 * 86400, nullptr, &cache);
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->trusted);
  EXPECT_EQ(cache.hits(), 1u);
  // A policy that does not trust the root of a cached entry still gets the rejection.
  Buf sample = load("sgx/intel-dcap-qvl-sample/quote.dat");
  Collateral sc = intel_sample_collateral();
  Policy trusting;
  trusting.trusted_root_keys.push_back(key_of(sc.by_role["root_ca"]));
  ASSERT_TRUE(verify(Tee::sgx, sample, &sc, 1577836800, &trusting, &cache)->trusted);
  auto untrusting = verify(Tee::sgx, sample, &sc, 1577836800, nullptr, &cache);
  ASSERT_TRUE(untrusting.ok());
  EXPECT_TRUE(has(*untrusting, "root_ca")) << dump(*untrusting);

  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        bool expired = (i + t) % 5 == 0;
        auto v =
            verify(Tee::sgx, quote, &c, expired ? kCdsiAt + 40 * 86400 : kCdsiAt, nullptr, &cache);
        if (!v.ok() || v->trusted == expired ||
            (!expired && v->tcb_status != TcbStatus::SWHardeningNeeded))
          ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(RatsIntelCollateral, RawMemberKeepsTheExactBytes) {
  std::string doc =
      R"({"a" : [1, "}", {"x": "\"{"}], "tcbInfo":  {"k": "v" , "n":[ ]} ,"signature":"ab"})";
  auto raw = intel::raw_member(doc, "tcbInfo");
  ASSERT_TRUE(raw);
  EXPECT_EQ(*raw, R"({"k": "v" , "n":[ ]})");
  EXPECT_EQ(*intel::raw_member(doc, "signature"), "\"ab\"");
  EXPECT_FALSE(intel::raw_member(doc, "k"));  // not at the top level
  EXPECT_FALSE(intel::raw_member("[1]", "a"));
}

TEST(RatsIntelCollateral, ParsesIsoTimes) {
  EXPECT_EQ(intel::parse_iso8601("2026-07-30T16:11:16Z"), 1785427876);
  EXPECT_EQ(intel::parse_iso8601("2026-07-30T16:11:16.123Z"), 1785427876);
  EXPECT_FALSE(intel::parse_iso8601("2026-07-30 16:11:16Z"));
  EXPECT_FALSE(intel::parse_iso8601("2026-07-30T16:11:16"));
  EXPECT_FALSE(intel::parse_iso8601("2026-13-30T16:11:16Z"));
}

}  // namespace
}  // namespace rats
