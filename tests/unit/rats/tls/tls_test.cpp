// Rats-TLS sessions in-process over a socketpair: null and fake pairs (no TEE), then the sim TEE.
#include <gtest/gtest.h>

#include "base/sim_report.h"
#include "rats/sim/sim_tee.h"
#include "rats/tls/tls_helpers.h"
#include "temp_dir.h"

namespace {

using namespace tlstest;
using rats::tls::EvidenceForm;

std::string message_of(const base::Status& s) {
  return s.ok() ? "ok" : s.error().message();
}

bool has_reason(const std::optional<rats::Verdict>& v, std::string_view check) {
  if (!v) return false;
  for (const auto& r : v->reasons)
    if (r.check == check) return true;
  return false;
}

// A side that rejected its peer: its error says that it sent the alert, and why.
void expect_sent_alert(const base::Status& s, std::string_view alert, std::string_view because) {
  ASSERT_FALSE(s.ok());
  const std::string& m = s.error().message();
  std::string sent = "TLS handshake: we sent TLS alert `" + std::string(alert) + "` because ";
  EXPECT_EQ(m.rfind(sent, 0), 0u) << m;
  EXPECT_NE(m.find(because, sent.size()), std::string::npos) << m;
  EXPECT_EQ(m.find("peer sent"), std::string::npos) << m;
}

// A side whose peer rejected it: its error says the peer sent the alert.
void expect_received_alert(const base::Status& s, std::string_view alert) {
  ASSERT_FALSE(s.ok());
  const std::string& m = s.error().message();
  EXPECT_NE(m.find(": peer sent TLS alert `" + std::string(alert) + "`"), std::string::npos) << m;
  EXPECT_EQ(m.find("we sent"), std::string::npos) << m;
}

TEST(RatsTlsNull, NullPairHandshakesAndDataFlows) {
  auto server = make_context({.role = Role::server});
  auto client = make_context({.role = Role::client});
  ASSERT_TRUE(server && client);
  EXPECT_TRUE(server->evidence().empty());
  PairResult r = run_pair(*server, *client, "hello");
  ASSERT_TRUE(r.server.negotiate.ok()) << message_of(r.server.negotiate);
  ASSERT_TRUE(r.client.negotiate.ok()) << message_of(r.client.negotiate);
  EXPECT_EQ(r.server.received, "hello");
  EXPECT_EQ(r.client.received, "echo: hello");
  ASSERT_TRUE(r.client.verdict);
  EXPECT_TRUE(r.client.verdict->trusted);
  EXPECT_EQ(r.client.verdict->tee, "null");
  EXPECT_FALSE(r.server.verdict);  // a one-way server does not verify
}

TEST(RatsTlsNull, NullMutualPairVerifiesBothSides) {
  auto server = make_context({.role = Role::server, .mutual = true});
  auto client = make_context({.role = Role::client, .mutual = true});
  PairResult r = run_pair(*server, *client, "hi");
  ASSERT_TRUE(r.server.negotiate.ok()) << message_of(r.server.negotiate);
  ASSERT_TRUE(r.client.negotiate.ok()) << message_of(r.client.negotiate);
  ASSERT_TRUE(r.server.verdict && r.client.verdict);
  EXPECT_TRUE(r.server.verdict->trusted);
  EXPECT_EQ(r.server.received, "hi");
}

TEST(RatsTlsNull, ContextReportsUnknownAttesterName) {
  auto c = Context::create({.role = Role::server, .attester = "no-such-tee"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("no-such-tee"), std::string::npos);
}

TEST(RatsTlsNull, TransmitBeforeNegotiateIsRefused) {
  auto client = make_context({.role = Role::client});
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto s = Session::create(*client, fds[0]);
  ASSERT_TRUE(s.ok());
  uint8_t b = 0;
  EXPECT_FALSE((*s)->transmit(std::span<const uint8_t>(&b, 1)).ok());
  EXPECT_FALSE((*s)->receive(std::span<uint8_t>(&b, 1)).ok());
  close(fds[0]);
  close(fds[1]);
}

// ---------------------------------------------------------------------------------------------
// Fake TEE: binding and fail-closed behaviour without a TEE.

std::shared_ptr<const rats::Attester> fake_attester() {
  return std::make_shared<FakeAttester>();
}
std::shared_ptr<const rats::Verifier> fake_verifier() {
  return std::make_shared<FakeVerifier>();
}

TEST(RatsTlsFake, OneWayFakeAttestationSucceedsWithDiceExtension) {
  auto server = make_context({.role = Role::server, .attester_object = fake_attester()});
  auto client = make_context({.role = Role::client, .verifier_object = fake_verifier()});
  PairResult r = run_pair(*server, *client, "x");
  ASSERT_TRUE(r.client.negotiate.ok()) << message_of(r.client.negotiate);
  ASSERT_TRUE(r.client.verdict && r.client.verdict->trusted);
  EXPECT_EQ(r.client.verdict->claims, nlohmann::json({{"fake", true}}));
  EXPECT_EQ(r.client.received, "echo: x");
  auto ev = rats::tls::find_cert_evidence(server->certificate_der());
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->form, EvidenceForm::dice);
}

TEST(RatsTlsFake, ClientRejectsServerWithoutEvidenceAndSendsNothing) {
  auto server = make_context({.role = Role::server});  // null attester: no extension
  auto client = make_context({.role = Role::client, .verifier_object = fake_verifier()});
  PairResult r = run_pair(*server, *client, "secret");
  ASSERT_FALSE(r.client.negotiate.ok());
  EXPECT_NE(r.client.negotiate.error().message().find("no evidence extension"), std::string::npos)
      << r.client.negotiate.error().message();
  EXPECT_FALSE(r.server.negotiate.ok());
  EXPECT_EQ(r.server.received, "");
  EXPECT_FALSE(r.client.transmit);
}

TEST(RatsTlsFake, ClientRejectsTamperedEvidenceNamingTheReason) {
  auto bad = std::make_shared<TamperingAttester>(fake_attester(), 0);
  auto server = make_context({.role = Role::server, .attester_object = bad});
  auto client = make_context({.role = Role::client, .verifier_object = fake_verifier()});
  PairResult r = run_pair(*server, *client, "secret");
  ASSERT_FALSE(r.client.negotiate.ok());
  EXPECT_NE(r.client.negotiate.error().message().find("peer evidence rejected: quote_signature"),
            std::string::npos)
      << r.client.negotiate.error().message();
  EXPECT_FALSE(r.server.negotiate.ok());
  EXPECT_NE(r.server.negotiate.error().message().find("bad certificate"), std::string::npos)
      << r.server.negotiate.error().message();
  EXPECT_EQ(r.server.received, "");
}

TEST(RatsTlsFake, MutualServerRejectsTamperedClientAndAppGetsNoData) {
  auto bad = std::make_shared<TamperingAttester>(fake_attester(), 10);
  auto server = make_context({.role = Role::server,
                              .attester_object = fake_attester(),
                              .verifier_object = fake_verifier(),
                              .mutual = true});
  auto client = make_context({.role = Role::client,
                              .attester_object = bad,
                              .verifier_object = fake_verifier(),
                              .mutual = true});
  PairResult r = run_pair(*server, *client, "secret");
  ASSERT_FALSE(r.server.negotiate.ok());
  EXPECT_NE(r.server.negotiate.error().message().find("peer evidence rejected: report_data"),
            std::string::npos)
      << r.server.negotiate.error().message();
  EXPECT_EQ(r.server.received, "");
  EXPECT_TRUE(has_reason(r.server.verdict, "report_data"));
  // TLS 1.3: the client may finish its handshake first; then its first receive fails.
  if (r.client.negotiate.ok()) {
    ASSERT_TRUE(r.client.receive);
    EXPECT_NE(r.client.receive->error().message().find("bad certificate"), std::string::npos)
        << r.client.receive->error().message();
  }
  EXPECT_EQ(r.client.received, "");
}

TEST(RatsTlsFake, ClientThatRejectsTheServerSaysItSentTheAlertAndWhy) {
  auto bad = std::make_shared<TamperingAttester>(fake_attester(), 0);
  auto server = make_context({.role = Role::server, .attester_object = bad});
  auto client = make_context({.role = Role::client, .verifier_object = fake_verifier()});
  PairResult r = run_pair(*server, *client, "secret");
  expect_sent_alert(r.client.negotiate, "bad certificate",
                    "peer evidence rejected: quote_signature: not FAKE");
  EXPECT_EQ(r.client.negotiate.error().category(), base::Category::failed_precondition);
  // The rejected server got it.
  expect_received_alert(r.server.negotiate, "bad certificate");
  EXPECT_NE(r.server.negotiate.error().message().find("did not accept our certificate"),
            std::string::npos)
      << r.server.negotiate.error().message();
}

TEST(RatsTlsFake, MutualServerThatRejectsTheClientSaysItSentTheAlertAndWhy) {
  auto bad = std::make_shared<TamperingAttester>(fake_attester(), 10);
  auto server = make_context({.role = Role::server,
                              .attester_object = fake_attester(),
                              .verifier_object = fake_verifier(),
                              .mutual = true});
  auto client = make_context({.role = Role::client,
                              .attester_object = bad,
                              .verifier_object = fake_verifier(),
                              .mutual = true});
  PairResult r = run_pair(*server, *client, "secret");
  expect_sent_alert(r.server.negotiate, "bad certificate",
                    "peer evidence rejected: report_data: evidence report data differs");
  // The client learns it from its handshake or, in TLS 1.3, from its first read.
  if (r.client.negotiate.ok()) {
    ASSERT_TRUE(r.client.receive);
    expect_received_alert(*r.client.receive, "bad certificate");
  } else {
    expect_received_alert(r.client.negotiate, "bad certificate");
  }
}

// An alert OpenSSL sends on its own (no client certificate in mutual mode): reported as sent by
// the server, with OpenSSL's reason, and as received by the client. It used to be reported by the
// server as "peer sent TLS alert".
TEST(RatsTlsFake, AlertSentForAMissingClientCertificateIsReportedAsSentWithOpenSslsReason) {
  auto server = make_context({.role = Role::server,
                              .attester_object = fake_attester(),
                              .verifier_object = fake_verifier(),
                              .mutual = true});
  auto client = make_context({.role = Role::client, .verifier_object = fake_verifier()});
  PairResult r = run_pair(*server, *client, "secret");
  expect_sent_alert(r.server.negotiate, "certificate required",
                    "peer did not return a certificate");
  EXPECT_EQ(r.server.negotiate.error().category(), base::Category::unavailable);
  if (r.client.negotiate.ok()) {
    ASSERT_TRUE(r.client.receive);
    expect_received_alert(*r.client.receive, "certificate required");
  } else {
    expect_received_alert(r.client.negotiate, "certificate required");
  }
}

TEST(RatsTlsFake, MutualServerRejectsClientWithoutCertificate) {
  auto server = make_context({.role = Role::server,
                              .attester_object = fake_attester(),
                              .verifier_object = fake_verifier(),
                              .mutual = true});
  auto client = make_context({.role = Role::client, .verifier_object = fake_verifier()});
  PairResult r = run_pair(*server, *client, "secret");
  EXPECT_FALSE(r.server.negotiate.ok());
  EXPECT_EQ(r.server.received, "");
  EXPECT_TRUE(!r.client.negotiate.ok() || r.client.receive);
}

TEST(RatsTlsFake, CertificateWithEvidenceOfAnotherKeyIsRejected) {
  auto server = make_context({.role = Role::server, .attester_object = fake_attester()});
  auto ext = rats::tls::find_cert_evidence(server->certificate_der());
  ASSERT_TRUE(ext.ok());
  // The same extension on a certificate of another key: the claims name the first key.
  auto dice_oid = rats::tls::oid_content_bytes(rats::tls::kDiceEvidenceOid);
  auto other = rats::tls::make_self_signed({{*dice_oid, ext->value}});
  ASSERT_TRUE(other.ok());
  FakeVerifier fv;
  auto v = rats::tls::verify_peer_certificate(other->cert_der, {.verifier = &fv});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->trusted);
  EXPECT_TRUE(has_reason(*v, "report_data"));

