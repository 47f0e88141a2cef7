// Tests of src/rats/crypto: ECDSA helpers and the per-evidence signature checks over every real
// quote and SNP report in ../shared/vectors (MANIFESTs of sgx/, tdx/, snp/), plus one bit flipped
// in each signed region and wrong certificates.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "base/encoding.h"
#include "base/file.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/quote_signatures.h"
#include "rats/formats/intel_quote.h"
#include "rats/formats/snp_report.h"
#include "rats/vectors.h"

namespace rats::crypto {
namespace {

using test::Buf;

using test::hex;
using test::load;
using test::vectors_dir;

Buf bytes(std::string_view s) {
  return Buf(s.begin(), s.end());
}

std::set<SigCheck> failed(const SignatureChecks& c) {
  std::set<SigCheck> out;
  for (const auto& r : c.results) {
    if (!r.passed) out.insert(r.check);
  }
  return out;
}

std::string describe(const SignatureChecks& c) {
  return c.failures().empty() ? "all passed" : c.failures();
}

// ---------------------------------------------------------------------------------------------
// ecdsa.h

TEST(RatsSigEcdsaTest, ShaHelpersMatchFips180Vectors) {
  Buf abc = bytes("abc");
  auto h256 = sha256(abc);
  ASSERT_TRUE(h256.ok());
  EXPECT_EQ(hex(*h256), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto h384 = sha384(abc);
  ASSERT_TRUE(h384.ok());
  EXPECT_EQ(hex(*h384),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358bae"
            "ca134c825a7");
}

TEST(RatsSigEcdsaTest, RejectsAKeyThatIsNotOnTheCurve) {
  Bytes<64> xy{};
  xy[63] = 1;  // (0, 1) is not on P-256
  auto key = p256_public_key(xy);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().category(), base::Category::invalid_argument);
  EXPECT_NE(key.error().message().find("not a point on the curve"), std::string::npos)
      << key.error().message();
}

TEST(RatsSigEcdsaTest, VerifiesAQuoteSignatureWithTheRawKey) {
  REQUIRE_VECTORS();
  Buf b = load("sgx/signal-cdsi/quote.bin");
  auto q = formats::parse_intel_quote(b);
  ASSERT_TRUE(q.ok()) << q.error().message();
  std::span<const uint8_t> signed_region(b.data(), q->signed_len);
  EXPECT_TRUE(
      verify_p256_sha256(q->sig.attestation_key, signed_region, q->sig.quote_signature).ok());
  Bytes<64> sig = q->sig.quote_signature;
  sig[5] ^= 0x01;
  auto bad = verify_p256_sha256(q->sig.attestation_key, signed_region, sig);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("ECDSA-P256/SHA-256 signature does not verify"),
            std::string::npos)
      << bad.error().message();
}

// OpenSSL's own DER of (r, s), for comparison with ecdsa_der.
Buf openssl_der(std::span<const uint8_t> r, std::span<const uint8_t> s) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(r.data(), static_cast<int>(r.size()), nullptr),
                 BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr));
  int len = i2d_ECDSA_SIG(sig, nullptr);
  Buf out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_ECDSA_SIG(sig, &p);
  ECDSA_SIG_free(sig);
  return out;
}

