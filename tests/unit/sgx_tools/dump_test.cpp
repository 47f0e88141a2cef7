// sgx-tools dump's quote walk (src/sgx_tools/dump.*) on the real quotes of ../shared/vectors: no
// error, the values parse_intel_quote reads, every byte accounted for; every prefix of a quote
// stops with an error naming a field and an offset.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "base/encoding.h"
#include "rats/formats/intel_quote.h"
#include "rats/vectors.h"
#include "sgx_tools/dump.h"

namespace sgx_tools {
namespace {

using rats::test::Buf;
using rats::test::load;

std::map<std::string, sgx::Shown> by_name(const QuoteDump& d) {
  std::map<std::string, sgx::Shown> m;
  for (const auto& f : d.fields) m.emplace(f.name, f);
  return m;
}
template <class B>
std::string hex(const B& b) {
  return base::hex_encode(b.data(), b.size());
}

TEST(SgxToolsDump, SgxQuotesShowWhatTheParserReads) {
  REQUIRE_VECTORS();
  for (const char* rel : {"sgx/signal-cdsi/quote.bin", "sgx/occlum-trustee/occlum_quote.dat",
                          "sgx/intel-dcap-qvl-sample/quote.dat"}) {
    SCOPED_TRACE(rel);
    Buf q = load(rel);
    auto parsed = rats::formats::parse_intel_quote(q);
    ASSERT_TRUE(parsed.ok());
    QuoteDump d = dump_quote(q, DumpOptions{});
    ASSERT_FALSE(d.error.has_value()) << d.error->what();
    auto f = by_name(d);
    const auto* body = parsed->sgx_body();
    ASSERT_NE(body, nullptr);
    EXPECT_EQ(f.at("header.version").value, std::to_string(parsed->header.version));
    EXPECT_EQ(f.at("header.qe_svn").value, std::to_string(parsed->header.qe_svn));
    EXPECT_EQ(f.at("header.qe_vendor_id").value, hex(parsed->header.qe_vendor_id));
    EXPECT_EQ(f.at("body.mr_enclave").value, hex(body->mr_enclave));
    EXPECT_EQ(f.at("body.mr_enclave").offset, parsed->body_offset + 64);
    EXPECT_EQ(f.at("body.mr_signer").value, hex(body->mr_signer));
    EXPECT_EQ(f.at("body.report_data").value, hex(body->report_data));
    EXPECT_EQ(f.at("body.isv_prod_id").value, std::to_string(body->isv_prod_id));
    EXPECT_EQ(f.at("signature.quote_signature").value, hex(parsed->sig.quote_signature));
    EXPECT_EQ(f.at("signature.attestation_key").value, hex(parsed->sig.attestation_key));
    EXPECT_EQ(f.at("signature.qe_report.mr_signer").value, hex(parsed->sig.qe_report.mr_signer));
    EXPECT_EQ(f.at("signature.qe_report.mr_signer").offset, parsed->qe_report_offset + 128);
    EXPECT_EQ(f.at("signature.qe_report_signature").value, hex(parsed->sig.qe_report_signature));
    EXPECT_EQ(f.at("signature.qe_auth_data").value, hex(parsed->sig.qe_auth_data));
    EXPECT_EQ(f.at("signature.qe_auth_data").offset, parsed->qe_auth_data_offset);
    EXPECT_EQ(f.at("signature.cert_data").offset, parsed->cert_data_offset);
    EXPECT_EQ(
        f.at("signature.cert_data_type").value.rfind(std::to_string(parsed->sig.cert_data_type), 0),
        0u);
    // The fields cover the quote without gaps (PCK facts are extra, of size 0).
    size_t at = 0;
    for (const auto& s : d.fields) {
      if (s.size == 0) continue;
      EXPECT_EQ(s.offset, at) << s.name;
      at = s.offset + s.size;
    }
    EXPECT_EQ(at, parsed->quote_len);
  }
}

TEST(SgxToolsDump, TdxQuotesV4AndV5) {
  REQUIRE_VECTORS();
  for (const char* rel :
       {"tdx/go-tdx-guest/quote_v5_sample.dat", "tdx/go-tdx-guest/ccel_cos-113-tdx-quote.dat"}) {
    SCOPED_TRACE(rel);
    Buf q = load(rel);
    auto parsed = rats::formats::parse_intel_quote(q);
    ASSERT_TRUE(parsed.ok()) << parsed.error().what();
    QuoteDump d = dump_quote(q, DumpOptions{});
    ASSERT_FALSE(d.error.has_value()) << d.error->what();
    auto f = by_name(d);
    const auto* td = parsed->td_body();
    ASSERT_NE(td, nullptr);
    EXPECT_EQ(f.at("body.mr_td").value, hex(td->mr_td));
    EXPECT_EQ(f.at("body.rtmr3").value, hex(td->rtmr[3]));
    EXPECT_EQ(f.at("body.report_data").value, hex(td->report_data));
    EXPECT_EQ(f.at("signature.qe_cert_data.qe_report.mr_enclave").value,
              hex(parsed->sig.qe_report.mr_enclave));
    if (parsed->trailing_bytes > 0) {
      ASSERT_FALSE(d.notes.empty());
      EXPECT_NE(d.notes.back().find(std::to_string(parsed->trailing_bytes) + " bytes after"),
                std::string::npos);
    }
  }
}

TEST(SgxToolsDump, EveryPrefixStopsAtANamedFieldAndOffset) {
  REQUIRE_VECTORS();
  Buf q = load("sgx/signal-cdsi/quote.bin");
  auto parsed = rats::formats::parse_intel_quote(q);
  ASSERT_TRUE(parsed.ok());
  for (size_t n = 0; n < parsed->quote_len; n += (n < 1100 ? 1 : 97)) {
    QuoteDump d = dump_quote(std::span<const uint8_t>(q.data(), n), DumpOptions{});
    ASSERT_TRUE(d.error.has_value()) << "prefix " << n;
    EXPECT_NE(d.error->message().find("offset"), std::string::npos) << d.error->message();
    for (const auto& s : d.fields) EXPECT_LE(s.offset + s.size, n) << s.name;
  }
}

}  // namespace
}  // namespace sgx_tools
