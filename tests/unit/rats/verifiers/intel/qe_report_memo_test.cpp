// The QE report memo of the Intel verifier (intel_verifier.cpp, CollateralCache::signatures()):
// once a quote has verified in full, another quote with the same QE report, QE report signature
// and PCK certificate costs one ECDSA verify. These tests check that the memo never changes a
// verdict: one bit off in the QE report or its signature, another PCK certificate, a time outside
// the window of the memoised verification's collateral and a memo that is full all verify again;
// a verification that fails in any check memoises nothing. Real vectors for the positive cases,
// the sim PKI (src/rats/sim) for quotes no real platform would give.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "rats/core/cache.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/x509.h"
#include "rats/formats/intel_quote.h"
#include "rats/sim/sim_tee.h"
#include "rats/vectors.h"
#include "rats/verifier.h"
#include "rats/verifiers/intel/intel_verifier.h"
#include "temp_dir.h"

namespace rats {
namespace {

using test::Buf;
using test::load;

constexpr int64_t kCdsiAt = 1785432688;
constexpr int64_t kSimNow = 1790000000;
constexpr int64_t kDay = 86400;

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

Collateral phala_collateral() {
  Collateral c;
  const std::string d = "tdx/phala-dcap-qvl/";
  c.by_role["root_ca"] = load("tdx/go-tdx-guest/verify_trusted_root.pem");
  c.by_role["pck_crl"] = load(d + "pck_crl.der");
  c.by_role["root_ca_crl"] = load(d + "root_ca_crl.der");
  c.by_role["tcb_info"] = load(d + "tcb_info.json");
  c.by_role["tcb_info_issuer_chain"] = load(d + "tcb_info_issuer_chain.pem");
  c.by_role["qe_identity"] = load(d + "qe_identity.json");
  c.by_role["qe_identity_issuer_chain"] = load(d + "qe_identity_issuer_chain.pem");
  return c;
}

Verdict verify(Tee tee, const Buf& evidence, const Collateral& c, int64_t at,
               CollateralCache* cache, const Policy* policy = nullptr,
               std::optional<Bytes<64>> report_data = std::nullopt) {
  VerifyRequest r;
  r.evidence = evidence;
  r.collateral = &c;
  r.at = at;
  r.policy = policy;
  r.report_data = report_data;
  auto v = intel::verify_quote(tee, r, cache, tee_name(tee));
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().what());
  return v.ok() ? *v : Verdict{};
}

std::vector<std::string> checks(const Verdict& v) {
  std::vector<std::string> out;
  for (const auto& r : v.reasons) out.push_back(r.check);
  return out;
}

bool has(const Verdict& v, const std::string& check) {
  for (const auto& r : v.reasons) {
    if (r.check == check) return true;
  }
  return false;
}

// The verdict of `evidence` without any cache (so without the memo): what every memoised
// verification must equal.
nlohmann::json uncached(Tee tee, const Buf& evidence, const Collateral& c, int64_t at,
                        const Policy* policy = nullptr) {
  return verify(tee, evidence, c, at, nullptr, policy).to_json();
}

// A v3 quote with its certification data (type 5, the PCK chain) replaced by `cert_data`: the
// QE report and its signature stay, the PCK certificate changes. Neither signed region changes.
Buf with_cert_data(const Buf& quote, const std::vector<uint8_t>& cert_data) {
  auto q = formats::parse_intel_quote(quote);
  EXPECT_TRUE(q.ok());
  EXPECT_EQ(q->header.version, 3);
  Buf out(quote.begin(), quote.begin() + q->cert_data_offset - 4);
  auto put_u32 = [](uint8_t* p, size_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  };
  out.resize(out.size() + 4);
  put_u32(out.data() + out.size() - 4, cert_data.size());
  out.insert(out.end(), cert_data.begin(), cert_data.end());
  put_u32(out.data() + q->sig_data_offset - 4, out.size() - q->sig_data_offset);
  return out;
}

class RatsQeReportMemo : public ::testing::Test {
 protected:
  void SetUp() override { REQUIRE_VECTORS(); }
};

TEST_F(RatsQeReportMemo, AVerifiedQuoteIsMemoisedAndTheNextOneCostsOneEcdsaVerify) {
  struct Set {
    Tee tee;
    const char* quote;
    Collateral collateral;
    int64_t at;
  } sets[] = {
      {Tee::sgx, "sgx/signal-cdsi/quote.bin", cdsi_collateral(), kCdsiAt},
      {Tee::tdx, "tdx/phala-dcap-qvl/quote.bin", phala_collateral(), 1751328000},
  };
  for (const auto& set : sets) {
    Buf quote = load(set.quote);
    CollateralCache cache;
    Verdict first = verify(set.tee, quote, set.collateral, set.at, &cache);
    ASSERT_TRUE(first.trusted) << set.quote << first.to_json().dump(2);
    EXPECT_EQ(cache.signatures().size(), 1u) << set.quote;
    EXPECT_EQ(cache.signatures().hits(), 0u) << set.quote;

    uint64_t before = crypto::ecdsa_verifications();
    Verdict second = verify(set.tee, quote, set.collateral, set.at + 60, &cache);
    EXPECT_EQ(crypto::ecdsa_verifications() - before, 1u) << set.quote;
    EXPECT_EQ(cache.signatures().hits(), 1u) << set.quote;
    EXPECT_EQ(cache.signatures().size(), 1u) << set.quote;
    EXPECT_EQ(second.to_json(), uncached(set.tee, quote, set.collateral, set.at + 60)) << set.quote;
    EXPECT_TRUE(second.trusted);
  }
}

TEST_F(RatsQeReportMemo, AQeReportOneBitOffTheMemoisedOneIsRejectedAsWithoutTheMemo) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  auto q = formats::parse_intel_quote(quote);
  ASSERT_TRUE(q.ok());
  CollateralCache cache;
  ASSERT_TRUE(verify(Tee::sgx, quote, c, kCdsiAt, &cache).trusted);
  ASSERT_EQ(cache.signatures().size(), 1u);
  for (size_t i = 0; i < 384; i += 7) {
    Buf t = quote;
    t[q->qe_report_offset + i] ^= static_cast<uint8_t>(1u << (i % 8));
    uint64_t hits = cache.signatures().hits();
    Verdict v = verify(Tee::sgx, t, c, kCdsiAt, &cache);
    EXPECT_FALSE(v.trusted) << i;
    EXPECT_TRUE(has(v, "qe_report_signature")) << i << v.to_json().dump(2);
    EXPECT_EQ(v.to_json(), uncached(Tee::sgx, t, c, kCdsiAt)) << i;
    EXPECT_EQ(cache.signatures().hits(), hits) << i;
  }
  EXPECT_EQ(cache.signatures().size(), 1u);  // the rejected quotes added nothing
}

