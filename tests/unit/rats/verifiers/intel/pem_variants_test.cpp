// Verdict equivalence over the real quotes whose certification data is a PEM chain (type 5): the
// same quote with its chain laid out as other real quotes carry it (no newline between
// certificates, CRLF lines, trailing NULs and whitespace) gets exactly the verdict of the original
// — trusted, TCB status, advisory IDs, reasons and claims. The certification data is not covered
// by the quote signature, so only the certificates in it may matter, never their layout.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <openssl/x509.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/x509.h"
#include "rats/formats/intel_quote.h"
#include "rats/vectors.h"
#include "rats/verifier.h"
#include "rats/verifiers/intel/cert_data_variants.h"

namespace rats {
namespace {

using test::Buf;
using test::load;
using test::PemLayout;

constexpr PemLayout kLayouts[] = {PemLayout::joined, PemLayout::crlf, PemLayout::joined_crlf,
                                  PemLayout::padded};

// Every file under sgx/ and tdx/ of the vectors that parses as a quote with a type-5 chain
// (paths relative to the vectors directory, sorted).
std::vector<std::string> type5_quotes() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const char* dir : {"sgx", "tdx"}) {
    fs::path root = fs::path(test::vectors_dir()) / dir;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file() || it->file_size() > kMaxEvidenceSize) continue;
      auto bytes = base::read_file(it->path().string());
      if (!bytes.ok()) continue;
      auto q = formats::parse_intel_quote(
          std::span(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
      if (q.ok() && q->sig.cert_data_type == kCertDataPckChain) {
        out.push_back(fs::relative(it->path(), test::vectors_dir()).string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A quote with the collateral (role → path, possibly none) and time to verify it at.
struct Scenario {
  std::string name;
  std::string evidence;
  nlohmann::json collateral = nlohmann::json::object();
  int64_t at = 0;
  std::string expect;  // from cases.json, else empty
};

void PrintTo(const Scenario& s, std::ostream* os) {
  *os << s.name;
}

// The latest notBefore of the quote's chain: a time at which all of its certificates are valid.
int64_t chain_time(const std::string& evidence) {
  auto q = formats::parse_intel_quote(load(evidence));
  if (!q.ok()) return 0;
  auto chain = crypto::parse_pem_chain(q->sig.cert_data);
  if (!chain.ok()) return 0;
  int64_t at = 0;
  for (const auto& c : *chain) at = std::max(at, crypto::not_before(c.get()));
  return at + 86400;
}

// Every SGX/TDX case of cases.json whose evidence has a type-5 chain; the Occlum quote with the
// Signal collateral (sgx/MANIFEST.md §3); and every type-5 quote without collateral, at a time
// its own chain is valid (its signatures and chain are still checked, against the chain's root).
std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  std::vector<std::string> quotes = type5_quotes();
  std::set<std::string> type5(quotes.begin(), quotes.end());
  auto text = base::read_file(test::vectors_dir() + "/cases.json");
  if (text.ok()) {
    nlohmann::json all = nlohmann::json::parse(*text);
    for (const auto& c : all["cases"]) {
      if (c["tee"] != "sgx" && c["tee"] != "tdx") continue;
      if (!type5.count(c["evidence"].get<std::string>())) continue;
      out.push_back({c["name"], c["evidence"], c["collateral"], c["at"], c.value("expect", "")});
      if (c["name"] == "sgx-signal-cdsi") {
        out.push_back({"sgx-occlum-with-signal-cdsi-collateral",
                       "sgx/occlum-trustee/occlum_quote.dat", c["collateral"], c["at"], ""});
      }
    }
  }
  for (const auto& path : quotes) {
    out.push_back(
        {path + "-without-collateral", path, nlohmann::json::object(), chain_time(path), ""});
  }
  return out;
}

std::string verifier_for(const Buf& quote) {
  auto q = formats::parse_intel_quote(quote);
  return q.ok() && q->tee == Tee::tdx ? "tdx_ecdsa" : "sgx_ecdsa";
}

base::Result<Verdict> verify(const Scenario& s, const Buf& evidence) {
  auto verifier = make_verifier(verifier_for(evidence));
  if (!verifier.ok()) return std::move(verifier).error();
  Collateral col;
  for (const auto& [role, path] : s.collateral.items()) col.by_role[role] = load(path);
  VerifyRequest req;
  req.evidence = evidence;
  req.collateral = s.collateral.empty() ? nullptr : &col;
  req.at = s.at;
  return (*verifier)->verify(req);
}

class PemLayoutsOfRealQuotes : public ::testing::TestWithParam<Scenario> {};

TEST_P(PemLayoutsOfRealQuotes, GetExactlyTheVerdictOfTheOriginal) {
  REQUIRE_VECTORS();
  const Scenario& s = GetParam();
  Buf quote = load(s.evidence);
  auto parsed = formats::parse_intel_quote(quote);
  ASSERT_TRUE(parsed.ok()) << parsed.error().what();
  ASSERT_EQ(parsed->sig.cert_data_type, kCertDataPckChain);
  auto want = verify(s, quote);
  ASSERT_TRUE(want.ok()) << want.error().what();
  if (!s.expect.empty()) {
    EXPECT_EQ(want->to_json()["verdict"], s.expect);
  }
  auto original_chain = crypto::parse_pem_chain(parsed->sig.cert_data);
  ASSERT_TRUE(original_chain.ok()) << original_chain.error().what();

  for (PemLayout layout : kLayouts) {
    SCOPED_TRACE(std::string("layout ") + test::layout_name(layout));
    Buf chain = test::pem_layout(parsed->sig.cert_data, layout);
    ASSERT_NE(chain, parsed->sig.cert_data);
    std::string text(chain.begin(), chain.end());
    if (layout == PemLayout::joined || layout == PemLayout::joined_crlf) {
      // The layout this is about: END and the next BEGIN on one line, for each pair.
      size_t joins = 0;
      for (size_t p = 0; (p = text.find("-----END CERTIFICATE----------BEGIN", p)) != text.npos;
           ++p) {
        ++joins;
      }
      EXPECT_EQ(joins, original_chain->size() - 1);
    }
    auto variant = test::with_cert_data(quote, chain);
    ASSERT_TRUE(variant.ok()) << variant.error().what();

    // The re-encoded quote parses to the same quote with the new certification data.
    auto q = formats::parse_intel_quote(*variant);
    ASSERT_TRUE(q.ok()) << q.error().what();
    EXPECT_EQ(q->sig.cert_data, chain);
    EXPECT_EQ(q->trailing_bytes, parsed->trailing_bytes);
    EXPECT_EQ(formats::claims_json(*q), formats::claims_json(*parsed));
    auto certs = crypto::parse_pem_chain(q->sig.cert_data);
    ASSERT_TRUE(certs.ok()) << certs.error().what();
    ASSERT_EQ(certs->size(), original_chain->size());
    for (size_t i = 0; i < certs->size(); ++i) {
      EXPECT_EQ(X509_cmp((*certs)[i].get(), (*original_chain)[i].get()), 0) << "certificate " << i;
    }

    auto got = verify(s, *variant);
    ASSERT_TRUE(got.ok()) << got.error().what();
    EXPECT_EQ(got->trusted, want->trusted);
    EXPECT_EQ(got->tcb_status, want->tcb_status);
    EXPECT_EQ(got->advisory_ids, want->advisory_ids);
    EXPECT_EQ(got->to_json()["reasons"], want->to_json()["reasons"]);
    EXPECT_EQ(got->to_json(), want->to_json());
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, PemLayoutsOfRealQuotes, ::testing::ValuesIn(scenarios()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });
// Without the vectors there are no scenarios; TypeFiveQuotesAreFound then reports why.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PemLayoutsOfRealQuotes);

TEST(PemLayoutsOfRealQuotesCoverage, TypeFiveQuotesAreFound) {
  REQUIRE_VECTORS();
  // The scan above finds the quotes the MANIFESTs list with a type-5 chain (and any added later).
  std::vector<std::string> quotes = type5_quotes();
  std::set<std::string> found(quotes.begin(), quotes.end());
  for (const char* q :
       {"sgx/signal-cdsi/quote.bin", "sgx/occlum-trustee/occlum_quote.dat",
        "tdx/phala-dcap-qvl/quote.bin", "tdx/phala-dcap-qvl-outdated/quote.bin",
        "tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat", "tdx/go-tdx-guest/quote_v5_sample.dat",
        "tdx/go-tdx-guest/ccel_cos-113-tdx-quote.dat"}) {
    EXPECT_TRUE(found.count(q)) << q;
  }
  EXPECT_FALSE(found.count("sgx/intel-dcap-qvl-sample/quote.dat")) << "type 1, not a PEM chain";
}

// The re-encoding itself: sizes adjusted at each level, nothing else moved.
TEST(PemLayoutsOfRealQuotesCoverage, ReEncodingAdjustsEachSizeField) {
  REQUIRE_VECTORS();
  for (const char* path : {"sgx/signal-cdsi/quote.bin", "tdx/phala-dcap-qvl/quote.bin",
                           "tdx/go-tdx-guest/quote_v5_sample.dat"}) {
    SCOPED_TRACE(path);
    Buf quote = load(path);
    auto q = formats::parse_intel_quote(quote);
    ASSERT_TRUE(q.ok());
    Buf longer = q->sig.cert_data;
    longer.insert(longer.end(), 5, 0);
    auto re = test::with_cert_data(quote, longer);
    ASSERT_TRUE(re.ok()) << re.error().what();
    EXPECT_EQ(re->size(), quote.size() + 5);
    auto r = formats::parse_intel_quote(*re);
    ASSERT_TRUE(r.ok()) << r.error().what();
    EXPECT_EQ(r->sig_data_len, q->sig_data_len + 5);
    EXPECT_EQ(r->quote_len, q->quote_len + 5);
    EXPECT_EQ(r->sig.cert_data, longer);
    EXPECT_TRUE(std::equal(quote.begin(), quote.begin() + static_cast<ptrdiff_t>(q->signed_len),
                           re->begin()));
    // The original certification data back gives the original bytes.
    auto back = test::with_cert_data(*re, q->sig.cert_data);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, quote);
  }
}

}  // namespace
}  // namespace rats
