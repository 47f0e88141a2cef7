// The sim TEE end to end through the same Intel verifier code: trusted only through the sim
// verifier (which names the sim root) or a policy naming its key, and one generated mutation per
// negative status (revoked PCK or platform CA, OutOfDate platform or QE, expired collateral,
// debug, report data, measurements).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "base/file.h"
#include "base/sim_report.h"
#include "rats/attester.h"
#include "rats/sim/sim_tee.h"
#include "rats/verifier.h"
#include "rats/verifiers/intel/intel_verifier.h"
#include "temp_dir.h"

namespace rats {
namespace {

constexpr int64_t kNow = 1790000000;

class RatsSimVerifier : public testutil::TempDirTest {
 protected:
  sim::SimTee open(const sim::SimOptions& o = {}) {
    auto t = sim::SimTee::open(dir_, kNow, o);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().what());
    return std::move(t).value();
  }
  std::vector<uint8_t> quote(const sim::SimTee& tee, const sim::EnclaveIdentity& id = {},
                             uint8_t rd = 7) {
    Bytes<64> report_data{};
    report_data.fill(rd);
    auto q = tee.make_quote(report_data, id);
    EXPECT_TRUE(q.ok());
    return *q;
  }
  Verdict verify(const std::vector<uint8_t>& q, int64_t at = kNow + 60, const Policy* p = nullptr,
                 std::optional<Bytes<64>> rd = std::nullopt) {
    VerifierOptions o;
    o.sim_state_dir = dir_;
    auto v = make_verifier("sim", o);
    EXPECT_TRUE(v.ok());
    VerifyRequest r;
    r.evidence = q;
    r.at = at;
    Policy trusting;
    trusting.trust_sim_root(TrustSimRoot{});
    r.policy = p ? p : &trusting;
    r.report_data = rd;
    auto out = (*v)->verify(r);
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().what());
    return *out;
  }
  static std::vector<std::string> checks(const Verdict& v) {
    std::vector<std::string> out;
    for (const auto& r : v.reasons) out.push_back(r.check);
    return out;
  }
};

TEST_F(RatsSimVerifier, SimQuoteIsTrustedThroughTheSimVerifier) {
  auto tee = open();
  auto v = verify(quote(tee));
  EXPECT_TRUE(v.trusted) << v.to_json().dump(2);
  EXPECT_EQ(v.tee, "sim");
  EXPECT_EQ(v.tcb_status, TcbStatus::UpToDate);
  std::string sevens;
  for (int i = 0; i < 64; ++i) sevens += "07";
  EXPECT_EQ(v.claims["report_data"], sevens);
}

TEST_F(RatsSimVerifier, TheDefaultPolicyDoesNotTrustTheSimRoot) {
  auto tee = open();
  Policy p;
  auto v = verify(quote(tee), kNow + 60, &p);
  EXPECT_EQ(checks(v), std::vector<std::string>{"root_ca"}) << v.to_json().dump(2);
  p.trust_sim_root(TrustSimRoot{}, tee.root_key_sha256());
  EXPECT_TRUE(verify(quote(tee), kNow + 60, &p).trusted);
}

TEST_F(RatsSimVerifier, TheSgxVerifierRejectsTheSimRootUnlessThePolicyNamesIt) {
  auto tee = open();
  auto q = quote(tee);
  Collateral c = tee.collateral();
  VerifyRequest r;
  r.evidence = q;
  r.collateral = &c;
  r.at = kNow + 60;
  auto v = intel::verify_quote(Tee::sgx, r, nullptr, "sgx");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(checks(*v), std::vector<std::string>{"root_ca"}) << v->to_json().dump(2);
  Policy p;
  p.trust_sim_root(TrustSimRoot{}, tee.root_key_sha256());
  r.policy = &p;
  v = intel::verify_quote(Tee::sgx, r, nullptr, "sgx");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->trusted) << v->to_json().dump(2);
}

