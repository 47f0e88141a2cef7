// Every case of ../shared/vectors/cases.json through the library's verifiers: expected verdict,
// TCB status, advisory IDs and claims.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rats/crypto/x509.h"
#include "rats/vectors.h"
#include "rats/verifier.h"

namespace rats {
namespace {

using test::load;

struct Case {
  std::string name;
  nlohmann::json j;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  auto text = base::read_file(test::vectors_dir() + "/cases.json");
  if (!text.ok()) return out;
  nlohmann::json all = nlohmann::json::parse(*text);
  for (const auto& c : all["cases"]) out.push_back({c["name"], c});
  return out;
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class CasesJson : public ::testing::TestWithParam<Case> {};

std::string verifier_for(const std::string& tee) {
  if (tee == "sgx") return "sgx_ecdsa";
  if (tee == "tdx") return "tdx_ecdsa";
  return tee;
}

TEST_P(CasesJson, GetsTheExpectedVerdictStatusAndClaims) {
  REQUIRE_VECTORS();
  const auto& c = GetParam().j;
  auto verifier = make_verifier(verifier_for(c["tee"]));
  ASSERT_TRUE(verifier.ok()) << verifier.error().what();
  Collateral col;
  for (const auto& [role, path] : c["collateral"].items()) col.by_role[role] = load(path);
  auto evidence = load(c["evidence"]);
  VerifyRequest req;
  req.evidence = evidence;
  req.collateral = &col;
  req.at = c["at"];
  auto v = (*verifier)->verify(req);
  ASSERT_TRUE(v.ok()) << v.error().what();
  nlohmann::json out = v->to_json();
  EXPECT_EQ(out["verdict"], c["expect"]) << out.dump(2);
  EXPECT_EQ(v->trusted, v->reasons.empty());
  if (c.contains("tcb_status")) {
    EXPECT_EQ(out["tcb_status"], c["tcb_status"]);
  }
  if (c.contains("advisory_ids")) {
    EXPECT_EQ(out["advisory_ids"], c["advisory_ids"]);
  }
  if (c.contains("claims")) {
    for (const auto& [k, want] : c["claims"].items()) EXPECT_EQ(out["claims"][k], want) << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, CasesJson, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string n = info.param.name;
  for (char& ch : n) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
});

}  // namespace
}  // namespace rats