  // Claims rewritten for the other key, evidence unchanged: the report data no longer matches.
  auto dice = rats::tls::decode_dice_evidence(ext->value);
  ASSERT_TRUE(dice.ok());
  auto spki_hash = rats::crypto::sha256(other->spki_der);
  dice->claims = rats::tls::encode_claims(*spki_hash);
  auto forged = rats::tls::make_self_signed({{*dice_oid, rats::tls::encode_dice_evidence(*dice)}},
                                            other->key_der);
  ASSERT_TRUE(forged.ok());
  v = rats::tls::verify_peer_certificate(forged->cert_der, {.verifier = &fv});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->trusted);
  ASSERT_EQ(v->reasons.size(), 1u);
  EXPECT_EQ(v->reasons[0].check, "report_data");
}

// ---------------------------------------------------------------------------------------------
// The sim TEE (skipped until `sim` is registered).

class RatsTlsSim : public testutil::TempDirTest {
 protected:
  void SetUp() override {
    if (!sim_registered()) GTEST_SKIP() << "`sim` attester/verifier not registered";
    TempDirTest::SetUp();
    state_ = dir_ + "/sim";
    auto a = rats::make_attester("sim", {.sim_state_dir = state_});
    ASSERT_TRUE(a.ok()) << a.error().message();
    attester_ = std::move(a).value();
    auto probe = attester_->collect(std::array<uint8_t, 64>{});  // creates the sim PKI
    ASSERT_TRUE(probe.ok()) << probe.error().message();
    auto root = sim_root_key(state_);
    ASSERT_TRUE(root);
    trusting_.trust_sim_root(rats::TrustSimRoot{}, *root);
  }
  ContextOptions sim_server(bool mutual) {
    return {.role = Role::server,
            .attester = "sim",
            .verifier = "sim",
            .mutual = mutual,
            .policy = trusting_,
            .sim_state_dir = state_};
  }
  ContextOptions sim_client(bool mutual) {
    return {.role = Role::client,
            .attester = "sim",
            .verifier = "sim",
            .mutual = mutual,
            .policy = trusting_,
            .sim_state_dir = state_};
  }
  std::string state_;
  std::shared_ptr<const rats::Attester> attester_;
  rats::Policy trusting_;
};