TEST_F(RatsSimVerifier, RevokedPckIsRejected) {
  auto q = quote(open());
  open({.revoke_pck = true});
  auto v = verify(q);
  EXPECT_FALSE(v.trusted);
  ASSERT_FALSE(v.reasons.empty());
  EXPECT_EQ(v.reasons[0].check, "pck_chain");
  EXPECT_NE(v.reasons[0].detail.find("certificate revoked"), std::string::npos)
      << v.reasons[0].detail;
}

TEST_F(RatsSimVerifier, RevokedPlatformCaIsRejected) {
  auto q = quote(open());
  open({.revoke_platform_ca = true});
  auto v = verify(q);
  EXPECT_FALSE(v.trusted);
  EXPECT_EQ(checks(v), std::vector<std::string>{"pck_chain"}) << v.to_json().dump(2);
  EXPECT_NE(v.reasons[0].detail.find("revoked"), std::string::npos);
}

TEST_F(RatsSimVerifier, OutOfDatePlatformIsRejectedByDefaultAndAcceptedByPolicy) {
  auto q = quote(open());
  open({.tcb_status = "OutOfDate"});
  auto v = verify(q);
  EXPECT_EQ(v.tcb_status, TcbStatus::OutOfDate);
  EXPECT_EQ(checks(v), std::vector<std::string>{"tcb_status"});
  EXPECT_EQ(v.advisory_ids, std::vector<std::string>{"INCLAVARE-SIM-SA-0001"});
  auto p = parse_policy_json(R"({"accept_out_of_date": true, "trust_sim_root": true})");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(verify(q, kNow + 60, &*p).trusted);
}

TEST_F(RatsSimVerifier, QeOutOfDateConvergesTheStatus) {
  auto q = quote(open());
  open({.tcb_status = "ConfigurationNeeded", .qe_tcb_status = "OutOfDate"});
  auto v = verify(q);
  EXPECT_EQ(v.tcb_status, TcbStatus::OutOfDateConfigurationNeeded) << v.to_json().dump(2);
  open({.tcb_status = "SWHardeningNeeded"});
  v = verify(q);
  EXPECT_EQ(v.tcb_status, TcbStatus::SWHardeningNeeded);
  EXPECT_TRUE(v.trusted);
  open({.qe_tcb_status = "Revoked"});
  v = verify(q);
  EXPECT_EQ(v.tcb_status, TcbStatus::Revoked);
  EXPECT_FALSE(v.trusted);
}

TEST_F(RatsSimVerifier, ExpiredCollateralIsRejected) {
  auto q = quote(open());
  auto v = verify(q, kNow + 31 * 86400);
  EXPECT_FALSE(v.trusted);
  for (const char* c : {"pck_chain", "tcb_info", "qe_identity"}) {
    bool found = false;
    for (const auto& r : v.reasons) found = found || r.check == c;
    EXPECT_TRUE(found) << c << v.to_json().dump(2);
  }
}

TEST_F(RatsSimVerifier, DebugReportDataAndMeasurementsFollowThePolicy) {
  auto tee = open();
  sim::EnclaveIdentity id;
  id.mrenclave.fill(0xab);
  id.debug = true;
  auto q = quote(tee, id, 9);
  auto v = verify(q);
  EXPECT_EQ(checks(v), std::vector<std::string>{"debug"});
  auto p = parse_policy_json(R"({"allow_debug": true, "trust_sim_root": true,
      "sgx": {"mrenclave": "abababababababababababababababababababababababababababababababab"}})");
  ASSERT_TRUE(p.ok());
  Bytes<64> rd{};
  rd.fill(9);
  EXPECT_TRUE(verify(q, kNow + 60, &*p, rd).trusted);
  rd[0] = 0;
  EXPECT_EQ(checks(verify(q, kNow + 60, &*p, rd)), std::vector<std::string>{"report_data"});
  auto other = parse_policy_json(R"({"allow_debug": true, "trust_sim_root": true,
      "sgx": {"mrenclave": "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
              "isv_prod_id": 3, "min_isv_svn": 2}})");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(checks(verify(q, kNow + 60, &*other)),
            (std::vector<std::string>{"policy.mrenclave", "policy.isv_prod_id", "policy.isv_svn"}));
}