TEST(RatsSigEcdsaTest, DerSignatureIsByteForByteOpenSsls) {
  // Top bit set (a zero byte goes before it), leading zero bytes (dropped), a zero value, small
  // values, all-ones, P-256 and P-384 widths.
  std::vector<Buf> values;
  for (size_t width : {size_t(32), size_t(48)}) {
    Buf v(width);
    for (size_t i = 0; i < width; ++i) v[i] = static_cast<uint8_t>(0x9d * i + 0x81);
    values.push_back(v);  // top bit set
    v[0] = 0x7f;
    values.push_back(v);  // top bit clear
    v[0] = 0;
    v[1] = 0;
    values.push_back(v);  // two leading zeros, then 0x..
    v[2] = 0x80;
    values.push_back(v);  // leading zeros, then a set top bit
    values.push_back(Buf(width, 0));
    values.push_back(Buf(width, 0xff));
    Buf one(width, 0);
    one.back() = 1;
    values.push_back(one);
  }
  for (const Buf& r : values) {
    for (const Buf& s : values) {
      if (r.size() != s.size()) continue;
      EcdsaDer der = ecdsa_der(r, s);
      Buf mine(der.der().begin(), der.der().end());
      EXPECT_EQ(mine, openssl_der(r, s))
          << base::hex_encode(r.data(), r.size()) << " / " << base::hex_encode(s.data(), s.size());
    }
  }
  EXPECT_EQ(ecdsa_der(Buf(49, 1), Buf(32, 1)).size, 0u);  // wider than P-384: refused
}

TEST(RatsSigEcdsaTest, CountsTheVerificationsItRuns) {
  REQUIRE_VECTORS();
  Buf b = load("sgx/signal-cdsi/quote.bin");
  auto q = formats::parse_intel_quote(b);
  ASSERT_TRUE(q.ok());
  std::span<const uint8_t> signed_region(b.data(), q->signed_len);
  uint64_t before = ecdsa_verifications();
  EXPECT_TRUE(
      verify_p256_sha256(q->sig.attestation_key, signed_region, q->sig.quote_signature).ok());
  Bytes<64> sig = q->sig.quote_signature;
  sig[40] ^= 0x01;
  EXPECT_FALSE(verify_p256_sha256(q->sig.attestation_key, signed_region, sig).ok());
  EXPECT_EQ(ecdsa_verifications() - before, 2u);
}

TEST(RatsSigEcdsaTest, ParsesThePemChainOfTheCertificationData) {
  REQUIRE_VECTORS();
  auto q = formats::parse_intel_quote(load("sgx/signal-cdsi/quote.bin"));
  ASSERT_TRUE(q.ok());
  auto chain = parse_pem_chain(q->sig.cert_data);  // ends in a NUL
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  ASSERT_EQ(chain->size(), 3u);
  EXPECT_NE(subject_name((*chain)[0].get()).find("CN=Intel SGX PCK Certificate"),
            std::string::npos);
  EXPECT_NE(subject_name((*chain)[1].get()).find("CN=Intel SGX PCK Platform CA"),
            std::string::npos);
  EXPECT_NE(subject_name((*chain)[2].get()).find("CN=Intel SGX Root CA"), std::string::npos);
  auto leaf = parse_certificate(load("sgx/signal-cdsi/pck_leaf.pem"));
  ASSERT_TRUE(leaf.ok()) << leaf.error().message();
  EXPECT_EQ(X509_cmp(leaf->get(), (*chain)[0].get()), 0);
}

