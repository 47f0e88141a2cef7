// Tests of src/rats/formats: the Intel quote and SNP report parsers over the real vectors in
// ../shared/vectors (cases.json and the MANIFESTs), plus truncation, trailing bytes, size limit and
// corrupted length fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/file.h"
#include "rats/formats/intel_quote.h"
#include "rats/formats/snp_report.h"
#include "rats/vectors.h"

namespace rats::formats {
namespace {

using test::Buf;

using test::hex;
using test::load;
using test::vectors_dir;

std::string zeros_hex(size_t n) {
  return std::string(2 * n, '0');
}

// Hex of b starts with `prefix` and ends with `suffix` (the MANIFESTs abbreviate with "…").
template <size_t N>
void expect_hex_parts(const Bytes<N>& b, const std::string& prefix, const std::string& suffix) {
  std::string h = hex(b);
  EXPECT_EQ(h.substr(0, prefix.size()), prefix);
  ASSERT_GE(h.size(), suffix.size());
  EXPECT_EQ(h.substr(h.size() - suffix.size()), suffix);
}

IntelQuote must_parse_quote(const Buf& b) {
  auto r = parse_intel_quote(b);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : IntelQuote{};
}

SnpReport must_parse_snp(const Buf& b) {
  auto r = parse_snp_report(b);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : SnpReport{};
}

// Expects an invalid_argument error whose message contains every one of `needles`.
template <class T>
void expect_error(const base::Result<T>& r, std::initializer_list<std::string> needles) {
  ASSERT_FALSE(r.ok()) << "parse succeeded; expected an error mentioning " << *needles.begin();
  EXPECT_EQ(r.error().category(), base::Category::invalid_argument);
  for (const auto& n : needles) {
    EXPECT_NE(r.error().message().find(n), std::string::npos)
        << "message `" << r.error().message() << "` lacks `" << n << "`";
  }
}

void put_le16(Buf& b, size_t off, uint16_t v) {
  b[off] = v & 0xff;
  b[off + 1] = v >> 8;
}
void put_le32(Buf& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = (v >> (8 * i)) & 0xff;
}
uint32_t get_le32(const Buf& b, size_t off) {
  return b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) |
         (static_cast<uint32_t>(b[off + 3]) << 24);
}

// ---------------------------------------------------------------------------------------------
// cases.json

TEST(RatsFormatsCasesTest, EveryCaseParsesAndMatchesItsClaims) {
  REQUIRE_VECTORS();
  auto text = base::read_file(vectors_dir() + "/cases.json");
  ASSERT_TRUE(text.ok());
  auto cases = nlohmann::json::parse(*text);
  // Claims that only a verifier with collateral can produce; none are in `claims` today.
  const std::set<std::string> needs_collateral = {"tcb_status", "advisory_ids"};
  size_t checked = 0, case_count = 0;
  for (const auto& c : cases.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    ++case_count;
    Buf evidence = load(c.at("evidence").get<std::string>());
    std::string tee = c.at("tee").get<std::string>();
    nlohmann::json claims;
    if (tee == "snp") {
      claims = claims_json(must_parse_snp(evidence));
    } else {
      claims = claims_json(must_parse_quote(evidence));
    }
    EXPECT_EQ(claims.at("tee"), tee);
    if (!c.contains("claims")) continue;
    for (const auto& [name, want] : c.at("claims").items()) {
      if (needs_collateral.count(name)) continue;
      ASSERT_TRUE(claims.contains(name)) << "claim `" << name << "` missing";
      EXPECT_EQ(claims.at(name), want) << "claim `" << name << "`";
      ++checked;
    }
  }
  EXPECT_EQ(case_count, 9u);
  EXPECT_EQ(checked, 12u);  // 5 sgx-signal-cdsi, 1 + 1 TDX mrtd, 2 + 1 + 2 SNP
}

// ---------------------------------------------------------------------------------------------
// SGX quotes (sgx/MANIFEST.md)

TEST(RatsQuoteSgxTest, SignalCdsiMatchesManifest) {
  REQUIRE_VECTORS();
  Buf b = load("sgx/signal-cdsi/quote.bin");
  IntelQuote q = must_parse_quote(b);
  EXPECT_EQ(q.header.version, 3);
  EXPECT_EQ(q.tee, Tee::sgx);
  EXPECT_EQ(q.header.qe_svn, 11);
  EXPECT_EQ(q.header.pce_svn, 16);
  EXPECT_TRUE(q.qe_vendor_is_intel());
  EXPECT_EQ(q.body_offset, 48u);
  EXPECT_EQ(q.signed_len, 432u);
  EXPECT_EQ(q.sig_data_offset, 436u);
  EXPECT_EQ(q.quote_len, 4734u);
  EXPECT_EQ(q.trailing_bytes, 0u);
  const SgxReportBody* body = q.sgx_body();
  ASSERT_NE(body, nullptr);
  Buf mrenclave = load("sgx/signal-cdsi/cdsi.mrenclave");
  EXPECT_EQ(hex(body->mr_enclave), base::hex_encode(mrenclave.data(), mrenclave.size()));
  EXPECT_EQ(hex(body->mr_signer),
            "ca63ab8170cc6bbdd84a335322093dea428c0c65de9923b8deda7396d0c2d7a5");
  EXPECT_EQ(body->isv_prod_id, 1);
  EXPECT_EQ(body->isv_svn, 1);
  EXPECT_EQ(hex(body->attributes), "05000000000000000700000000000000");
  EXPECT_FALSE(body->debug());
  EXPECT_EQ(body->misc_select, 1u);
  expect_hex_parts(body->report_data, "db2db138", "c1495" + zeros_hex(32));
  EXPECT_EQ(hex(q.sig.qe_report.mr_signer),
            "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff");
  EXPECT_EQ(q.sig.qe_report.isv_prod_id, 1);
  EXPECT_EQ(q.sig.qe_report.isv_svn, 11);
  EXPECT_EQ(0, std::memcmp(q.sig.qe_report_raw.data(), b.data() + q.qe_report_offset, 384));
  ASSERT_EQ(q.sig.qe_auth_data.size(), 32u);
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(q.sig.qe_auth_data[i], i);
  EXPECT_EQ(q.sig.cert_data_type, kCertDataPckChain);
  EXPECT_EQ(q.sig.outer_cert_data_type, kCertDataPckChain);
  std::string pem(q.sig.cert_data.begin(), q.sig.cert_data.end());
  size_t certs = 0;
  for (size_t p = pem.find("-----BEGIN CERTIFICATE-----"); p != std::string::npos;
       p = pem.find("-----BEGIN CERTIFICATE-----", p + 1)) {
    ++certs;
  }
  EXPECT_EQ(certs, 3u);
  EXPECT_EQ(q.cert_data_offset + q.sig.cert_data.size(), q.quote_len);
}

TEST(RatsQuoteSgxTest, OcclumIsADebugEnclave) {
  REQUIRE_VECTORS();
  IntelQuote q = must_parse_quote(load("sgx/occlum-trustee/occlum_quote.dat"));
  const SgxReportBody* body = q.sgx_body();
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(hex(body->mr_enclave),
            "8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68");
  EXPECT_EQ(hex(body->mr_signer),
            "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e");
  EXPECT_EQ(hex(body->attributes), "0700000000000000e700000000000000");
  EXPECT_TRUE(body->debug());
  EXPECT_EQ(claims_json(q).at("debug"), true);
  EXPECT_EQ(hex(body->report_data), "74657374" + zeros_hex(60));  // "test"
  EXPECT_EQ(q.sig.qe_report.isv_svn, 8);
  EXPECT_EQ(q.sig.cert_data_type, kCertDataPckChain);
  EXPECT_EQ(q.trailing_bytes, 0u);
}

TEST(RatsQuoteSgxTest, IntelSampleHasPpidCertDataAndNoAuthData) {
  REQUIRE_VECTORS();
  IntelQuote q = must_parse_quote(load("sgx/intel-dcap-qvl-sample/quote.dat"));
  EXPECT_EQ(q.quote_len, 1054u);
  EXPECT_EQ(q.sig.cert_data_type, kCertDataPpidClear);
  EXPECT_EQ(q.sig.cert_data.size(), 34u);
  EXPECT_TRUE(q.sig.qe_auth_data.empty());
  const SgxReportBody* body = q.sgx_body();
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(hex(body->mr_enclave), zeros_hex(32));
  EXPECT_EQ(hex(body->mr_signer), zeros_hex(32));
  EXPECT_EQ(hex(body->report_data), zeros_hex(64));
  EXPECT_EQ(q.sig.qe_report.isv_svn, 1);
  EXPECT_EQ(q.sig.qe_report.misc_select, 0x8cb182d1u);  // bytes d1 82 b1 8c
}

// ---------------------------------------------------------------------------------------------
// TDX quotes (tdx/MANIFEST.md)

TEST(RatsQuoteTdxTest, SprE4V4MatchesManifestAndCountsTheAsciiTrailer) {
  REQUIRE_VECTORS();
  Buf b = load("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
  IntelQuote q = must_parse_quote(b);
  EXPECT_EQ(q.header.version, 4);
  EXPECT_EQ(q.tee, Tee::tdx);
  EXPECT_EQ(q.header.tee_type, kTeeTypeTdx);
  EXPECT_EQ(q.body_type, kBodyTypeTd10);
  EXPECT_TRUE(q.qe_vendor_is_intel());
  EXPECT_EQ(q.signed_len, 632u);
  EXPECT_EQ(q.quote_len, 4935u);
  EXPECT_EQ(q.trailing_bytes, 39u);
  EXPECT_EQ(std::string(b.begin() + 4935, b.end()), "\nextra bytes(only for testing purpose)\n");
  const TdReportBody* td = q.td_body();
  ASSERT_NE(td, nullptr);
  EXPECT_FALSE(td->td15);
  EXPECT_EQ(hex(td->tee_tcb_svn), "03000400000000000000000000000000");
  expect_hex_parts(td->mr_seam, "2fd279c1", "3c656");
  EXPECT_EQ(hex(td->mr_signer_seam), zeros_hex(48));
  EXPECT_EQ(hex(td->seam_attributes), zeros_hex(8));
  EXPECT_EQ(hex(td->td_attributes), "0000004000000000");
  EXPECT_FALSE(td->debug());
  EXPECT_EQ(hex(td->xfam), "e71a060000000000");
  EXPECT_EQ(
      hex(td->mr_td),
      "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119"
      "d7215cbb");
  expect_hex_parts(td->rtmr[0], "2927da70", "93f32a");
  expect_hex_parts(td->rtmr[1], "2c700b8b", "cacb61");
  expect_hex_parts(td->rtmr[2], "8652f0ca", "b4424e");
  EXPECT_EQ(hex(td->rtmr[3]), zeros_hex(48));
  EXPECT_EQ(
      hex(td->report_data),
      "6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a46"
      "7dacead6f0c87a6d766c66f6f29f8acb281f1113");
  EXPECT_EQ(q.sig.outer_cert_data_type, kCertDataQeReport);
  EXPECT_EQ(q.sig.cert_data_type, kCertDataPckChain);
  EXPECT_EQ(q.sig.qe_report.isv_svn, 4);
  EXPECT_EQ(q.sig.qe_report.isv_prod_id, 2);
  expect_hex_parts(q.sig.qe_report.mr_signer, "dc9e2a7c", "a8c5");
  ASSERT_EQ(q.sig.qe_auth_data.size(), 32u);

  auto j = claims_json(q);
  EXPECT_EQ(j.at("rtmr3"), zeros_hex(48));
  EXPECT_EQ(j.at("td_attributes"), "0000004000000000");
  EXPECT_EQ(j.at("mrtd"), hex(td->mr_td));
  EXPECT_EQ(j.at("mrconfigid"), hex(td->mr_config_id));
  EXPECT_EQ(j.at("mrowner"), hex(td->mr_owner));
  EXPECT_EQ(j.at("debug"), false);
  EXPECT_FALSE(j.contains("mrservicetd"));
}

TEST(RatsQuoteTdxTest, V5SampleHasTd15Body) {
  REQUIRE_VECTORS();
  IntelQuote q = must_parse_quote(load("tdx/go-tdx-guest/quote_v5_sample.dat"));
  EXPECT_EQ(q.header.version, 5);
  EXPECT_EQ(q.body_type, kBodyTypeTd15);
  EXPECT_EQ(q.body_offset, 54u);
  EXPECT_EQ(q.signed_len, 702u);
  EXPECT_EQ(q.quote_len, 5006u);
  EXPECT_EQ(q.trailing_bytes, 0u);
  const TdReportBody* td = q.td_body();
  ASSERT_NE(td, nullptr);
  EXPECT_TRUE(td->td15);
  EXPECT_EQ(
      hex(td->mr_td),
      "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c"
      "3bc8f876");
  EXPECT_EQ(hex(td->td_attributes), "0000001000000000");
  EXPECT_EQ(hex(td->mr_service_td), zeros_hex(48));
  EXPECT_EQ(hex(td->tee_tcb_svn).substr(0, 6), "0b0104");
  EXPECT_EQ(hex(td->tee_tcb_svn2).substr(0, 6), "0d0104");
  EXPECT_EQ(
      hex(td->report_data),
      "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e094aed63060cd4a4933a4dd5"
      "37ed1255c9c79ecb3ed82cd1b486233e31c25c3a");
  EXPECT_EQ(q.sig.qe_report.isv_svn, 7);
  EXPECT_EQ(q.sig.cert_data_type, kCertDataPckChain);
  auto j = claims_json(q);
  EXPECT_EQ(j.at("mrservicetd"), zeros_hex(48));
  EXPECT_EQ(j.at("tee_tcb_svn2").get<std::string>().substr(0, 6), "0d0104");
}

TEST(RatsQuoteTdxTest, Cos113CountsZeroPaddingAndHasZeroAuthData) {
  REQUIRE_VECTORS();
  IntelQuote q = must_parse_quote(load("tdx/go-tdx-guest/ccel_cos-113-tdx-quote.dat"));
  EXPECT_EQ(q.quote_len, 4935u);
  EXPECT_EQ(q.trailing_bytes, 8000u - 4935u);
  Buf nonce = load("tdx/go-tdx-guest/ccel_nonce.dat");
  ASSERT_NE(q.td_body(), nullptr);
  EXPECT_EQ(hex(q.td_body()->report_data), base::hex_encode(nonce.data(), nonce.size()));
  EXPECT_EQ(q.sig.qe_auth_data, Buf(32, 0));
}

TEST(RatsQuoteTdxTest, PhalaV4AndOutdatedV5MatchManifest) {
  REQUIRE_VECTORS();
  IntelQuote q = must_parse_quote(load("tdx/phala-dcap-qvl/quote.bin"));
  EXPECT_EQ(q.header.version, 4);
  EXPECT_EQ(q.quote_len, 4936u);
  EXPECT_EQ(q.trailing_bytes, 70u);
  ASSERT_NE(q.td_body(), nullptr);
  EXPECT_EQ(hex(q.td_body()->tee_tcb_svn).substr(0, 8), "06010300");
  EXPECT_EQ(
      hex(q.td_body()->report_data),
      "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf524"
      "93d6e44aed55d51ec39b7e518fadb92c2b523f20");

  IntelQuote o = must_parse_quote(load("tdx/phala-dcap-qvl-outdated/quote.bin"));
  EXPECT_EQ(o.header.version, 5);
  EXPECT_EQ(o.body_type, kBodyTypeTd15);
  EXPECT_EQ(o.trailing_bytes, 0u);
  ASSERT_NE(o.td_body(), nullptr);
  EXPECT_EQ(
      hex(o.td_body()->mr_td),
      "273828c46252fcbdd8ad2dd907130222b03466d52a2911d70c1a5950895d6bd1ae451d382d5a9b1b4c0ed0e5"
      "ae9a3dbd");
  EXPECT_EQ(hex(o.td_body()->tee_tcb_svn).substr(0, 8), "07010300");
  EXPECT_EQ(hex(o.td_body()->tee_tcb_svn2).substr(0, 8), "0d010300");
  EXPECT_EQ(hex(o.td_body()->report_data),
            "d2142b643598eb5fae2bc8529dd79a558b29f868ccbb6531cb28dab9dce47728" + zeros_hex(32));
}

// SGX bodies in quote v4 (tee_type 0) and v5 (body type 1) have no real vector: rewrap the
// signal-cdsi v3 quote (its v3 certification data becomes the contents of a type-6 wrapper).
Buf rewrap_sgx_v3(const Buf& v3, uint16_t version) {
  const size_t qe_block = 436 + 128;
  Buf out(v3.begin(), v3.begin() + 48);
  put_le16(out, 0, version);
  if (version == 5) {
    out.resize(54);
    put_le16(out, 48, kBodyTypeSgx);
    put_le32(out, 50, 384);
  }
  out.insert(out.end(), v3.begin() + 48, v3.begin() + 432);  // body
  size_t inner_len = v3.size() - qe_block;
  size_t len_off = out.size();
  out.resize(out.size() + 4);
  put_le32(out, len_off, 128 + 6 + inner_len);
  out.insert(out.end(), v3.begin() + 436, v3.begin() + qe_block);  // signature, key
  size_t type_off = out.size();
  out.resize(out.size() + 6);
  put_le16(out, type_off, kCertDataQeReport);
  put_le32(out, type_off + 2, inner_len);
  out.insert(out.end(), v3.begin() + qe_block, v3.end());
  return out;
}

TEST(RatsQuoteSgxTest, SgxBodiesInV4AndV5QuotesParse) {
  REQUIRE_VECTORS();
  const Buf v3 = load("sgx/signal-cdsi/quote.bin");
  const IntelQuote q3 = must_parse_quote(v3);
  for (uint16_t version : {4, 5}) {
    SCOPED_TRACE("version " + std::to_string(version));
    IntelQuote q = must_parse_quote(rewrap_sgx_v3(v3, version));
    EXPECT_EQ(q.tee, Tee::sgx);
    EXPECT_EQ(q.body_type, kBodyTypeSgx);
    EXPECT_EQ(q.signed_len, version == 5 ? 438u : 432u);
    EXPECT_EQ(q.sig.outer_cert_data_type, kCertDataQeReport);
    EXPECT_EQ(q.sig.cert_data_type, kCertDataPckChain);
    EXPECT_EQ(q.sig.cert_data, q3.sig.cert_data);
    EXPECT_EQ(q.sig.qe_auth_data, q3.sig.qe_auth_data);
    EXPECT_EQ(q.sig.qe_report_raw, q3.sig.qe_report_raw);
    EXPECT_EQ(q.trailing_bytes, 0u);
    auto j = claims_json(q), j3 = claims_json(q3);
    j.erase("quote_version");
    j3.erase("quote_version");
    EXPECT_EQ(j, j3);
  }
  Buf b = rewrap_sgx_v3(v3, 5);
  put_le16(b, 48, kBodyTypeTd10);  // TD body type in an SGX (tee_type 0) quote
  expect_error(parse_intel_quote(b), {"`body_type` 2", "does not match `tee_type` 0x00"});
}

// ---------------------------------------------------------------------------------------------
// SNP reports (snp/MANIFEST.md)

TEST(RatsSnpReportTest, GoSevGuestMatchesManifest) {
  REQUIRE_VECTORS();
  SnpReport s = must_parse_snp(load("snp/go-sev-guest/attestation.bin"));
  EXPECT_EQ(s.version, 2u);
  EXPECT_EQ(s.guest_svn, 0u);
  EXPECT_EQ(s.policy, 0xb0000u);
  EXPECT_TRUE(s.debug_allowed());
  EXPECT_TRUE(s.smt_allowed());
  EXPECT_EQ(s.vmpl, 0u);
  EXPECT_EQ(s.signature_algo, 1u);
  EXPECT_EQ(s.current_tcb, 0x4405000000000002u);
  EXPECT_EQ(s.reported_tcb, 0x4405000000000002u);
  EXPECT_EQ(s.committed_tcb, 0x4405000000000002u);
  EXPECT_EQ(s.launch_tcb, 0x4405000000000002u);
  EXPECT_EQ(s.platform_info, 1u);
  EXPECT_EQ(s.signing_key(), SnpSigningKey::vcek);
  EXPECT_EQ(s.current_major, 1);
  EXPECT_EQ(s.current_minor, 49);
  EXPECT_EQ(s.current_build, 3);
  EXPECT_EQ(hex(s.report_data), "0102030405" + zeros_hex(59));
  EXPECT_EQ(
      hex(s.measurement),
      "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2"
      "e4872b01");
  for (const std::string& z : {hex(s.host_data), hex(s.id_key_digest), hex(s.author_key_digest),
                               hex(s.family_id), hex(s.image_id)}) {
    EXPECT_EQ(z, std::string(z.size(), '0'));
  }
  EXPECT_EQ(hex(s.chip_id),
            "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936"
            "776b564ea464cdce40c05f63c9b610c5068b006b5d");
  EXPECT_EQ(s.cpuid_fam_id, 0);
  // r and s are little-endian: reversed, the 48 low bytes read as the MANIFEST's big-endian value.
  Bytes<72> r = s.signature_r, sv = s.signature_s;
  std::reverse(r.begin(), r.end());
  std::reverse(sv.begin(), sv.end());
  // snp/MANIFEST.md abbreviates r as 0x21c89c99…8a8b8e4f; the file (whose signature verifies)
  // ends in 5a8b8e4f: a typo in the MANIFEST.
  expect_hex_parts(r, zeros_hex(24) + "21c89c99", "5a8b8e4f");
  expect_hex_parts(sv, zeros_hex(24) + "e0105d55", "6b2489e6");
  EXPECT_FALSE(s.nonzero_reserved_offset.has_value());
  EXPECT_EQ(s.signed_len, 0x2A0u);
  EXPECT_EQ(s.trailing_bytes, 0u);
  auto j = claims_json(s);
  EXPECT_EQ(j.at("policy"), 0xb0000);
  EXPECT_EQ(j.at("firmware_version"), "1.49.3");
  EXPECT_EQ(j.at("signing_key"), "vcek");
  EXPECT_FALSE(j.contains("cpuid_fam_id"));
}

TEST(RatsSnpReportTest, TrusteeVcekReportHasDistinctCurrentAndReportedTcb) {
  REQUIRE_VECTORS();
  SnpReport s = must_parse_snp(load("snp/trustee/test-report.bin"));
  EXPECT_EQ(s.version, 2u);
  EXPECT_EQ(s.policy, 0x3001fu);
  EXPECT_FALSE(s.debug_allowed());
  EXPECT_EQ(s.guest_svn, 4u);
  EXPECT_EQ(s.vmpl, 0u);
  EXPECT_EQ(s.current_tcb, 0xce08000000000003u);
  EXPECT_EQ(s.reported_tcb, 0x7308000000000003u);
  EXPECT_EQ(hex(s.report_data),
            "ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2" + zeros_hex(32));
  EXPECT_NE(hex(s.id_key_digest), zeros_hex(48));
  EXPECT_EQ(
      hex(s.chip_id),
      "c38427a30d4c7af9d96f7a15b97269825a64cb76a2352ffd5d18115d89ad473f8e8c0bcd9a5d9286612bad4a"
      "adfb4426205a3b9e4fea82301135a170e477524e");
  EXPECT_EQ(s.signing_key(), SnpSigningKey::vcek);
}

TEST(RatsSnpReportTest, TrusteeVlekReportIsV3WithCpuid) {
  REQUIRE_VECTORS();
  SnpReport s = must_parse_snp(load("snp/trustee/test-vlek-report.bin"));
  EXPECT_EQ(s.version, 3u);
  EXPECT_EQ(s.policy, 0x30000u);
  EXPECT_EQ(s.vmpl, 1u);
  EXPECT_EQ(s.platform_info, 0x27u);
  EXPECT_EQ(s.cpuid_fam_id, 0x19);
  EXPECT_EQ(s.cpuid_mod_id, 0x01);
  EXPECT_EQ(s.cpuid_step, 0x01);
  EXPECT_EQ(s.reported_tcb, 0xd918000000000004u);
  EXPECT_EQ(s.signing_key(), SnpSigningKey::vlek);
  EXPECT_EQ(hex(s.chip_id), zeros_hex(64));
  EXPECT_EQ(
      hex(s.report_data),
      "819770b7e6ea6df8dd8fd4dd146b073c0bf4f3ce5b0977ecac486e3a05ed1bd54e2a7ac1f5d1ca02e7d7d5ef"
      "9f73b8574fd9359e3a480d741a4478e8a7bc27ca");
  EXPECT_FALSE(s.nonzero_reserved_offset.has_value());
  auto j = claims_json(s);
  EXPECT_EQ(j.at("signing_key"), "vlek");
  EXPECT_EQ(j.at("cpuid_fam_id"), 0x19);
  EXPECT_EQ(j.at("vmpl"), 1);
}

// ---------------------------------------------------------------------------------------------
// Truncation: every prefix shorter than the length fields give fails cleanly; the boundaries
// name the field that is cut.

struct Cut {
  size_t len;
  std::string field;
};

void expect_every_prefix_fails(const Buf& b, size_t full_len, const std::vector<Cut>& cuts,
                               bool snp) {
  ASSERT_LE(full_len, b.size());
  // Every length (the structures are ~5 KB, so this is cheap) covers the coarse stride and all
  // lengths within ±8 of each boundary.
  for (size_t n = 0; n < full_len; ++n) {
    std::span<const uint8_t> prefix(b.data(), n);
    bool ok = snp ? parse_snp_report(prefix).ok() : parse_intel_quote(prefix).ok();
    ASSERT_FALSE(ok) << "a " << n << "-byte prefix of " << full_len << " bytes parsed";
  }
  std::span<const uint8_t> whole(b.data(), full_len);
  EXPECT_TRUE(snp ? parse_snp_report(whole).ok() : parse_intel_quote(whole).ok());
  for (const Cut& c : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(c.len));
    std::span<const uint8_t> prefix(b.data(), c.len);
    if (snp) {
      expect_error(parse_snp_report(prefix), {"`" + c.field + "`", "offset"});
    } else {
      expect_error(parse_intel_quote(prefix), {"`" + c.field + "`", "offset"});
    }
  }
}

TEST(RatsQuoteTruncationTest, EveryPrefixOfAnSgxV3QuoteFails) {
  REQUIRE_VECTORS();
  Buf b = load("sgx/signal-cdsi/quote.bin");
  IntelQuote q = must_parse_quote(b);
  size_t s = q.sig_data_offset;
  expect_every_prefix_fails(b, q.quote_len,
                            {{10, "header"},
                             {47, "header"},
                             {48, "sgx_report_body"},
                             {431, "sgx_report_body"},
                             {432, "sig_data_len"},
                             {435, "sig_data_len"},
                             {436, "sig_data_len"},
                             {s + 100, "sig_data_len"},
                             {q.quote_len - 1, "sig_data_len"}},
                            false);
}

TEST(RatsQuoteTruncationTest, EveryPrefixOfTdxV4AndV5QuotesFails) {
  REQUIRE_VECTORS();
  for (const char* path :
       {"tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat", "tdx/go-tdx-guest/quote_v5_sample.dat"}) {
    SCOPED_TRACE(path);
    Buf b = load(path);
    IntelQuote q = must_parse_quote(b);
    std::vector<Cut> cuts = {{47, "header"}, {q.signed_len + 3, "sig_data_len"}};
    if (q.header.version == 5) {
      cuts.push_back({49, "body_type"});
      cuts.push_back({53, "body_size"});
      cuts.push_back({54, "td_report_body"});
    } else {
      cuts.push_back({48, "td_report_body"});
    }
    cuts.push_back({q.signed_len - 1, "td_report_body"});
    expect_every_prefix_fails(b, q.quote_len, cuts, false);
  }
}

TEST(RatsSnpTruncationTest, EveryPrefixOfAReportFailsNamingTheCutField) {
  REQUIRE_VECTORS();
  Buf b = load("snp/go-sev-guest/attestation.bin");
  expect_every_prefix_fails(b, kSnpReportSize,
                            {{0, "version"},
                             {0x2A0, "signature_r"},
                             {0x2A1, "signature_r"},
                             {0x2E8, "signature_s"},
                             {0x090 + 5, "measurement"},
                             {kSnpReportSize - 1, "reserved"}},
                            true);
}

// ---------------------------------------------------------------------------------------------
// Trailing bytes and the size limit

TEST(RatsQuoteTrailingTest, AppendedBytesAreCountedNotParsed) {
  REQUIRE_VECTORS();
  for (const char* path :
       {"sgx/signal-cdsi/quote.bin", "tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat",
        "tdx/phala-dcap-qvl/quote.bin", "tdx/go-tdx-guest/quote_v5_sample.dat"}) {
    SCOPED_TRACE(path);
    Buf b = load(path);
    IntelQuote before = must_parse_quote(b);
    b.insert(b.end(), 100, 0xA5);
    IntelQuote after = must_parse_quote(b);
    EXPECT_EQ(after.trailing_bytes, before.trailing_bytes + 100);
    EXPECT_EQ(after.quote_len, before.quote_len);
    EXPECT_EQ(claims_json(after), claims_json(before));
  }
}

TEST(RatsSnpTrailingTest, AppendedBytesAreCountedNotParsed) {
  REQUIRE_VECTORS();
  Buf b = load("snp/trustee/test-report.bin");
  SnpReport before = must_parse_snp(b);
  b.insert(b.end(), 100, 0xA5);
  SnpReport after = must_parse_snp(b);
  EXPECT_EQ(after.trailing_bytes, before.trailing_bytes + 100);
  EXPECT_EQ(claims_json(after), claims_json(before));
}

TEST(RatsFormatsLimitTest, InputOver64KiBIsRejectedAtTheLimitIsParsed) {
  REQUIRE_VECTORS();
  Buf quote = load("sgx/signal-cdsi/quote.bin");
  Buf report = load("snp/go-sev-guest/attestation.bin");
  quote.resize(kMaxEvidenceSize, 0);
  report.resize(kMaxEvidenceSize, 0);
  ASSERT_TRUE(parse_intel_quote(quote).ok());
  EXPECT_EQ(parse_intel_quote(quote)->trailing_bytes, kMaxEvidenceSize - 4734);
  ASSERT_TRUE(parse_snp_report(report).ok());
  quote.push_back(0);
  report.push_back(0);
  expect_error(parse_intel_quote(quote), {"65537 bytes", "65536"});
  expect_error(parse_snp_report(report), {"65537 bytes", "65536"});
}

// ---------------------------------------------------------------------------------------------
// Corrupted header and length fields

TEST(RatsQuoteCorruptTest, UnknownVersionKeyTypeAndTeeTypeAreNamed) {
  REQUIRE_VECTORS();
  Buf sgx = load("sgx/signal-cdsi/quote.bin");
  Buf b = sgx;
  put_le16(b, 0, 6);
  expect_error(parse_intel_quote(b), {"`version` 6", "offset 0"});
  b = sgx;
  put_le16(b, 2, 3);
  expect_error(parse_intel_quote(b), {"`att_key_type` 3", "offset 2"});
  b = sgx;
  put_le32(b, 4, 0x81);  // v3 has no TDX
  expect_error(parse_intel_quote(b), {"`tee_type` 0x81", "offset 4"});
  Buf tdx = load("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
  b = tdx;
  put_le32(b, 4, 0x82);
  expect_error(parse_intel_quote(b), {"`tee_type` 0x82"});
}

TEST(RatsQuoteCorruptTest, SgxV3LengthFieldsAreChecked) {
  REQUIRE_VECTORS();
  const Buf orig = load("sgx/signal-cdsi/quote.bin");
  IntelQuote q = must_parse_quote(orig);
  uint32_t sig_len = get_le32(orig, 432);

  Buf b = orig;  // says more than the input holds
  put_le32(b, 432, sig_len + 1000);
  expect_error(parse_intel_quote(b),
               {"`sig_data_len` at offset 432 says " + std::to_string(sig_len + 1000) +
                " bytes but " + std::to_string(sig_len) + " remain"});
  b = orig;  // shorter than its contents: the cert data no longer fits
  put_le32(b, 432, sig_len - 10);
  expect_error(parse_intel_quote(b), {"`cert_data_size`", "says"});
  b = orig;  // longer than its contents, with padding to back it: bytes unaccounted for
  b.insert(b.end(), 16, 0);
  put_le32(b, 432, sig_len + 16);
  expect_error(parse_intel_quote(b), {"`sig_data_len` at offset 432", "16 bytes unaccounted"});

  size_t auth_len_off = q.qe_auth_data_offset - 2;
  b = orig;
  put_le16(b, auth_len_off, 0xFFFF);
  expect_error(parse_intel_quote(b),
               {"`qe_auth_data_len` at offset " + std::to_string(auth_len_off) + " says 65535"});
  size_t type_off = q.cert_data_offset - 6;
  b = orig;
  put_le16(b, type_off, 6);
  expect_error(parse_intel_quote(b), {"`cert_data_type` 6", std::to_string(type_off)});
  b = orig;
  put_le16(b, type_off, 9);
  expect_error(parse_intel_quote(b), {"`cert_data_type` 9"});
  b = orig;
  put_le32(b, type_off + 2, get_le32(orig, type_off + 2) + 1);
  expect_error(parse_intel_quote(b),
               {"`cert_data_size` at offset " + std::to_string(type_off + 2)});
}

TEST(RatsQuoteCorruptTest, TdxCertificationDataNestingIsChecked) {
  REQUIRE_VECTORS();
  const Buf orig = load("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
  IntelQuote q = must_parse_quote(orig);
  size_t outer_type_off = q.sig_data_offset + 128;
  size_t inner_type_off = q.cert_data_offset - 6;

  Buf b = orig;
  put_le16(b, outer_type_off, 5);
  expect_error(parse_intel_quote(b),
               {"`cert_data_type` 5 at offset " + std::to_string(outer_type_off), "needs 6"});
  b = orig;
  put_le32(b, outer_type_off + 2, get_le32(orig, outer_type_off + 2) + 1);
  expect_error(parse_intel_quote(b),
               {"`cert_data_size` at offset " + std::to_string(outer_type_off + 2)});
  b = orig;  // inner one byte shorter: the outer type-6 data has a byte left over
  put_le32(b, inner_type_off + 2, get_le32(orig, inner_type_off + 2) - 1);
  expect_error(
      parse_intel_quote(b),
      {"`cert_data_size` at offset " + std::to_string(outer_type_off + 2), "1 bytes unaccounted"});
  b = orig;
  put_le32(b, inner_type_off + 2, get_le32(orig, inner_type_off + 2) + 1);
  expect_error(parse_intel_quote(b),
               {"`inner_cert_data_size` at offset " + std::to_string(inner_type_off + 2)});
  b = orig;
  put_le16(b, inner_type_off, 6);
  expect_error(parse_intel_quote(b), {"`inner_cert_data_type` 6"});
}

TEST(RatsQuoteCorruptTest, V5BodyDescriptorIsChecked) {
  REQUIRE_VECTORS();
  const Buf orig = load("tdx/go-tdx-guest/quote_v5_sample.dat");
  Buf b = orig;
  put_le16(b, 48, 4);
  expect_error(parse_intel_quote(b), {"`body_type` 4", "offset 48"});
  b = orig;
  put_le16(b, 48, 1);  // SGX body in a TDX quote
  expect_error(parse_intel_quote(b), {"`body_type` 1", "does not match `tee_type` 0x81"});
  b = orig;
  put_le16(b, 48, 2);  // TD 1.0 type with the 648-byte size
  expect_error(parse_intel_quote(b), {"`body_size` at offset 50 says 648", "is 584"});
  b = orig;
  put_le32(b, 50, 4000);
  expect_error(parse_intel_quote(b), {"`body_size` at offset 50 says 4000"});
}

TEST(RatsSnpCorruptTest, UnknownVersionAlgorithmAndSigningKeyAreNamed) {
  REQUIRE_VECTORS();
  const Buf orig = load("snp/go-sev-guest/attestation.bin");
  Buf b = orig;
  put_le32(b, 0, 1);
  expect_error(parse_snp_report(b), {"`version` 1", "0x000"});
  put_le32(b, 0, 6);
  expect_error(parse_snp_report(b), {"`version` 6"});
  b = orig;
  put_le32(b, 0x34, 2);
  expect_error(parse_snp_report(b), {"`signature_algo` 2", "0x034"});
  b = orig;
  put_le32(b, 0x48, 3 << 2);
  expect_error(parse_snp_report(b), {"SIGNING_KEY 3", "`signer_info`"});
}

TEST(RatsSnpCorruptTest, NonZeroReservedBytesAreRecorded) {
  REQUIRE_VECTORS();
  Buf b = load("snp/go-sev-guest/attestation.bin");
  b[0x400] = 1;
  b[0x4A0 - 1] = 1;
  SnpReport s = must_parse_snp(b);
  ASSERT_TRUE(s.nonzero_reserved_offset.has_value());
  EXPECT_EQ(*s.nonzero_reserved_offset, 0x400u);
  b = load("snp/go-sev-guest/attestation.bin");
  b[0x188] = 0x19;  // CPUID family in a v2 report: reserved there
  s = must_parse_snp(b);
  EXPECT_EQ(s.nonzero_reserved_offset, std::optional<size_t>(0x188));
  EXPECT_EQ(s.cpuid_fam_id, 0);
}

}  // namespace
}  // namespace rats::formats
