// The EAA protocol (src/eaa): frames, the preamble, addresses, the get_evidence report data, and
// the workload's side over a real Rats-TLS session with the sim TEE.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <thread>

#include "base/encoding.h"
#include "eaa/address.h"
#include "eaa/protocol.h"
#include "eaa/workload.h"
#include "rats/tls.h"
#include "rats/verifier.h"
#include "temp_dir.h"

namespace eaa {
namespace {

TEST(EaaFrames, RoundTripInPiecesAndStayInStepAfterABadFrame) {
  std::string stream = encode_frame({{"type", "echo"}, {"data", "x"}});
  std::string bad = std::string("\0\0\0\x03", 4) + "[1]";
  stream += bad + encode_frame({{"type", "hello"}, {"version", 1}});
  FrameReader r;
  for (char c : stream) ASSERT_TRUE(r.feed(std::string_view(&c, 1)).ok());
  auto m1 = r.next();
  ASSERT_TRUE(m1 && m1->ok());
  EXPECT_EQ((**m1)["data"], "x");
  auto m2 = r.next();
  ASSERT_TRUE(m2 && !m2->ok());
  EXPECT_NE(m2->error().message().find("JSON object"), std::string::npos);
  auto m3 = r.next();
  ASSERT_TRUE(m3 && m3->ok());
  EXPECT_EQ((**m3)["type"], "hello");
  EXPECT_FALSE(r.next());
}

TEST(EaaFrames, AnOversizedFrameIsRefusedAtItsHeader) {
  FrameReader r;
  auto st = r.feed(std::string("\x00\x10\x00\x01", 4));  // 1 MiB + 1
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("1048577"), std::string::npos);
  FrameReader untyped;
  ASSERT_TRUE(untyped.feed(encode_frame({{"kind", "x"}})).ok());
  auto m = untyped.next();
  ASSERT_TRUE(m && !m->ok());
  EXPECT_NE(m->error().message().find("type"), std::string::npos);
}

TEST(EaaPreamble, ConnectOrBrokerAndNothingElse) {
  auto c = parse_preamble(R"({"connect":"web-1"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->connect, "web-1");
  EXPECT_FALSE(c->broker);
  auto b = parse_preamble(R"({"broker":true})");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->broker);
  for (const char* bad : {"", "connect", R"({"broker":false})", R"({"connect":""})",
                          R"({"connect":"a","broker":true})", R"({"connect":7})",
                          R"({"address":"tcp://1.2.3.4:5"})"}) {
    auto p = parse_preamble(bad);
    EXPECT_FALSE(p.ok()) << bad;
  }
  EXPECT_FALSE(parse_preamble(R"({"connect":")" + std::string(5000, 'a') + "\"}").ok());
}

TEST(EaaAddress, TcpAndAbsoluteUnixOnly) {
  auto t = parse_address("tcp://127.0.0.1:8443");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, Address::Kind::tcp);
  EXPECT_EQ(t->where, "127.0.0.1:8443");
  auto u = parse_address("unix:///run/eaa.sock");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->where, "/run/eaa.sock");
  for (const char* bad :
       {"unix://relative.sock", "http://x:1", "tcp://nohost", "tcp://:80", "127.0.0.1:80"}) {
    auto a = parse_address(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.error().message().find(bad), std::string::npos) << a.error().message();
  }
}

TEST(EaaReportData, IsTheSha512OfLabelNonceAndKeyHash) {
  std::vector<uint8_t> nonce = {1, 2, 3};
  std::string spki = "spki-bytes";
  auto rd = get_evidence_report_data(
      nonce, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(spki.data()), spki.size()));
  ASSERT_TRUE(rd.ok());
  // Computed independently (Python hashlib).
  EXPECT_EQ(base::hex_encode(rd->data(), rd->size()),
            "9b478614e6d753d6dd21a8849cc8fb1d124fa17abe6f22503734e68052da196b"
            "b92b5872499a39748e027a838f92f115ea3a58165bdc0c598bbc4acd04e2770f");
  EXPECT_FALSE(get_evidence_report_data({}, nonce).ok());
}