TEST_F(RatsTlsSim, OneWaySimAttestationDeliversClaims) {
  auto server = make_context(sim_server(false));
  auto client = make_context(sim_client(false));
  ASSERT_TRUE(server && client);
  PairResult r = run_pair(*server, *client, "ping");
  ASSERT_TRUE(r.client.negotiate.ok()) << message_of(r.client.negotiate);
  ASSERT_TRUE(r.server.negotiate.ok()) << message_of(r.server.negotiate);
  ASSERT_TRUE(r.client.verdict && r.client.verdict->trusted);
  EXPECT_EQ(r.client.verdict->tee, "sim");
  EXPECT_FALSE(r.client.verdict->claims.empty());
  EXPECT_EQ(r.server.received, "ping");
  EXPECT_EQ(r.client.received, "echo: ping");
}

TEST_F(RatsTlsSim, MutualSimAttestationDeliversClaimsToBothSides) {
  auto server = make_context(sim_server(true));
  auto client = make_context(sim_client(true));
  ASSERT_TRUE(server && client);
  PairResult r = run_pair(*server, *client, "ping");
  ASSERT_TRUE(r.server.negotiate.ok()) << message_of(r.server.negotiate);
  ASSERT_TRUE(r.client.negotiate.ok()) << message_of(r.client.negotiate);
  ASSERT_TRUE(r.server.verdict && r.server.verdict->trusted);
  ASSERT_TRUE(r.client.verdict && r.client.verdict->trusted);
  EXPECT_FALSE(r.server.verdict->claims.empty());
  EXPECT_FALSE(r.client.verdict->claims.empty());
  EXPECT_EQ(r.client.received, "echo: ping");
}