TEST_F(RatsQeReportMemo, AQeReportSignatureOneBitOffIsRejectedAsWithoutTheMemo) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  auto q = formats::parse_intel_quote(quote);
  ASSERT_TRUE(q.ok());
  CollateralCache cache;
  ASSERT_TRUE(verify(Tee::sgx, quote, c, kCdsiAt, &cache).trusted);
  for (size_t i = 0; i < 64; i += 3) {
    Buf t = quote;
    t[q->qe_report_offset + 384 + i] ^= static_cast<uint8_t>(0x80u >> (i % 8));
    Verdict v = verify(Tee::sgx, t, c, kCdsiAt, &cache);
    EXPECT_EQ(checks(v), std::vector<std::string>{"qe_report_signature"})
        << i << v.to_json().dump(2);
    EXPECT_EQ(v.to_json(), uncached(Tee::sgx, t, c, kCdsiAt)) << i;
  }
  EXPECT_EQ(cache.signatures().hits(), 0u);
  EXPECT_EQ(cache.signatures().size(), 1u);
}

TEST_F(RatsQeReportMemo, AnotherPlatformsPckCertificateDoesNotHit) {
  // The cdsi quote's QE report and signature with the PCK chain of another real platform (the
  // occlum quote's; same FMSPC, so the collateral checks pass): the QE report was not signed by
  // that PCK key, whatever the memo holds.
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  auto occlum = formats::parse_intel_quote(load("sgx/occlum-trustee/occlum_quote.dat"));
  ASSERT_TRUE(occlum.ok());
  Collateral c = cdsi_collateral();
  CollateralCache cache;
  ASSERT_TRUE(verify(Tee::sgx, quote, c, kCdsiAt, &cache).trusted);

  Buf spliced = with_cert_data(quote, occlum->sig.cert_data);
  Verdict v = verify(Tee::sgx, spliced, c, kCdsiAt, &cache);
  EXPECT_FALSE(v.trusted);
  EXPECT_TRUE(has(v, "qe_report_signature")) << v.to_json().dump(2);
  EXPECT_EQ(v.to_json(), uncached(Tee::sgx, spliced, c, kCdsiAt));
  EXPECT_EQ(cache.signatures().hits(), 0u);
  EXPECT_EQ(cache.signatures().size(), 1u);
}