// The workload's side over a socketpair: a sim-attested server, a client verifying it.
class EaaWorkload : public testutil::TempDirTest {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // as the programs do: a peer gone is an error, not a signal
    testutil::TempDirTest::SetUp();
    state_ = dir_ + "/sim";
    trusting_.trust_sim_root(rats::TrustSimRoot{});
    auto a = rats::make_attester("sim", {.sim_state_dir = state_});
    ASSERT_TRUE(a.ok()) << a.error().what();
    attester_ = std::shared_ptr<const rats::Attester>(std::move(a).value());
    auto server = rats::tls::Context::create(
        {.role = rats::tls::Role::server, .attester_object = attester_, .sim_state_dir = state_});
    ASSERT_TRUE(server.ok()) << server.error().what();
    server_ = std::move(server).value();
    auto client = rats::tls::Context::create({.role = rats::tls::Role::client,
                                              .verifier = "sim",
                                              .policy = trusting_,
                                              .sim_state_dir = state_});
    ASSERT_TRUE(client.ok()) << client.error().what();
    client_ = std::move(client).value();
    auto spki = certificate_spki(server_->certificate_der());
    ASSERT_TRUE(spki.ok());
    id_.attester = attester_.get();
    id_.tee = "sim";
    id_.spki_der = *spki;
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    server_fd_ = sv[0];
    client_fd_ = sv[1];
    thread_ = std::thread([this] {
      auto s = rats::tls::Session::create(*server_, server_fd_);
      if (!s.ok() || !(*s)->negotiate().ok()) return;
      served_ = serve_workload(**s, id_);
      (*s)->cleanup();
    });
    auto c = rats::tls::Session::create(*client_, client_fd_);
    ASSERT_TRUE(c.ok());
    session_ = std::move(c).value();
    auto st = session_->negotiate();
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  void TearDown() override {
    if (session_) session_->cleanup();
    if (client_fd_ >= 0) shutdown(client_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(server_fd_);
    close(client_fd_);
    testutil::TempDirTest::TearDown();
  }
  base::Json call(const base::Json& m) {
    EXPECT_TRUE(send_message(*session_, m).ok());
    auto r = read_message(*session_, reader_);
    EXPECT_TRUE(r.ok() && *r);
    return r.ok() && *r ? **r : base::Json();
  }

  std::string state_;
  rats::Policy trusting_;
  std::shared_ptr<const rats::Attester> attester_;
  std::unique_ptr<rats::tls::Context> server_, client_;
  WorkloadIdentity id_;
  int server_fd_ = -1, client_fd_ = -1;
  std::thread thread_;
  std::unique_ptr<rats::tls::Session> session_;
  FrameReader reader_;
  base::Status served_ = base::ok();
};

TEST_F(EaaWorkload, HelloFirstThenEchoAndUnknownTypes) {
  EXPECT_EQ(call({{"type", "echo"}, {"data", "x"}})["code"], "hello_first");
  EXPECT_EQ(call({{"type", "hello"}, {"version", 2}})["code"], "unsupported_version");
  auto h = call({{"type", "hello"}, {"version", 1}});
  EXPECT_EQ(h["type"], "hello");
  EXPECT_EQ(h["version"], 1);
  EXPECT_EQ(call({{"type", "echo"}, {"data", "ping"}})["data"], "ping");
  EXPECT_EQ(call({{"type", "frobnicate"}})["code"], "unknown_type");
  EXPECT_EQ(call({{"type", "get_evidence"}, {"nonce", "zz"}})["code"], "bad_nonce");
}

TEST_F(EaaWorkload, EvidenceBindsTheNonceToTheSessionsKeyAndCannotBindAnother) {
  call({{"type", "hello"}, {"version", 1}});
  std::vector<uint8_t> nonce(32, 0x5c);
  auto ev = call({{"type", "get_evidence"}, {"nonce", base::hex_encode(nonce.data(), 32)}});
  ASSERT_EQ(ev["type"], "evidence") << ev.dump();
  EXPECT_EQ(ev["tee"], "sim");
  auto bytes = base::base64_decode(ev["evidence"].get<std::string>());
  ASSERT_TRUE(bytes);
  auto verifier = rats::make_verifier("sim", {.sim_state_dir = state_});
  ASSERT_TRUE(verifier.ok());
  auto rd = get_evidence_report_data(nonce, id_.spki_der);
  ASSERT_TRUE(rd.ok());
  rats::VerifyRequest req;
  req.evidence = *bytes;
  rats::Bytes<64> want;
  std::copy(rd->begin(), rd->end(), want.begin());
  req.report_data = want;
  req.policy = &trusting_;
  req.at = time(nullptr);
  auto v = (*verifier)->verify(req);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->trusted) << v->to_json().dump();
  // The same evidence in a certificate of another key (a caller trying to pass it off as a key
  // binding): Rats-TLS rejects it on the report data.
  auto key = rats::tls::make_self_signed({});
  ASSERT_TRUE(key.ok());
  auto oid = rats::tls::oid_content_bytes(rats::tls::kIntelRaTlsQuoteOid);
  ASSERT_TRUE(oid.ok());
  auto forged = rats::tls::make_self_signed({{*oid, *bytes}}, key->key_der);
  ASSERT_TRUE(forged.ok());
  rats::tls::PeerCheck check{
      .verifier = verifier->get(), .policy = &trusting_, .at = static_cast<int64_t>(time(nullptr))};
  auto verdict = rats::tls::verify_peer_certificate(forged->cert_der, check);
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->trusted);
  bool report_data_reason = false;
  for (const auto& r : verdict->reasons) report_data_reason |= r.check == "report_data";
  EXPECT_TRUE(report_data_reason) << verdict->to_json().dump();
}

}  // namespace
}  // namespace eaa
