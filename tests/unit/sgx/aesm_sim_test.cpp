// aesm-sim's answers (src/aesm_sim), request by request, as aesmd gives them: the facts of
// docs/sgx-tools.md that a client depends on, each checked on the simulator that stands in for
// aesmd in every other test.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "aesm/aesm.pb.h"
#include "aesm_sim/server.h"
#include "base/sim_report.h"
#include "inclavare/sim_tee.h"
#include "rats/core/target_info.h"
#include "sgx/aesm/errors.h"
#include "sgx/aesm/wire.h"
#include "temp_dir.h"

namespace aesm_sim {
namespace {

namespace pb = ::aesm::message;
using Buf = std::vector<uint8_t>;

class AesmSimTest : public testutil::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    Options o;
    o.socket = dir_ + "/aesm.sock";
    o.state_dir = dir_ + "/state";
    auto s = Server::open(o);
    ASSERT_TRUE(s.ok()) << s.error().what();
    server_.emplace(std::move(s).value());
    auto key = ask(sgx::aesm::encode_select_att_key_id(std::nullopt));
    key_ = Buf(key.selectattkeyidres().selected_att_key_id().begin(),
               key.selectattkeyidres().selected_att_key_id().end());
  }
  // The Response to `request` (a whole Request); fails the test when the server closes instead.
  pb::Response ask(const Buf& request) {
    auto framed = server_->answer(request);
    pb::Response r;
    EXPECT_TRUE(framed.has_value()) << "closed without a reply";
    if (!framed) return r;
    uint32_t len;
    memcpy(&len, framed->data(), 4);
    EXPECT_EQ(len, framed->size() - 4);
    EXPECT_TRUE(r.ParseFromArray(framed->data() + 4, static_cast<int>(len)));
    return r;
  }
  Buf report_for_qe() {
    Buf report(SIM_REPORT_SIZE);
    const auto ti = rats::sim_qe_target_info();
    const uint8_t m[32] = {7}, rd[64] = {9};
    sim_report_make(ti.data(), m, rd, SIM_TEE_ORIGIN_HOST, report.data());
    return report;
  }
  std::optional<Server> server_;
  Buf key_;
};

TEST_F(AesmSimTest, KeyCallsOfferOneEcdsaKey) {
  ASSERT_EQ(key_.size(), 256u);
  EXPECT_EQ(key_[154], sgx::aesm::kAlgorithmEcdsaP256);
  auto n = ask(sgx::aesm::encode_get_supported_att_key_id_num());
  EXPECT_EQ(n.getsupportedattkeyidnumres().errorcode(), 0u);
  EXPECT_EQ(n.getsupportedattkeyidnumres().att_key_id_num(), 1u);
  auto ids = ask(sgx::aesm::encode_get_supported_att_key_ids(256));
  EXPECT_EQ(ids.getsupportedattkeyidsres().att_key_ids(), std::string(key_.begin(), key_.end()));
  EXPECT_EQ(
      ask(sgx::aesm::encode_get_supported_att_key_ids(512)).getsupportedattkeyidsres().errorcode(),
      sgx::aesm::kParameterError);
  // Intel's QE3 id is not the sim's: 38.
  auto qe3 = sgx::aesm::qe3_key_id();
  EXPECT_EQ(ask(sgx::aesm::encode_init_quote_ex(qe3, true, 32)).initquoteexres().errorcode(),
            sgx::aesm::kUnsupportedAttKeyId);
  EXPECT_EQ(ask(sgx::aesm::encode_get_quote_size_ex(qe3)).getquotesizeexres().errorcode(),
            sgx::aesm::kUnsupportedAttKeyId);
}

