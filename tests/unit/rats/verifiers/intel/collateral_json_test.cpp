// Tests of src/rats/verifiers/intel/collateral_json.cpp: real TCB info and QE identity documents
// parse; each malformed field is an error that names the document and the field's full path.
#include "rats/verifiers/intel/collateral_json.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "rats/vectors.h"

namespace rats::intel {
namespace {

using nlohmann::json;

std::string text_of(const std::string& rel) {
  auto b = test::load(rel);
  return std::string(b.begin(), b.end());
}

// The error of parsing `rel` after `mutate` changed its JSON ("" if it parses).
std::string tcb_error(const std::string& rel, const std::function<void(json&)>& mutate) {
  json j = json::parse(text_of(rel));
  mutate(j);
  auto r = parse_tcb_info(j.dump());
  return r.ok() ? "" : r.error().message();
}

std::string qe_error(const std::string& rel, const std::function<void(json&)>& mutate) {
  json j = json::parse(text_of(rel));
  mutate(j);
  auto r = parse_qe_identity(j.dump());
  return r.ok() ? "" : r.error().message();
}

constexpr const char* kSgxV3 = "sgx/signal-cdsi/tcb_info.json";
constexpr const char* kSgxV2 = "sgx/intel-dcap-qvl-sample/tcbInfo.json";
constexpr const char* kTdx = "tdx/phala-dcap-qvl/tcb_info.json";
constexpr const char* kQe = "sgx/signal-cdsi/qe_identity.json";

TEST(RatsCollateralJson, RealDocumentsParse) {
  REQUIRE_VECTORS();
  for (const char* rel : {kSgxV3, kSgxV2, kTdx}) {
    auto r = parse_tcb_info(text_of(rel));
    ASSERT_TRUE(r.ok()) << rel << ": " << r.error().message();
    EXPECT_FALSE(r->body.levels.empty()) << rel;
    EXPECT_NE(r->signed_bytes.find("\"fmspc\""), std::string::npos) << rel;
  }
  auto tdx = parse_tcb_info(text_of(kTdx));
  ASSERT_TRUE(tdx.ok());
  EXPECT_EQ(tdx->body.id, "TDX");
  EXPECT_TRUE(tdx->body.tdx_module.has_value());
  EXPECT_TRUE(tdx->body.levels[0].tdx_svn.has_value());
  auto qe = parse_qe_identity(text_of(kQe));
  ASSERT_TRUE(qe.ok()) << qe.error().message();
  EXPECT_EQ(qe->body.id, "QE");
  EXPECT_FALSE(qe->body.levels.empty());
}

TEST(RatsCollateralJson, MissingFieldsNameTheirPath) {
  REQUIRE_VECTORS();
  EXPECT_EQ(tcb_error(kSgxV3, [](json& j) { j["tcbInfo"].erase("fmspc"); }),
            "tcb_info: `tcbInfo.fmspc`: is required");
  EXPECT_EQ(tcb_error(kSgxV3, [](json& j) { j["tcbInfo"]["tcbLevels"][2].erase("tcbDate"); }),
            "tcb_info: `tcbInfo.tcbLevels[2].tcbDate`: is required");
  EXPECT_EQ(tcb_error(kSgxV3, [](json& j) { j.erase("signature"); }),
            "tcb_info: `signature`: is required");
  EXPECT_EQ(qe_error(kQe, [](json& j) { j["enclaveIdentity"].erase("mrsigner"); }),
            "qe_identity: `enclaveIdentity.mrsigner`: is required");
}

TEST(RatsCollateralJson, WrongTypesAndRangesNameTheirPath) {
  REQUIRE_VECTORS();
  EXPECT_EQ(tcb_error(kSgxV3, [](json& j) { j["tcbInfo"]["tcbLevels"][1]["tcb"]["pcesvn"] = "x"; }),
            "tcb_info: `tcbInfo.tcbLevels[1].tcb.pcesvn`: expected an integer, got a string");
  EXPECT_EQ(tcb_error(kSgxV3,
                      [](json& j) {
                        j["tcbInfo"]["tcbLevels"][0]["tcb"]["sgxtcbcomponents"][3]["svn"] = 256;
                      }),
            "tcb_info: `tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[3].svn`: expected an integer "
            "from 0 to 255, got 256");
  EXPECT_EQ(
      tcb_error(kSgxV2,
                [](json& j) { j["tcbInfo"]["tcbLevels"][0]["tcb"].erase("sgxtcbcomp16svn"); }),
      "tcb_info: `tcbInfo.tcbLevels[0].tcb.sgxtcbcomp16svn`: is required");
  EXPECT_EQ(qe_error(kQe, [](json& j) { j["enclaveIdentity"]["isvprodid"] = 70000; }),
            "qe_identity: `enclaveIdentity.isvprodid`: expected an integer from 0 to 65535, got "
            "70000");
  EXPECT_EQ(qe_error(kQe, [](json& j) { j["enclaveIdentity"]["miscselect"] = "0000"; }),
            "qe_identity: `enclaveIdentity.miscselect`: `0000` is not 4 bytes of hex");
}

TEST(RatsCollateralJson, ValuesOutsideTheirSetNameTheirPath) {
  REQUIRE_VECTORS();
  EXPECT_EQ(tcb_error(kSgxV3, [](json& j) { j["tcbInfo"]["version"] = 4; }),
            "tcb_info: `tcbInfo.version`: is 4; only 2 and 3 are supported");
  EXPECT_EQ(tcb_error(kSgxV3, [](json& j) { j["tcbInfo"]["issueDate"] = "yesterday"; }),
            "tcb_info: `tcbInfo.issueDate`: is not an ISO 8601 UTC time: `yesterday`");
  EXPECT_EQ(tcb_error(kSgxV3, [](json& j) { j["tcbInfo"]["tcbLevels"][0]["tcbStatus"] = "Fine"; }),
            "tcb_info: `tcbInfo.tcbLevels[0].tcbStatus`: is not a known TCB status: `Fine`");
  EXPECT_EQ(
      tcb_error(kTdx,
                [](json& j) { j["tcbInfo"]["tcbLevels"][0]["tcb"]["tdxtcbcomponents"].erase(0); }),
      "tcb_info: `tcbInfo.tcbLevels[0].tcb.tdxtcbcomponents`: must have 16 entries, not 15");
  EXPECT_EQ(tcb_error(kTdx, [](json& j) { j["tcbInfo"]["tdxModule"]["attributes"] = 1; }),
            "tcb_info: `tcbInfo.tdxModule.attributes`: expected 8 bytes of hex, got an integer");
}

TEST(RatsCollateralJson, TheFirstErrorIsKept) {
  REQUIRE_VECTORS();
  EXPECT_EQ(tcb_error(kSgxV3,
                      [](json& j) {
                        j["tcbInfo"]["fmspc"] = 1;
                        j["tcbInfo"]["tcbLevels"][0]["tcbStatus"] = "Fine";
                      }),
            "tcb_info: `tcbInfo.fmspc`: expected 6 bytes of hex, got an integer");
}

}  // namespace
}  // namespace rats::intel