TEST_F(RatsQeReportMemo, AFailedVerificationMemoisesNothing) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  auto q = formats::parse_intel_quote(quote);
  ASSERT_TRUE(q.ok());
  CollateralCache cache;

  // The QE report signature verifies in each of these; another check fails.
  Bytes<64> other_report_data{};
  EXPECT_EQ(checks(verify(Tee::sgx, quote, c, kCdsiAt, &cache, nullptr, other_report_data)),
            std::vector<std::string>{"report_data"});
  Policy pinned;
  pinned.mrenclave = {Bytes<32>{}};
  EXPECT_EQ(checks(verify(Tee::sgx, quote, c, kCdsiAt, &cache, &pinned)),
            std::vector<std::string>{"policy.mrenclave"});
  Policy strict;
  strict.accepted_tcb_statuses = {TcbStatus::UpToDate};
  EXPECT_EQ(checks(verify(Tee::sgx, quote, c, kCdsiAt, &cache, &strict)),
            std::vector<std::string>{"tcb_status"});
  Buf quote_sig_off = quote;
  quote_sig_off[q->sig_data_offset + 1] ^= 0x01;
  EXPECT_EQ(checks(verify(Tee::sgx, quote_sig_off, c, kCdsiAt, &cache)),
            std::vector<std::string>{"quote_signature"});
  // Expired collateral: the collateral checks fail (the memo is not even consulted).
  EXPECT_FALSE(verify(Tee::sgx, quote, c, kCdsiAt + 40 * kDay, &cache).trusted);
  // Another real quote of the same platform kind, OutOfDate and debug.
  EXPECT_FALSE(
      verify(Tee::sgx, load("sgx/occlum-trustee/occlum_quote.dat"), c, kCdsiAt, &cache).trusted);
  EXPECT_EQ(cache.signatures().size(), 0u);

  EXPECT_TRUE(verify(Tee::sgx, quote, c, kCdsiAt, &cache).trusted);
  EXPECT_EQ(cache.signatures().size(), 1u);
}

TEST_F(RatsQeReportMemo, SharedBetweenThreadsItKeepsEveryVerdict) {
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Collateral c = cdsi_collateral();
  auto q = formats::parse_intel_quote(quote);
  ASSERT_TRUE(q.ok());
  Buf tampered = quote;
  tampered[q->qe_report_offset + 100] ^= 0x02;
  CollateralCache cache;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        bool bad = (i + t) % 3 == 0;
        Verdict v = verify(Tee::sgx, bad ? tampered : quote, c, kCdsiAt, &cache);
        if (v.trusted == bad || has(v, "qe_report_signature") != bad) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache.signatures().size(), 1u);
  EXPECT_GT(cache.signatures().hits(), 0u);
}

// Quotes of the sim TEE: a local PKI whose collateral can be re-issued and whose quoting enclave
// can be started again with a fresh attestation key (another QE report).
class RatsQeReportMemoSim : public testutil::TempDirTest {
 protected:
  sim::SimTee open(const std::string& dir, int64_t now) {
    auto t = sim::SimTee::open(dir, now);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().what());
    return std::move(t).value();
  }
  static Buf quote(const sim::SimTee& tee) {
    Bytes<64> report_data{};
    report_data.fill(0x5a);
    auto q = tee.make_quote(report_data, sim::EnclaveIdentity{});
    EXPECT_TRUE(q.ok());
    return q.ok() ? *q : Buf{};
  }
  static Policy trusting(std::initializer_list<const sim::SimTee*> tees) {
    Policy p;
    for (const auto* t : tees) p.trust_sim_root(TrustSimRoot{}, t->root_key_sha256());
    return p;
  }
};

TEST_F(RatsQeReportMemoSim, AQuoteWithAnotherPckCertificateDoesNotHit) {
  // Two sim platforms, each with its own PKI. Platform A's quote is memoised; then its QE report
  // and signature arrive with platform B's PCK chain, verified against B's (valid) collateral:
  // the only failure is the QE report signature, and the memo must not hide it.
  sim::SimTee a = open(dir_ + "/a", kSimNow);
  sim::SimTee b = open(dir_ + "/b", kSimNow);
  Policy p = trusting({&a, &b});
  Buf qa = quote(a);
  Collateral ca = a.collateral(), cb = b.collateral();
  CollateralCache cache;
  ASSERT_TRUE(verify(Tee::sgx, qa, ca, kSimNow + 60, &cache, &p).trusted);
  ASSERT_EQ(cache.signatures().size(), 1u);

  auto qb = formats::parse_intel_quote(quote(b));
  ASSERT_TRUE(qb.ok());
  Buf spliced = with_cert_data(qa, qb->sig.cert_data);
  uint64_t before = crypto::ecdsa_verifications();
  Verdict v = verify(Tee::sgx, spliced, cb, kSimNow + 60, &cache, &p);
  EXPECT_EQ(checks(v), std::vector<std::string>{"qe_report_signature"}) << v.to_json().dump(2);
  EXPECT_EQ(cache.signatures().hits(), 0u);
  // B's collateral was new to the cache (its TCB info and QE identity: 2), then the QE report and
  // the quote: nothing was skipped.
  EXPECT_EQ(crypto::ecdsa_verifications() - before, 4u);
  EXPECT_EQ(v.to_json(), uncached(Tee::sgx, spliced, cb, kSimNow + 60, &p));

  // The same QE report with B's chain, now with its collateral cached: still verified, still
  // rejected.
  before = crypto::ecdsa_verifications();
  EXPECT_EQ(checks(verify(Tee::sgx, spliced, cb, kSimNow + 120, &cache, &p)),
            std::vector<std::string>{"qe_report_signature"});
  EXPECT_EQ(crypto::ecdsa_verifications() - before, 2u);
  EXPECT_EQ(cache.signatures().size(), 1u);
}