TEST_F(AesmSimTest, InitQuoteExAnswersAsAesmd) {
  // b_pub_key_id false: a zero-filled target_info and the public key id's size.
  auto f = ask(sgx::aesm::encode_init_quote_ex(key_, false, std::nullopt)).initquoteexres();
  EXPECT_EQ(f.errorcode(), 0u);
  EXPECT_EQ(f.target_info(), std::string(512, '\0'));
  EXPECT_EQ(f.pub_key_id_size(), 32u);
  // true with a size other than 32: 3.
  EXPECT_EQ(ask(sgx::aesm::encode_init_quote_ex(key_, true, 64)).initquoteexres().errorcode(),
            sgx::aesm::kParameterError);
  EXPECT_EQ(
      ask(sgx::aesm::encode_init_quote_ex(key_, true, std::nullopt)).initquoteexres().errorcode(),
      sgx::aesm::kParameterError);
  auto t = ask(sgx::aesm::encode_init_quote_ex(key_, true, 32)).initquoteexres();
  EXPECT_EQ(t.errorcode(), 0u);
  const auto ti = rats::sim_qe_target_info();
  EXPECT_EQ(t.target_info(), std::string(ti.begin(), ti.end()));
  // A missing required field (b_pub_key_id): errorCode 1.
  sgx::aesm::wire::Encoder inner, outer;
  inner.bytes(1, key_);
  outer.message(15, inner);
  EXPECT_EQ(ask(outer.data()).initquoteexres().errorcode(), sgx::aesm::kUnexpectedError);
}

TEST_F(AesmSimTest, GetQuoteExChecksTheReportAndFillsTheQeReport) {
  auto size = ask(sgx::aesm::encode_get_quote_size_ex(key_)).getquotesizeexres();
  ASSERT_EQ(size.errorcode(), 0u);
  const uint32_t n = size.quote_size();
  Buf report = report_for_qe(), info(960, 0);
  for (int i = 0; i < 16; ++i) info[i] = static_cast<uint8_t>(i);
  info[16] = 0x42;  // the app's MRENCLAVE starts 42
  auto q =
      ask(sgx::aesm::encode_get_quote_ex(report, key_, std::span<const uint8_t>(info), n + 100))
          .getquoteexres();
  ASSERT_EQ(q.errorcode(), 0u);
  EXPECT_EQ(q.quote().size(), n + 100u) << "padded to buf_size";
  EXPECT_EQ(q.quote().substr(n), std::string(100, '\0'));
  EXPECT_EQ(q.quote().substr(48, 64), std::string(report.begin(), report.begin() + 64))
      << "the REPORT's body verbatim";
  ASSERT_EQ(q.qe_report_info().size(), 960u);
  const auto* qe = reinterpret_cast<const uint8_t*>(q.qe_report_info().data()) + 528;
  EXPECT_EQ(sim_report_mac_ok(reinterpret_cast<const uint8_t*>(info.data()) + 16, qe), 1)
      << "MACed for the app";
  // A REPORT altered in transit: 47; a qe_report_info of 959 bytes or a small buffer: 3.
  report[100] ^= 1;
  EXPECT_EQ(ask(sgx::aesm::encode_get_quote_ex(report, key_, std::nullopt, n))
                .getquoteexres()
                .errorcode(),
            sgx::aesm::kInvalidReport);
  report[100] ^= 1;
  Buf short_info(959);
  EXPECT_EQ(
      ask(sgx::aesm::encode_get_quote_ex(report, key_, std::span<const uint8_t>(short_info), n))
          .getquoteexres()
          .errorcode(),
      sgx::aesm::kParameterError);
  EXPECT_EQ(ask(sgx::aesm::encode_get_quote_ex(report, key_, std::nullopt, n - 1))
                .getquoteexres()
                .errorcode(),
            sgx::aesm::kParameterError);
}

TEST_F(AesmSimTest, UnknownRequestsAreClosedWithoutAReply) {
  EXPECT_FALSE(server_->answer(Buf{}).has_value()) << "an empty Request";
  EXPECT_FALSE(server_->answer(Buf{0x0a, 0x00}).has_value()) << "InitQuote (1), EPID's";
  EXPECT_FALSE(server_->answer(Buf{0xff, 0xff}).has_value()) << "not a Request";
}

TEST(AesmSimMisbehave, ModesParseAndBadOnesAreNamed) {
  auto m = parse_misbehave("error:42@GetQuoteEx");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->mode, Misbehave::Mode::error);
  EXPECT_EQ(m->error_code, 42u);
  EXPECT_EQ(m->only_call, 17u);
  EXPECT_EQ(parse_misbehave("stall@15")->only_call, 15u);
  EXPECT_FALSE(parse_misbehave("split")->only_call.has_value());
  EXPECT_FALSE(parse_misbehave("explode").ok());
  EXPECT_FALSE(parse_misbehave("error:0").ok());
  EXPECT_FALSE(parse_misbehave("close@Nothing").ok());
}

}  // namespace
}  // namespace aesm_sim