TEST_F(RatsTlsSim, ContextIsReusedAcrossConnections) {
  auto server = make_context(sim_server(false));
  auto client = make_context(sim_client(false));
  for (int i = 0; i < 3; ++i) {
    PairResult r = run_pair(*server, *client, "n" + std::to_string(i));
    ASSERT_TRUE(r.client.negotiate.ok()) << message_of(r.client.negotiate);
    EXPECT_EQ(r.client.received, "echo: n" + std::to_string(i));
  }
}

TEST_F(RatsTlsSim, TamperedQuoteIsRejectedAndServerGetsNoData) {
  ContextOptions so = sim_server(false);
  // Byte 48 + 64: the first byte of MRENCLAVE in the signed report body.
  so.attester_object = std::make_shared<TamperingAttester>(attester_, 48 + 64);
  auto server = make_context(so);
  auto client = make_context(sim_client(false));
  PairResult r = run_pair(*server, *client, "secret");
  ASSERT_FALSE(r.client.negotiate.ok());
  expect_sent_alert(r.client.negotiate, "bad certificate",
                    "peer evidence rejected: quote_signature");
  EXPECT_FALSE(r.server.negotiate.ok());
  EXPECT_EQ(r.server.received, "");
  EXPECT_FALSE(r.client.transmit);
}