TEST(RatsSigEcdsaTest, CertificateParsingNamesWhatIsWrong) {
  REQUIRE_VECTORS();
  auto empty = parse_pem_chain(bytes("no certificates here\n"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("no certificate"), std::string::npos);

  Buf der = load("snp/trustee/test-vcek.der");
  ASSERT_TRUE(parse_certificate(der).ok());
  Buf longer = der;
  longer.push_back(0);
  auto trailing = parse_certificate(longer);
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.error().message().find("followed by 1 more bytes"), std::string::npos)
      << trailing.error().message();
  auto garbage = parse_certificate(bytes("garbage"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message().find("malformed DER certificate"), std::string::npos);

  Buf pem = load("snp/go-sev-guest/vcek_milan.pem");
  pem[100] = '!';  // inside the base64
  auto bad_pem = parse_certificate(pem);
  ASSERT_FALSE(bad_pem.ok());
  EXPECT_NE(bad_pem.error().message().find("malformed PEM certificate"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Intel quotes: every real quote in the vectors

struct IntelVector {
  const char* name;
  const char* quote;
  uint16_t version;
  Tee tee;
  const char* pck_cert;  // for certification data types 1-4; nullptr: the quote's own chain
};

const IntelVector kIntelVectors[] = {
    {"SgxSignalCdsi", "sgx/signal-cdsi/quote.bin", 3, Tee::sgx, nullptr},
    {"SgxOcclum", "sgx/occlum-trustee/occlum_quote.dat", 3, Tee::sgx, nullptr},
    {"SgxIntelSample", "sgx/intel-dcap-qvl-sample/quote.dat", 3, Tee::sgx,
     "sgx/intel-dcap-qvl-sample/pckCert.pem"},
    {"TdxSprE4", "tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat", 4, Tee::tdx, nullptr},
    {"TdxV5Sample", "tdx/go-tdx-guest/quote_v5_sample.dat", 5, Tee::tdx, nullptr},
    {"TdxCos113", "tdx/go-tdx-guest/ccel_cos-113-tdx-quote.dat", 4, Tee::tdx, nullptr},
    {"TdxPhala", "tdx/phala-dcap-qvl/quote.bin", 4, Tee::tdx, nullptr},
    {"TdxPhalaOutdated", "tdx/phala-dcap-qvl-outdated/quote.bin", 5, Tee::tdx, nullptr},
};

class RatsSigIntelTest : public testing::TestWithParam<IntelVector> {
 protected:
  void SetUp() override {
    REQUIRE_VECTORS();
    data_ = load(GetParam().quote);
    auto q = formats::parse_intel_quote(data_);
    ASSERT_TRUE(q.ok()) << q.error().message();
    quote_ = std::move(q).value();
    if (GetParam().pck_cert) pck_ = load(GetParam().pck_cert);
  }

  // Checks `data` (re-parsed) with the vector's PCK certificate when it has one.
  SignatureChecks check(const Buf& data) {
    auto q = formats::parse_intel_quote(data);
    EXPECT_TRUE(q.ok()) << q.error().message();
    if (!q.ok()) return {};
    std::optional<std::span<const uint8_t>> pck;
    if (!pck_.empty()) pck = pck_;
    return check_intel_quote_signatures(data, *q, pck);
  }

  // Flips bit 0 of data[offset] and expects exactly `want` to fail.
  void expect_flip_fails(size_t offset, std::set<SigCheck> want) {
    SCOPED_TRACE("flipped byte " + std::to_string(offset));
    ASSERT_LT(offset, data_.size());
    Buf b = data_;
    b[offset] ^= 0x01;
    SignatureChecks c = check(b);
    ASSERT_EQ(c.results.size(), 3u);
    EXPECT_EQ(failed(c), want) << describe(c);
    for (const auto& r : c.results) EXPECT_EQ(r.reason.empty(), r.passed);
  }

  Buf data_;
  Buf pck_;
  IntelQuote quote_;
};

TEST_P(RatsSigIntelTest, AllThreeChecksPass) {
  EXPECT_EQ(quote_.header.version, GetParam().version);
  EXPECT_EQ(quote_.tee, GetParam().tee);
  SignatureChecks c = check(data_);
  ASSERT_EQ(c.results.size(), 3u);
  EXPECT_TRUE(c.all_passed()) << describe(c);
  for (SigCheck k : {SigCheck::qe_report_signature, SigCheck::qe_report_data_binding,
                     SigCheck::quote_signature}) {
    ASSERT_NE(c.find(k), nullptr) << sig_check_name(k);
    EXPECT_TRUE(c.find(k)->passed) << sig_check_name(k) << ": " << c.find(k)->reason;
  }
}

TEST_P(RatsSigIntelTest, HeaderBitFlipFailsTheQuoteSignature) {
  expect_flip_fails(28, {SigCheck::quote_signature});  // user_data
}

TEST_P(RatsSigIntelTest, BodyBitFlipFailsTheQuoteSignature) {
  expect_flip_fails(quote_.body_offset + 64, {SigCheck::quote_signature});
  expect_flip_fails(quote_.signed_len - 1, {SigCheck::quote_signature});  // last report data byte
}

TEST_P(RatsSigIntelTest, QuoteSignatureBitFlipFailsTheQuoteSignature) {
  expect_flip_fails(quote_.sig_data_offset + 31, {SigCheck::quote_signature});  // r
  expect_flip_fails(quote_.sig_data_offset + 63, {SigCheck::quote_signature});  // s
}

TEST_P(RatsSigIntelTest, AttestationKeyBitFlipFailsBindingAndQuoteSignature) {
  expect_flip_fails(quote_.sig_data_offset + 64 + 10,
                    {SigCheck::qe_report_data_binding, SigCheck::quote_signature});
}

TEST_P(RatsSigIntelTest, QeReportBitFlipFailsTheQeReportSignature) {
  expect_flip_fails(quote_.qe_report_offset, {SigCheck::qe_report_signature});  // CPUSVN
  // Its REPORTDATA is signed by the PCK key and is the binding itself.
  expect_flip_fails(quote_.qe_report_offset + 320,
                    {SigCheck::qe_report_signature, SigCheck::qe_report_data_binding});
  expect_flip_fails(quote_.qe_report_offset + 383,
                    {SigCheck::qe_report_signature, SigCheck::qe_report_data_binding});
}

TEST_P(RatsSigIntelTest, QeReportSignatureBitFlipFailsTheQeReportSignature) {
  expect_flip_fails(quote_.qe_report_offset + 384 + 20, {SigCheck::qe_report_signature});
  expect_flip_fails(quote_.qe_report_offset + 384 + 40, {SigCheck::qe_report_signature});
}

TEST_P(RatsSigIntelTest, QeAuthDataBitFlipFailsTheBinding) {
  if (quote_.sig.qe_auth_data.empty()) GTEST_SKIP() << "no QE auth data in this quote";
  expect_flip_fails(quote_.qe_auth_data_offset, {SigCheck::qe_report_data_binding});
  expect_flip_fails(quote_.qe_auth_data_offset + quote_.sig.qe_auth_data.size() - 1,
                    {SigCheck::qe_report_data_binding});
}

std::string intel_name(const testing::TestParamInfo<IntelVector>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(, RatsSigIntelTest, testing::ValuesIn(kIntelVectors), intel_name);

TEST(RatsSigIntelPckTest, TypeOneQuoteWithoutAPckCertificateFailsOnlyTheQeReportCheck) {
  REQUIRE_VECTORS();
  Buf b = load("sgx/intel-dcap-qvl-sample/quote.dat");
  auto q = formats::parse_intel_quote(b);
  ASSERT_TRUE(q.ok());
  SignatureChecks c = check_intel_quote_signatures(b, *q);
  EXPECT_EQ(failed(c), std::set<SigCheck>{SigCheck::qe_report_signature}) << describe(c);
  EXPECT_NE(c.find(SigCheck::qe_report_signature)->reason.find("type 1 carries no PCK chain"),
            std::string::npos)
      << describe(c);
}

TEST(RatsSigIntelPckTest, TypeOneQuoteWithAnotherPlatformsPckFails) {
  REQUIRE_VECTORS();
  Buf b = load("sgx/intel-dcap-qvl-sample/quote.dat");
  auto q = formats::parse_intel_quote(b);
  ASSERT_TRUE(q.ok());
  Buf other = load("sgx/signal-cdsi/pck_leaf.pem");
  SignatureChecks c = check_intel_quote_signatures(b, *q, std::span<const uint8_t>(other));
  EXPECT_EQ(failed(c), std::set<SigCheck>{SigCheck::qe_report_signature}) << describe(c);
  EXPECT_NE(c.failures().find("does not verify"), std::string::npos) << describe(c);
}

TEST(RatsSigIntelPckTest, TypeFiveQuoteAcceptsItsOwnLeafAndRefusesAnother) {
  REQUIRE_VECTORS();
  Buf b = load("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
  auto q = formats::parse_intel_quote(b);
  ASSERT_TRUE(q.ok());
  Buf own = load("tdx/go-tdx-guest/spr_e4_pck_leaf.pem");
  SignatureChecks same = check_intel_quote_signatures(b, *q, std::span<const uint8_t>(own));
  EXPECT_TRUE(same.all_passed()) << describe(same);
  Buf other = load("tdx/go-tdx-guest/v5_pck_leaf.pem");
  SignatureChecks c = check_intel_quote_signatures(b, *q, std::span<const uint8_t>(other));
  EXPECT_EQ(failed(c), std::set<SigCheck>{SigCheck::qe_report_signature}) << describe(c);
  EXPECT_NE(c.failures().find("is not the leaf of the quote's own chain"), std::string::npos)
      << describe(c);
}

TEST(RatsSigIntelPckTest, UnparsablePckCertificateIsReportedAndOtherChecksStillRun) {
  REQUIRE_VECTORS();
  Buf b = load("sgx/intel-dcap-qvl-sample/quote.dat");
  auto q = formats::parse_intel_quote(b);
  ASSERT_TRUE(q.ok());
  Buf junk = bytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  SignatureChecks c = check_intel_quote_signatures(b, *q, std::span<const uint8_t>(junk));
  ASSERT_EQ(c.results.size(), 3u);
  EXPECT_EQ(failed(c), std::set<SigCheck>{SigCheck::qe_report_signature}) << describe(c);
  EXPECT_NE(c.failures().find("PCK certificate: malformed PEM"), std::string::npos) << describe(c);
}

// ---------------------------------------------------------------------------------------------
// SNP reports

struct SnpVector {
  const char* name;
  const char* report;
  const char* cert;  // VCEK or VLEK, DER or PEM
};

const SnpVector kSnpVectors[] = {
    {"GoSevGuestDer", "snp/go-sev-guest/attestation.bin", "snp/go-sev-guest/vcek.testcer"},
    {"GoSevGuestPem", "snp/go-sev-guest/attestation.bin", "snp/go-sev-guest/vcek_milan.pem"},
    {"TrusteeVcek", "snp/trustee/test-report.bin", "snp/trustee/test-vcek.der"},
    {"TrusteeVlek", "snp/trustee/test-vlek-report.bin", "snp/trustee/test-vlek.der"},
};

class RatsSigSnpTest : public testing::TestWithParam<SnpVector> {
 protected:
  void SetUp() override {
    REQUIRE_VECTORS();
    data_ = load(GetParam().report);
    cert_ = load(GetParam().cert);
  }

  SignatureChecks check(const Buf& data, const Buf& cert) {
    auto r = formats::parse_snp_report(data);
    EXPECT_TRUE(r.ok()) << r.error().message();
    if (!r.ok()) return {};
    return check_snp_report_signature(data, *r, std::span<const uint8_t>(cert));
  }

  void expect_flip(size_t offset, bool passes) {
    SCOPED_TRACE("flipped byte " + std::to_string(offset));
    Buf b = data_;
    b[offset] ^= 0x01;
    SignatureChecks c = check(b, cert_);
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_EQ(c.all_passed(), passes) << describe(c);
  }

  Buf data_;
  Buf cert_;
};

TEST_P(RatsSigSnpTest, SignatureVerifiesWithItsCertificate) {
  SignatureChecks c = check(data_, cert_);
  ASSERT_EQ(c.results.size(), 1u);
  EXPECT_EQ(c.results[0].check, SigCheck::snp_report_signature);
  EXPECT_TRUE(c.all_passed()) << describe(c);
}

TEST_P(RatsSigSnpTest, BitFlipInTheSignedRegionFails) {
  expect_flip(0x004, false);  // GUEST_SVN
  expect_flip(42, false);     // POLICY (trustee's own negative)
  expect_flip(0x050, false);  // REPORT_DATA
  expect_flip(0x090, false);  // MEASUREMENT
  expect_flip(0x180, false);  // REPORTED_TCB
  expect_flip(0x29F, false);  // last signed byte (reserved)
}

TEST_P(RatsSigSnpTest, BitFlipInTheSignatureFails) {
  expect_flip(0x2A0, false);       // R, least significant byte
  expect_flip(0x2A0 + 47, false);  // R, most significant byte
  expect_flip(0x2E8, false);       // S
  expect_flip(0x2E8 + 47, false);
}

TEST_P(RatsSigSnpTest, NonZeroHighBytesOfRAndSFail) {
  Buf b = data_;
  b[0x2A0 + 60] = 1;
  SignatureChecks c = check(b, cert_);
  EXPECT_FALSE(c.all_passed());
  EXPECT_NE(c.failures().find("signature R is wider than 384 bits"), std::string::npos)
      << describe(c);
  b = data_;
  b[0x2E8 + 48] = 1;
  c = check(b, cert_);
  EXPECT_NE(c.failures().find("signature S is wider than 384 bits"), std::string::npos)
      << describe(c);
}

TEST_P(RatsSigSnpTest, BytesAfterTheSignatureAreNotSigned) {
  expect_flip(0x330, true);
  expect_flip(kSnpReportSize - 1, true);
}

std::string snp_name(const testing::TestParamInfo<SnpVector>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(, RatsSigSnpTest, testing::ValuesIn(kSnpVectors), snp_name);

// Reports checked with a certificate that is not theirs.
struct WrongCert {
  const char* report;
  const char* cert;
  const char* reason;
};

TEST(RatsSigSnpWrongCertTest, AnotherCertificateFailsNamingIt) {
  REQUIRE_VECTORS();
  const WrongCert cases[] = {
      {"snp/trustee/test-report.bin", "snp/trustee/test-vcek-invalid-legacy.der",
       "does not verify"},
      {"snp/trustee/test-report.bin", "snp/trustee/test-vcek-invalid-new.der", "does not verify"},
      {"snp/trustee/test-report.bin", "snp/go-sev-guest/vcek.testcer", "does not verify"},
      {"snp/go-sev-guest/attestation.bin", "snp/trustee/test-vcek.der", "does not verify"},
      {"snp/trustee/test-vlek-report.bin", "snp/trustee/test-vcek.der", "does not verify"},
      {"snp/trustee/test-report.bin", "snp/trustee/test-vlek.der", "does not verify"},
      // An RSA certificate (the ASK) and a P-256 one (an Intel PCK leaf).
      {"snp/trustee/test-report.bin", "snp/go-sev-guest/ask_milan.pem", "not an EC P-384 key"},
      {"snp/trustee/test-report.bin", "sgx/signal-cdsi/pck_leaf.pem", "not P-384"},
  };
  for (const auto& wc : cases) {
    SCOPED_TRACE(std::string(wc.report) + " with " + wc.cert);
    Buf data = load(wc.report);
    Buf cert = load(wc.cert);
    auto r = formats::parse_snp_report(data);
    ASSERT_TRUE(r.ok());
    SignatureChecks c = check_snp_report_signature(data, *r, std::span<const uint8_t>(cert));
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_FALSE(c.all_passed());
    EXPECT_NE(c.failures().find(wc.reason), std::string::npos) << describe(c);
    EXPECT_NE(c.failures().find("certificate `"), std::string::npos) << describe(c);
  }
}

TEST(RatsSigSnpWrongCertTest, MissingOrMalformedCertificateFails) {
  REQUIRE_VECTORS();
  Buf data = load("snp/trustee/test-report.bin");
  auto r = formats::parse_snp_report(data);
  ASSERT_TRUE(r.ok());
  SignatureChecks none = check_snp_report_signature(data, *r, static_cast<const X509*>(nullptr));
  EXPECT_NE(none.failures().find("no VCEK or VLEK certificate given"), std::string::npos);
  SignatureChecks junk = check_snp_report_signature(data, *r, std::span<const uint8_t>());
  EXPECT_NE(junk.failures().find("VCEK/VLEK certificate: malformed DER"), std::string::npos)
      << describe(junk);
}

}  // namespace
}  // namespace rats::crypto