// A liberpal-sim REPORT (base/sim_report.h) for the sim QE with `origin` and report data `rd`.
Bytes<432> pal_report(uint8_t origin, uint8_t rd, const uint8_t* target = SIM_TEE_QE_MRENCLAVE) {
  uint8_t ti[512] = {};
  std::memcpy(ti, target, 32);
  uint8_t measurement[32], report_data[64];
  std::memset(measurement, 0x6c, sizeof measurement);
  std::memset(report_data, rd, sizeof report_data);
  Bytes<432> r;
  sim_report_make(ti, measurement, report_data, origin, r.data());
  return r;
}

TEST_F(RatsSimVerifier, TheQeQuotesAPalReportUnchangedAndTheOriginIsAClaim) {
  auto tee = open();
  auto q = tee.quote_report(pal_report(SIM_TEE_ORIGIN_ENCLAVE, 3));
  ASSERT_TRUE(q.ok()) << q.error().what();
  Bytes<64> rd{};
  rd.fill(3);
  auto v = verify(*q, kNow + 60, nullptr, rd);
  EXPECT_TRUE(v.trusted) << v.to_json().dump();
  EXPECT_EQ(v.claims["report_origin"], "enclave");
  std::string sixes;
  for (int i = 0; i < 32; i++) sixes += "6c";
  EXPECT_EQ(v.claims["mrenclave"], sixes);
  // The body is the REPORT's first 384 bytes, byte for byte (after the 48-byte header).
  auto r = pal_report(SIM_TEE_ORIGIN_ENCLAVE, 3);
  EXPECT_TRUE(std::equal(r.begin(), r.begin() + 384, q->begin() + 48));
  // Host and no-runtime origins.
  auto host = tee.quote_report(pal_report(SIM_TEE_ORIGIN_HOST, 3));
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(verify(*host).claims["report_origin"], "host");
  EXPECT_EQ(verify(quote(tee)).claims["report_origin"], "process");
  // An origin no sim REPORT has is rejected.
  auto odd = tee.quote_report(pal_report(7, 3));
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(checks(verify(*odd)), std::vector<std::string>{"report_origin"});
}

TEST_F(RatsSimVerifier, TheQeRefusesAReportForAnotherTargetOrAltered) {
  auto tee = open();
  uint8_t other[32];
  std::memset(other, 0x11, sizeof other);
  auto elsewhere = tee.quote_report(pal_report(SIM_TEE_ORIGIN_ENCLAVE, 3, other));
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.error().what().find("MAC"), std::string::npos) << elsewhere.error().what();
  for (size_t off : {size_t(64), size_t(304), size_t(320), size_t(420)}) {
    auto r = pal_report(SIM_TEE_ORIGIN_HOST, 3);
    r[off] ^= 1;  // MRENCLAVE, the origin, REPORTDATA, the MAC
    EXPECT_FALSE(tee.quote_report(r).ok()) << off;
  }
}