TEST_F(RatsQeReportMemoSim, ALookupOutsideTheMemoisedCollateralsWindowVerifiesAgain) {
  // The same platform 40 days later: the collateral was re-issued (same keys), the quote from
  // before still verifies, but not by the memo entry made with the old collateral.
  sim::SimTee before_tee = open(dir_, kSimNow);
  Collateral old_collateral = before_tee.collateral();
  Buf q = quote(before_tee);
  Policy p = trusting({&before_tee});
  CollateralCache cache;
  const int64_t t1 = kSimNow + 60;
  ASSERT_TRUE(verify(Tee::sgx, q, old_collateral, t1, &cache, &p).trusted);
  ASSERT_EQ(cache.signatures().size(), 1u);

  sim::SimTee later = open(dir_, kSimNow + 40 * kDay);
  Collateral new_collateral = later.collateral();
  ASSERT_NE(new_collateral.by_role, old_collateral.by_role);
  const int64_t t2 = kSimNow + 40 * kDay + 60;
  uint64_t hits = cache.signatures().hits();
  Verdict v = verify(Tee::sgx, q, new_collateral, t2, &cache, &p);
  EXPECT_TRUE(v.trusted) << v.to_json().dump(2);
  EXPECT_EQ(cache.signatures().hits(), hits);  // t2 is outside the memoised window: a miss

  // That verification memoised the triple again for the new collateral's window: a hit at t2.
  uint64_t ecdsa = crypto::ecdsa_verifications();
  EXPECT_TRUE(verify(Tee::sgx, q, new_collateral, t2 + 60, &cache, &p).trusted);
  EXPECT_EQ(crypto::ecdsa_verifications() - ecdsa, 1u);

  // Back at t1 with the old collateral (still cached): t1 is outside the entry's window now, so
  // the QE report is verified again (two ECDSA verifies), and the verdict is the same.
  ecdsa = crypto::ecdsa_verifications();
  hits = cache.signatures().hits();
  Verdict back = verify(Tee::sgx, q, old_collateral, t1, &cache, &p);
  EXPECT_TRUE(back.trusted);
  EXPECT_EQ(crypto::ecdsa_verifications() - ecdsa, 2u);
  EXPECT_EQ(cache.signatures().hits(), hits);
  EXPECT_EQ(back.to_json(), uncached(Tee::sgx, q, old_collateral, t1, &p));
}

TEST_F(RatsQeReportMemoSim, TheMemoKeepsAtMostItsBound) {
  // Three runs of the quoting enclave (three attestation keys, three QE reports) through a memo
  // of two: the oldest leaves and is verified in full again.
  std::vector<sim::SimTee> tees;
  for (int i = 0; i < 3; ++i) tees.push_back(open(dir_, kSimNow));
  Policy p = trusting({&tees[0]});
  Collateral c = tees[0].collateral();
  CollateralCache cache(256, 2);
  std::vector<Buf> quotes;
  for (const auto& t : tees) quotes.push_back(quote(t));
  for (const auto& q : quotes) {
    ASSERT_TRUE(verify(Tee::sgx, q, c, kSimNow + 60, &cache, &p).trusted);
    EXPECT_LE(cache.signatures().size(), 2u);
  }
  EXPECT_EQ(cache.signatures().size(), 2u);
  uint64_t ecdsa = crypto::ecdsa_verifications();
  EXPECT_TRUE(verify(Tee::sgx, quotes[2], c, kSimNow + 60, &cache, &p).trusted);
  EXPECT_EQ(crypto::ecdsa_verifications() - ecdsa, 1u);  // newest: memoised
  ecdsa = crypto::ecdsa_verifications();
  EXPECT_TRUE(verify(Tee::sgx, quotes[0], c, kSimNow + 60, &cache, &p).trusted);
  EXPECT_EQ(crypto::ecdsa_verifications() - ecdsa, 2u);  // oldest: evicted, verified again
  EXPECT_EQ(cache.signatures().size(), 2u);
}

}  // namespace
}  // namespace rats