TEST_F(RatsTlsSim, UntrustedSimRootIsRejected) {
  auto server = make_context(sim_server(false));
  ContextOptions co = sim_client(false);
  co.policy = rats::Policy{};  // the default policy does not trust the sim root
  auto client = make_context(co);
  PairResult r = run_pair(*server, *client, "secret");
  expect_sent_alert(r.client.negotiate, "bad certificate", "peer evidence rejected: root_ca");
  ASSERT_TRUE(r.client.verdict);
  EXPECT_FALSE(r.client.verdict->trusted);
  EXPECT_FALSE(r.server.negotiate.ok());
  EXPECT_EQ(r.server.received, "");
}

// The same evidence under the Intel verifier with the sim collateral: trusted exactly when the
// policy names the sim root.
TEST_F(RatsTlsSim, SgxVerifierTrustsSimEvidenceOnlyWhenPolicyNamesTheRoot) {
  auto collateral = rats::load_collateral_json(state_ + "/collateral.json");
  ASSERT_TRUE(collateral.ok()) << collateral.error().message();
  auto server = make_context(sim_server(false));
  for (bool trust : {false, true}) {
    ContextOptions co = sim_client(false);
    co.verifier = "sgx_ecdsa";
    co.collateral = *collateral;
    co.policy = trust ? trusting_ : rats::Policy{};
    auto client = make_context(co);
    PairResult r = run_pair(*server, *client, "secret");
    if (trust) {
      EXPECT_TRUE(r.client.negotiate.ok()) << message_of(r.client.negotiate);
      EXPECT_EQ(r.server.received, "secret");
    } else {
      expect_sent_alert(r.client.negotiate, "bad certificate", "peer evidence rejected: root_ca");
      EXPECT_FALSE(r.server.negotiate.ok());
      EXPECT_EQ(r.server.received, "");
    }
  }
}

TEST_F(RatsTlsSim, MutualServerRejectsTamperedClientQuote) {
  auto server = make_context(sim_server(true));
  ContextOptions co = sim_client(true);
  co.attester_object = std::make_shared<TamperingAttester>(attester_, 48 + 64);
  auto client = make_context(co);
  PairResult r = run_pair(*server, *client, "secret");
  ASSERT_FALSE(r.server.negotiate.ok());
  EXPECT_NE(r.server.negotiate.error().message().find("quote_signature"), std::string::npos)
      << r.server.negotiate.error().message();
  EXPECT_EQ(r.server.received, "");
  if (r.client.negotiate.ok()) {
    ASSERT_TRUE(r.client.receive);
    EXPECT_FALSE(r.client.receive->ok());
  }
  EXPECT_EQ(r.client.received, "");
}

TEST_F(RatsTlsSim, MutualServerRejectsUntrustedClient) {
  ContextOptions so = sim_server(true);
  so.policy = rats::Policy{};
  auto server = make_context(so);
  auto client = make_context(sim_client(true));
  PairResult r = run_pair(*server, *client, "secret");
  expect_sent_alert(r.server.negotiate, "bad certificate", "peer evidence rejected: root_ca");
  EXPECT_EQ(r.server.received, "");
  EXPECT_EQ(r.client.received, "");
}

// Intel/Gramine form: raw quote in 1.2.840.113741.1337.6, REPORTDATA = SHA-256(SPKI) || 0.
enum class Binding { spki, raw_key };