// The sim attester in a process liberpal-sim started: a thread here plays liberpal-sim's side of
// the attestation channel (the protocol of inclavare/sim_tee.h), answering with `status` and,
// with 0, a REPORT for the request (origin enclave, measurement 0x6c...).
class FakeChannel {
 public:
  explicit FakeChannel(uint32_t status = 0) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    pal_ = sv[0];
    process_ = sv[1];
    thread_ = std::thread([this, status] {
      uint8_t req[SIM_TEE_ATTEST_REQUEST_SIZE];
      while (recv(pal_, req, sizeof req, 0) == static_cast<ssize_t>(sizeof req)) {
        uint8_t reply[SIM_TEE_ATTEST_REPLY_SIZE] = {};
        std::memcpy(reply, &status, 4);
        uint8_t measurement[32];
        std::memset(measurement, 0x6c, sizeof measurement);
        sim_report_make(req, measurement, req + 512, SIM_TEE_ORIGIN_ENCLAVE, reply + 4);
        requests_++;
        (void)!send(pal_, reply, status == 0 ? sizeof reply : 4, 0);
      }
    });
    setenv(SIM_TEE_ATTEST_FD_ENV, std::to_string(process_).c_str(), 1);
  }
  ~FakeChannel() {
    unsetenv(SIM_TEE_ATTEST_FD_ENV);
    shutdown(pal_, SHUT_RDWR);
    thread_.join();
    close(pal_);
    close(process_);
  }
  int process_fd() const { return process_; }
  int requests() const { return requests_; }

 private:
  int pal_ = -1, process_ = -1;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST_F(RatsSimVerifier, TheAttesterQuotesTheEnclavesReportFromItsChannel) {
  FakeChannel channel;
  ASSERT_EQ(fcntl(channel.process_fd(), F_SETFD, 0), 0);
  auto a = make_attester("sim", {.sim_state_dir = dir_});
  ASSERT_TRUE(a.ok()) << a.error().what();
  EXPECT_EQ(fcntl(channel.process_fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);  // not passed on
  Bytes<64> rd{};
  rd.fill(0x42);
  auto q = (*a)->collect(rd);
  ASSERT_TRUE(q.ok()) << q.error().what();
  EXPECT_EQ(channel.requests(), 1);
  // (the attester opened the state at the real time, re-issuing its collateral then)
  auto v = verify(*q, time(nullptr) + 60, nullptr, rd);
  EXPECT_TRUE(v.trusted) << v.to_json().dump();
  EXPECT_EQ(v.claims["report_origin"], "enclave");
  std::string sixes;
  for (int i = 0; i < 32; i++) sixes += "6c";
  EXPECT_EQ(v.claims["mrenclave"], sixes);  // the enclave's measurement, not this program's hash
}

TEST_F(RatsSimVerifier, TheAttesterNamesABadChannelVariableAndARefusal) {
  setenv(SIM_TEE_ATTEST_FD_ENV, "12x", 1);
  auto a = make_attester("sim", {.sim_state_dir = dir_});
  unsetenv(SIM_TEE_ATTEST_FD_ENV);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().what().find(SIM_TEE_ATTEST_FD_ENV "=`12x`"), std::string::npos)
      << a.error().what();
  FakeChannel refusing(EIO);
  auto b = make_attester("sim", {.sim_state_dir = dir_});
  ASSERT_TRUE(b.ok()) << b.error().what();
  Bytes<64> rd{};
  auto q = (*b)->collect(rd);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().what().find("could not measure"), std::string::npos) << q.error().what();
}

TEST_F(RatsSimVerifier, AReadOnlyStateIsUsedAsItIsOrRefusedNamingTheDirectory) {
  sim::SimOptions ro;
  ro.read_only = true;
  auto missing = sim::SimTee::open(dir_ + "/none", kNow, ro);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().what().find(dir_ + "/none"), std::string::npos);
  EXPECT_FALSE(base::path_exists(dir_ + "/none"));  // nothing created
  open();                                           // created read-write at kNow
  auto tee = sim::SimTee::open(dir_, kNow + 3600, ro);
  ASSERT_TRUE(tee.ok()) << tee.error().what();
  EXPECT_TRUE(verify(quote(*tee)).trusted);
  EXPECT_FALSE(base::path_exists(dir_ + "/none"));
  auto stale = sim::SimTee::open(dir_, kNow + 40 * 24 * 3600, ro);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().what().find("re-issued"), std::string::npos) << stale.error().what();
  EXPECT_NE(stale.error().what().find(dir_), std::string::npos);
}

TEST_F(RatsSimVerifier, AStateWithoutCollateralIsUnusable) {
  VerifierOptions o;
  o.sim_state_dir = dir_ + "/none";
  auto v = make_verifier("sim", o);
  ASSERT_TRUE(v.ok());
  std::vector<uint8_t> q(100);
  VerifyRequest r;
  r.evidence = q;
  auto out = (*v)->verify(r);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("collateral.json"), std::string::npos);
}

}  // namespace
}  // namespace rats