class RatsTlsSimIntelForm : public RatsTlsSim {
 protected:
  // A certificate whose extension `oid` holds a sim quote bound to its key as `binding` says,
  // verified by the sim verifier under the policy that trusts the sim root.
  base::Result<rats::Verdict> verify_intel_cert(Binding binding, const std::vector<uint8_t>& oid,
                                                rats::tls::EvidenceForm* form = nullptr) {
    ASSIGN_OR_RETURN(rats::tls::CertKey key, rats::tls::make_self_signed({}));
    std::vector<uint8_t> hashed = key.spki_der;
    // Old rats-tls: the raw public key (the uncompressed P-256 point ends the SPKI).
    if (binding == Binding::raw_key) hashed.assign(key.spki_der.end() - 65, key.spki_der.end());
    ASSIGN_OR_RETURN(rats::Bytes<64> rd, rats::tls::report_data_for(hashed));
    ASSIGN_OR_RETURN(std::vector<uint8_t> quote, attester_->collect(rd));
    ASSIGN_OR_RETURN(rats::tls::CertKey cert,
                     rats::tls::make_self_signed({{oid, quote}}, key.key_der));
    ASSIGN_OR_RETURN(auto verifier, rats::make_verifier("sim", {.sim_state_dir = state_}));
    rats::tls::PeerCheck check{.verifier = verifier.get(),
                               .policy = &trusting_,
                               .at = static_cast<int64_t>(time(nullptr))};
    return rats::tls::verify_peer_certificate(cert.cert_der, check, form);
  }
  std::vector<uint8_t> intel_oid() {
    return *rats::tls::oid_content_bytes(rats::tls::kIntelRaTlsQuoteOid);
  }
  // A certificate whose Intel-form quote is the sim QE's quote of a liberpal-sim REPORT with
  // `origin`, binding the certificate's key (REPORTDATA = SHA-256(SPKI) || 0), verified.
  base::Result<rats::Verdict> verify_report_cert(uint8_t origin) {
    ASSIGN_OR_RETURN(rats::tls::CertKey key, rats::tls::make_self_signed({}));
    ASSIGN_OR_RETURN(rats::Bytes<64> rd, rats::tls::report_data_for(key.spki_der));
    uint8_t ti[512] = {};
    std::memcpy(ti, SIM_TEE_QE_MRENCLAVE, 32);
    uint8_t measurement[32];
    std::memset(measurement, 0x5a, sizeof measurement);
    rats::Bytes<432> report;
    sim_report_make(ti, measurement, rd.data(), origin, report.data());
    ASSIGN_OR_RETURN(auto tee, rats::sim::SimTee::open(state_, time(nullptr)));
    ASSIGN_OR_RETURN(std::vector<uint8_t> quote, tee.quote_report(report));
    ASSIGN_OR_RETURN(rats::tls::CertKey cert,
                     rats::tls::make_self_signed({{intel_oid(), quote}}, key.key_der));
    ASSIGN_OR_RETURN(auto verifier, rats::make_verifier("sim", {.sim_state_dir = state_}));
    rats::tls::PeerCheck check{.verifier = verifier.get(),
                               .policy = &trusting_,
                               .at = static_cast<int64_t>(time(nullptr))};
    return rats::tls::verify_peer_certificate(cert.cert_der, check);
  }
};

// A host can have liberpal-sim make a REPORT for the sim QE (pal_get_local_report) and have it
// quoted; were its REPORTDATA ever the hash of a key the host holds, that quote would bind the
// host's TLS key to the enclave. Rats-TLS takes only the enclave's own REPORTs as a key binding.
TEST_F(RatsTlsSimIntelForm, HostOriginEvidenceBindsNoKey) {
  auto host = verify_report_cert(SIM_TEE_ORIGIN_HOST);
  ASSERT_TRUE(host.ok()) << host.error().message();
  EXPECT_FALSE(host->trusted);
  EXPECT_EQ(host->claims.value("report_origin", ""), "host");
  EXPECT_TRUE(has_reason(*host, "report_origin")) << host->to_json().dump();
  // The same evidence from the enclave's channel binds it.
  auto enclave = verify_report_cert(SIM_TEE_ORIGIN_ENCLAVE);
  ASSERT_TRUE(enclave.ok()) << enclave.error().message();
  EXPECT_TRUE(enclave->trusted) << enclave->to_json().dump();
  EXPECT_EQ(enclave->claims.value("report_origin", ""), "enclave");
  std::string fives;
  for (int i = 0; i < 32; i++) fives += "5a";
  EXPECT_EQ(enclave->claims.value("mrenclave", ""), fives);
}

TEST_F(RatsTlsSimIntelForm, IntelOidQuoteBoundToSpkiVerifies) {
  rats::tls::EvidenceForm form{};
  auto v = verify_intel_cert(Binding::spki, intel_oid(), &form);
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_TRUE(v->trusted) << v->to_json().dump();
  EXPECT_EQ(form, rats::tls::EvidenceForm::intel_quote);
}

TEST_F(RatsTlsSimIntelForm, GramineMalformedOidQuoteVerifies) {
  std::vector<uint8_t> oid = {0x06, 0x09};
  for (uint8_t b : intel_oid()) oid.push_back(b);
  rats::tls::EvidenceForm form{};
  auto v = verify_intel_cert(Binding::spki, oid, &form);
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_TRUE(v->trusted) << v->to_json().dump();
  EXPECT_EQ(form, rats::tls::EvidenceForm::intel_quote);
}

TEST_F(RatsTlsSimIntelForm, RawPublicKeyBindingDoesNotVerify) {
  auto v = verify_intel_cert(Binding::raw_key, intel_oid());
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_FALSE(v->trusted);
  EXPECT_TRUE(has_reason(*v, "report_data")) << v->to_json().dump();
}

}  // namespace
