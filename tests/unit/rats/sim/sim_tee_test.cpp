// Tests of the sim TEE (src/rats/sim): state directory creation and locking, the quote it emits
// (parsed by the real parser, checked by the real signature checks), its PKI, CRLs, TCB info and
// QE identity, re-issue of expired collateral and the negative-test options.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <openssl/x509.h>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/file.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/quote_signatures.h"
#include "rats/crypto/x509.h"
#include "rats/formats/intel_quote.h"
#include "rats/sim/sim_tee.h"
#include "rats/verifier.h"
#include "temp_dir.h"

namespace rats::sim {
namespace {

constexpr int64_t kNow = 1780000000;  // 2026-05-28
constexpr int64_t kDay = 86400;
constexpr const char* kSgxExtOid = "1.2.840.113741.1.13.1";

using Buf = std::vector<uint8_t>;

Buf bytes(std::string_view s) {
  return Buf(s.begin(), s.end());
}
std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

Bytes<64> pattern_report_data() {
  Bytes<64> rd;
  for (size_t i = 0; i < rd.size(); ++i) rd[i] = static_cast<uint8_t>(0xa0 + i);
  return rd;
}

EnclaveIdentity sample_identity() {
  EnclaveIdentity id;
  id.mrenclave.fill(0x11);
  id.mrsigner.fill(0x22);
  id.isv_prod_id = 7;
  id.isv_svn = 3;
  return id;
}

class SimTeeTest : public testutil::TempDirTest {
 protected:
  std::string state() const { return base::path_join(dir_, "state"); }

  SimTee open_ok(int64_t now = kNow, const SimOptions& options = {}) {
    auto tee = SimTee::open(state(), now, options);
    EXPECT_TRUE(tee.ok()) << tee.error().what();
    return std::move(tee).value();
  }
};

// The PCK chain of `tee` (leaf from the quote's certification data) checked against its own
// root, with the CRLs of `crl_source`, at `at`.
base::Status verify_pck_chain(const Buf& cert_data, const Collateral& crl_source,
                              const std::string& root_pem, int64_t at) {
  auto chain = crypto::parse_pem_chain(cert_data);
  if (!chain.ok()) return std::move(chain).error();
  if (chain->size() != 3) return base::invalid("chain of " + std::to_string(chain->size()));
  auto root = crypto::parse_certificate(span_of(root_pem));
  auto pck_crl = crypto::parse_crl(*crl_source.find("pck_crl"));
  auto root_crl = crypto::parse_crl(*crl_source.find("root_ca_crl"));
  if (!root.ok() || !pck_crl.ok() || !root_crl.ok()) return base::invalid("bad collateral");
  crypto::ChainInput in;
  in.leaf = (*chain)[0].get();
  in.intermediates = {(*chain)[1].get()};
  in.anchor = root->get();
  in.at = at;
  in.crls = {pck_crl->get(), root_crl->get()};
  in.crl_check = crypto::CrlCheck::all;
  return crypto::verify_chain(in);
}

// The exact bytes of the JSON value of `field` in a signed collateral document, and its signature.
struct SignedDoc {
  std::string body;
  Bytes<64> signature{};
};
std::optional<SignedDoc> split_signed(const Buf& file, const std::string& field) {
  std::string text(file.begin(), file.end());
  std::string prefix = "{\"" + field + "\":";
  std::string sig_key = ",\"signature\":\"";
  size_t sig_at = text.rfind(sig_key);
  if (!text.starts_with(prefix) || sig_at == std::string::npos || !text.ends_with("\"}"))
    return std::nullopt;
  SignedDoc d;
  d.body = text.substr(prefix.size(), sig_at - prefix.size());
  std::string hex = text.substr(sig_at + sig_key.size());
  hex.resize(hex.size() - 2);
  auto raw = base::hex_decode(hex);
  if (!raw || raw->size() != 64) return std::nullopt;
  std::memcpy(d.signature.data(), raw->data(), 64);
  return d;
}

// Verifies a signed TCB info / QE identity document with the first certificate of its issuer
// chain, and that certificate against the sim root with the root CA CRL.
void expect_signed_document(const Collateral& c, const std::string& role, const std::string& field,
                            int64_t at) {
  SCOPED_TRACE(role);
  auto doc = split_signed(*c.find(role), field);
  ASSERT_TRUE(doc.has_value());
  auto chain = crypto::parse_pem_chain(*c.find(role + "_issuer_chain"));
  ASSERT_TRUE(chain.ok()) << chain.error().what();
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_TRUE(crypto::subject_name((*chain)[0].get()).ends_with("CN=Inclavare sim SGX TCB Signing"))
      << crypto::subject_name((*chain)[0].get());
  auto st = crypto::verify_p256_sha256(X509_get0_pubkey((*chain)[0].get()), span_of(doc->body),
                                       doc->signature);
  EXPECT_TRUE(st.ok()) << st.error().what();
  // A re-serialised body (different bytes, same JSON) must not verify: the signature is over the
  // exact bytes.
  std::string reserialised = nlohmann::json::parse(doc->body).dump(1);
  EXPECT_FALSE(crypto::verify_p256_sha256(X509_get0_pubkey((*chain)[0].get()),
                                          span_of(reserialised), doc->signature)
                   .ok());

  auto root = crypto::parse_certificate(*c.find("root_ca"));
  auto root_crl = crypto::parse_crl(*c.find("root_ca_crl"));
  ASSERT_TRUE(root.ok() && root_crl.ok());
  crypto::ChainInput in;
  in.leaf = (*chain)[0].get();
  in.anchor = root->get();
  in.at = at;
  in.crls = {root_crl->get()};
  in.crl_check = crypto::CrlCheck::all;
  auto chain_ok = crypto::verify_chain(in);
  EXPECT_TRUE(chain_ok.ok()) << chain_ok.error().what();
}

// ---------------------------------------------------------------------------------------------
// A minimal DER reader for the SGX extension.

struct Tlv {
  uint8_t tag = 0;
  Buf content;
};

std::optional<std::vector<Tlv>> der_items(const Buf& in) {
  std::vector<Tlv> out;
  size_t i = 0;
  while (i < in.size()) {
    if (in.size() - i < 2) return std::nullopt;
    Tlv t;
    t.tag = in[i++];
    size_t len = in[i++];
    if (len & 0x80) {
      size_t n = len & 0x7f;
      if (n == 0 || n > 2 || in.size() - i < n) return std::nullopt;
      len = 0;
      while (n--) len = (len << 8) | in[i++];
    }
    if (in.size() - i < len) return std::nullopt;
    t.content.assign(in.begin() + i, in.begin() + i + len);
    i += len;
    out.push_back(std::move(t));
  }
  return out;
}

std::string oid_text(const Buf& content) {
  std::string s = std::to_string(content[0] / 40) + "." + std::to_string(content[0] % 40);
  uint64_t v = 0;
  for (size_t i = 1; i < content.size(); ++i) {
    v = (v << 7) | (content[i] & 0x7f);
    if (!(content[i] & 0x80)) {
      s += "." + std::to_string(v);
      v = 0;
    }
  }
  return s;
}

uint64_t der_uint(const Buf& content) {
  uint64_t v = 0;
  for (uint8_t b : content) v = (v << 8) | b;
  return v;
}

// The SEQUENCE OF SEQUENCE {OID, value} as OID -> (tag, content); nullopt when malformed.
std::optional<std::vector<std::pair<std::string, Tlv>>> sgx_entries(const Buf& seq_content) {
  auto items = der_items(seq_content);
  if (!items) return std::nullopt;
  std::vector<std::pair<std::string, Tlv>> out;
  for (const auto& item : *items) {
    if (item.tag != 0x30) return std::nullopt;
    auto pair = der_items(item.content);
    if (!pair || pair->size() != 2 || (*pair)[0].tag != 0x06) return std::nullopt;
    out.emplace_back(oid_text((*pair)[0].content), (*pair)[1]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

TEST(SimDefaults, StateDirFollowsXdg) {
  if (geteuid() == 0) {
    EXPECT_EQ(default_state_dir(), "/var/lib/inclavare/sim-tee");
    return;
  }
  std::string old_xdg = getenv("XDG_STATE_HOME") ? getenv("XDG_STATE_HOME") : "";
  setenv("XDG_STATE_HOME", "/x/state", 1);
  EXPECT_EQ(default_state_dir(), "/x/state/inclavare/sim-tee");
  unsetenv("XDG_STATE_HOME");
  EXPECT_TRUE(default_state_dir().ends_with("/.local/state/inclavare/sim-tee"));
  if (!old_xdg.empty()) setenv("XDG_STATE_HOME", old_xdg.c_str(), 1);
}

TEST_F(SimTeeTest, FirstOpenCreatesPrivateStateAndSecondReusesIt) {
  SimTee first = open_ok();
  EXPECT_EQ(mode_of(state()), 0700u);
  EXPECT_EQ(mode_of(base::path_join(state(), "pki")), 0700u);
  for (const char* stem : {"root_ca", "pck_platform_ca", "pck", "tcb_signing"}) {
    EXPECT_EQ(mode_of(base::path_join(state(), std::string("pki/") + stem + ".key")), 0600u)
        << stem;
    EXPECT_TRUE(base::path_exists(base::path_join(state(), std::string("pki/") + stem + ".pem")));
  }
  EXPECT_EQ(first.issued_at(), kNow);

  SimTee second = open_ok(kNow + 3600);
  EXPECT_EQ(first.root_key_sha256(), second.root_key_sha256());
  EXPECT_EQ(first.root_pem(), second.root_pem());
  EXPECT_EQ(first.pck_pem(), second.pck_pem());
  EXPECT_EQ(second.issued_at(), kNow);  // still current: not re-issued
  EXPECT_EQ(first.collateral().by_role, second.collateral().by_role);

  auto root = crypto::parse_certificate(span_of(first.root_pem()));
  ASSERT_TRUE(root.ok());
  auto fp = crypto::spki_sha256(root->get());
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(*fp, first.root_key_sha256());
  EXPECT_TRUE(crypto::subject_name(root->get()).ends_with("CN=Inclavare sim SGX Root CA"));
}

TEST_F(SimTeeTest, ConcurrentFirstOpensEndWithOnePki) {
  constexpr int kThreads = 4;
  std::vector<std::optional<Bytes<32>>> roots(kThreads);
  std::vector<std::string> errors(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready++;
      while (ready.load() < kThreads) {
      }
      auto tee = SimTee::open(state(), kNow);
      if (tee.ok())
        roots[i] = tee->root_key_sha256();
      else
        errors[i] = tee.error().what();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(roots[i].has_value()) << errors[i];
    EXPECT_EQ(*roots[i], *roots[0]);
  }
  auto again = SimTee::open(state(), kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->root_key_sha256(), *roots[0]);
  // No temporary folder or file is left behind.
  for (const char* leftover : {"pki.tmp", "collateral.json.tmp", "tcb_info.json.tmp"}) {
    auto text = base::read_file(base::path_join(state(), leftover));
    EXPECT_FALSE(text.ok()) << leftover;
  }
}

TEST_F(SimTeeTest, QuoteParsesWithRequestedClaimsAndSignaturesPass) {
  SimTee tee = open_ok();
  Bytes<64> rd = pattern_report_data();
  EnclaveIdentity id = sample_identity();
  auto quote = tee.make_quote(rd, id);
  ASSERT_TRUE(quote.ok()) << quote.error().what();

  auto parsed = formats::parse_intel_quote(*quote);
  ASSERT_TRUE(parsed.ok()) << parsed.error().what();
  const IntelQuote& q = *parsed;
  EXPECT_EQ(q.header.version, 3);
  EXPECT_EQ(q.header.att_key_type, kAttKeyTypeEcdsaP256);
  EXPECT_EQ(q.header.tee_type, 0u);
  EXPECT_EQ(q.header.qe_svn, kSimQeSvn);
  EXPECT_EQ(q.header.pce_svn, kSimPceSvn);
  EXPECT_TRUE(q.qe_vendor_is_intel());
  EXPECT_EQ(q.tee, Tee::sgx);
  EXPECT_EQ(q.signed_len, 432u);
  EXPECT_EQ(q.sig_data_offset, 436u);
  EXPECT_EQ(q.trailing_bytes, 0u);
  EXPECT_EQ(q.quote_len, quote->size());

  const SgxReportBody* body = q.sgx_body();
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->mr_enclave, id.mrenclave);
  EXPECT_EQ(body->mr_signer, id.mrsigner);
  EXPECT_EQ(body->isv_prod_id, 7);
  EXPECT_EQ(body->isv_svn, 3);
  EXPECT_EQ(body->report_data, rd);
  EXPECT_FALSE(body->debug());
  EXPECT_EQ(body->cpu_svn, kSimCpuSvn);

  auto claims = formats::claims_json(q);
  EXPECT_EQ(claims["mrenclave"], std::string(64, '1'));
  EXPECT_EQ(claims["report_data"], base::hex_encode(rd.data(), rd.size()));
  EXPECT_EQ(claims["debug"], false);

  // The QE report and its auth data, as in real quotes.
  EXPECT_EQ(q.sig.qe_report.mr_signer, kSimQeMrsigner);
  EXPECT_EQ(q.sig.qe_report.isv_prod_id, kSimQeIsvProdId);
  EXPECT_EQ(q.sig.qe_report.isv_svn, kSimQeSvn);
  Buf auth(32);
  for (size_t i = 0; i < auth.size(); ++i) auth[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(q.sig.qe_auth_data, auth);
  EXPECT_EQ(q.sig.cert_data_type, kCertDataPckChain);
  ASSERT_FALSE(q.sig.cert_data.empty());
  EXPECT_EQ(q.sig.cert_data.back(), 0);
  std::string expected_chain = tee.pck_pem() + tee.platform_ca_pem() + tee.root_pem();
  EXPECT_EQ(std::string(q.sig.cert_data.begin(), q.sig.cert_data.end() - 1), expected_chain);

  auto checks = crypto::check_intel_quote_signatures(*quote, q);
  EXPECT_TRUE(checks.all_passed()) << checks.failures();
  EXPECT_EQ(checks.results.size(), 3u);

  // A debug enclave gets the DEBUG attribute; another report data gives another signed region.
  id.debug = true;
  auto debug_quote = tee.make_quote(rd, id);
  ASSERT_TRUE(debug_quote.ok());
  auto debug_parsed = formats::parse_intel_quote(*debug_quote);
  ASSERT_TRUE(debug_parsed.ok());
  EXPECT_TRUE(debug_parsed->sgx_body()->debug());
  EXPECT_TRUE(crypto::check_intel_quote_signatures(*debug_quote, *debug_parsed).all_passed());

  // Tampering with the signed region is caught by the real checks.
  Buf tampered = *quote;
  tampered[48 + 64] ^= 1;  // MRENCLAVE
  auto tp = formats::parse_intel_quote(tampered);
  ASSERT_TRUE(tp.ok());
  auto bad = crypto::check_intel_quote_signatures(tampered, *tp);
  EXPECT_FALSE(bad.all_passed());
  ASSERT_NE(bad.find(crypto::SigCheck::quote_signature), nullptr);
  EXPECT_FALSE(bad.find(crypto::SigCheck::quote_signature)->passed);
}

TEST_F(SimTeeTest, PckChainAndCrlsVerify) {
  SimTee tee = open_ok();
  auto quote = tee.make_quote(pattern_report_data(), sample_identity());
  ASSERT_TRUE(quote.ok());
  auto q = formats::parse_intel_quote(*quote);
  ASSERT_TRUE(q.ok());
  Collateral c = tee.collateral();
  auto st = verify_pck_chain(q->sig.cert_data, c, tee.root_pem(), kNow);
  EXPECT_TRUE(st.ok()) << st.error().what();

  // The CRLs are DER, current from `now` for 30 days, issued by the platform CA and the root.
  auto pck_crl = crypto::parse_crl(*c.find("pck_crl"));
  auto root_crl = crypto::parse_crl(*c.find("root_ca_crl"));
  ASSERT_TRUE(pck_crl.ok() && root_crl.ok());
  EXPECT_EQ(crypto::this_update(pck_crl->get()), kNow);
  EXPECT_EQ(crypto::next_update(pck_crl->get()), kNow + kSimCollateralValidity);
  EXPECT_EQ(crypto::this_update(root_crl->get()), kNow);
  EXPECT_LE(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(pck_crl->get())), 0);  // -1: no list

  // Another root (a second state directory) is not the anchor.
  auto other = SimTee::open(base::path_join(dir_, "other"), kNow);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->root_key_sha256(), tee.root_key_sha256());
  EXPECT_FALSE(verify_pck_chain(q->sig.cert_data, c, other->root_pem(), kNow).ok());
  // Expired CRLs fail at now + 31 days.
  auto late = verify_pck_chain(q->sig.cert_data, c, tee.root_pem(), kNow + 31 * kDay);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message().find("CRL has expired"), std::string::npos)
      << late.error().message();
}

TEST_F(SimTeeTest, PckExtensionDecodesToTheSimValues) {
  SimTee tee = open_ok();
  auto leaf = crypto::parse_certificate(span_of(tee.pck_pem()));
  ASSERT_TRUE(leaf.ok());
  EXPECT_TRUE(crypto::subject_name(leaf->get()).ends_with("CN=Inclavare sim SGX PCK Certificate"));
  auto ext = crypto::extension_value(leaf->get(), kSgxExtOid);
  ASSERT_TRUE(ext.ok() && ext->has_value());
  auto outer = der_items(**ext);
  ASSERT_TRUE(outer && outer->size() == 1 && (*outer)[0].tag == 0x30);
  auto entries = sgx_entries((*outer)[0].content);
  ASSERT_TRUE(entries.has_value());
  std::vector<std::string> oids;
  for (const auto& [oid, v] : *entries) oids.push_back(oid);
  std::string base = kSgxExtOid;
  EXPECT_EQ(oids, (std::vector<std::string>{base + ".1", base + ".2", base + ".3", base + ".4",
                                            base + ".5", base + ".6", base + ".7"}));
  const Tlv& ppid = (*entries)[0].second;
  EXPECT_EQ(ppid.tag, 0x04);
  EXPECT_EQ(ppid.content.size(), 16u);

  const Tlv& tcb = (*entries)[1].second;
  ASSERT_EQ(tcb.tag, 0x30);
  auto comps = sgx_entries(tcb.content);
  ASSERT_TRUE(comps && comps->size() == 18);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ((*comps)[i].first, base + ".2." + std::to_string(i + 1));
    EXPECT_EQ((*comps)[i].second.tag, 0x02);
    EXPECT_EQ(der_uint((*comps)[i].second.content), kSimCpuSvn[i]) << i;
  }
  EXPECT_EQ((*comps)[16].first, base + ".2.17");
  EXPECT_EQ(der_uint((*comps)[16].second.content), kSimPceSvn);
  EXPECT_EQ((*comps)[17].first, base + ".2.18");
  EXPECT_EQ((*comps)[17].second.content, Buf(kSimCpuSvn.begin(), kSimCpuSvn.end()));

  EXPECT_EQ((*entries)[2].second.content, Buf(kSimPceId.begin(), kSimPceId.end()));
  EXPECT_EQ((*entries)[3].second.content, Buf(kSimFmspc.begin(), kSimFmspc.end()));
  EXPECT_EQ((*entries)[4].second.tag, 0x0a);  // ENUMERATED
  EXPECT_EQ(der_uint((*entries)[4].second.content), kSimSgxType);
  EXPECT_EQ((*entries)[5].second.content.size(), 16u);
  auto config = sgx_entries((*entries)[6].second.content);
  ASSERT_TRUE(config && config->size() == 3);
  EXPECT_EQ((*config)[0].second.content, Buf{0xff});  // dynamicPlatform
  EXPECT_EQ((*config)[1].second.content, Buf{0x00});  // cachedKeys
  EXPECT_EQ((*config)[2].second.content, Buf{0x00});  // SMTEnabled
}

TEST_F(SimTeeTest, TcbInfoAndQeIdentityAreSignedOverTheirExactBytes) {
  SimTee tee = open_ok();
  Collateral c = tee.collateral();
  expect_signed_document(c, "tcb_info", "tcbInfo", kNow);
  expect_signed_document(c, "qe_identity", "enclaveIdentity", kNow);

  auto tcb = nlohmann::json::parse(
      std::string(c.find("tcb_info")->begin(), c.find("tcb_info")->end()))["tcbInfo"];
  EXPECT_EQ(tcb["id"], "SGX");
  EXPECT_EQ(tcb["version"], 3);
  EXPECT_EQ(tcb["issueDate"], "2026-05-28T20:26:40Z");
  EXPECT_EQ(tcb["nextUpdate"], "2026-06-27T20:26:40Z");
  EXPECT_EQ(tcb["fmspc"], "00906ED50000");
  EXPECT_EQ(tcb["pceId"], "0000");
  EXPECT_EQ(tcb["tcbType"], 0);
  ASSERT_EQ(tcb["tcbLevels"].size(), 2u);
  const auto& top = tcb["tcbLevels"][0];
  EXPECT_EQ(top["tcbStatus"], "UpToDate");
  EXPECT_EQ(top["tcb"]["pcesvn"], kSimPceSvn);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(top["tcb"]["sgxtcbcomponents"][i]["svn"], kSimCpuSvn[i]);
  EXPECT_EQ(tcb["tcbLevels"][1]["tcbStatus"], "OutOfDate");
  EXPECT_LT(tcb["tcbLevels"][1]["tcb"]["pcesvn"].get<int>(), kSimPceSvn);

  auto qe = nlohmann::json::parse(
      std::string(c.find("qe_identity")->begin(), c.find("qe_identity")->end()))["enclaveIdentity"];
  EXPECT_EQ(qe["id"], "QE");
  EXPECT_EQ(qe["version"], 2);
  auto mrsigner = base::hex_decode(qe["mrsigner"].get<std::string>());
  ASSERT_TRUE(mrsigner.has_value());
  EXPECT_EQ(*mrsigner, Buf(kSimQeMrsigner.begin(), kSimQeMrsigner.end()));
  EXPECT_EQ(qe["isvprodid"], kSimQeIsvProdId);
  EXPECT_EQ(qe["tcbLevels"][0]["tcb"]["isvsvn"], kSimQeSvn);
  EXPECT_EQ(qe["tcbLevels"][0]["tcbStatus"], "UpToDate");

  // The QE report of a quote matches the QE identity after masking.
  auto quote = tee.make_quote(pattern_report_data(), sample_identity());
  ASSERT_TRUE(quote.ok());
  auto q = formats::parse_intel_quote(*quote);
  ASSERT_TRUE(q.ok());
  auto attrs = base::hex_decode(qe["attributes"].get<std::string>());
  auto mask = base::hex_decode(qe["attributesMask"].get<std::string>());
  ASSERT_TRUE(attrs && mask && attrs->size() == 16 && mask->size() == 16);
  for (size_t i = 0; i < 16; ++i)
    EXPECT_EQ(q->sig.qe_report.attributes[i] & (*mask)[i], (*attrs)[i]) << i;
  EXPECT_EQ(q->sig.qe_report.misc_select, 0u);
}

TEST_F(SimTeeTest, CollateralIsReissuedAfterItsWindow) {
  SimTee first = open_ok();
  int64_t later = kNow + 31 * kDay;
  SimTee second = open_ok(later);
  EXPECT_EQ(second.issued_at(), later);
  EXPECT_EQ(second.root_key_sha256(), first.root_key_sha256());
  EXPECT_EQ(second.pck_pem(), first.pck_pem());
  Collateral c = second.collateral();
  auto crl = crypto::parse_crl(*c.find("pck_crl"));
  ASSERT_TRUE(crl.ok());
  EXPECT_EQ(crypto::this_update(crl->get()), later);
  auto quote = second.make_quote(pattern_report_data(), sample_identity());
  ASSERT_TRUE(quote.ok());
  auto q = formats::parse_intel_quote(*quote);
  ASSERT_TRUE(q.ok());
  auto st = verify_pck_chain(q->sig.cert_data, c, second.root_pem(), later);
  EXPECT_TRUE(st.ok()) << st.error().what();
  expect_signed_document(c, "tcb_info", "tcbInfo", later);
  auto tcb = nlohmann::json::parse(
      std::string(c.find("tcb_info")->begin(), c.find("tcb_info")->end()))["tcbInfo"];
  EXPECT_EQ(tcb["issueDate"], "2026-06-28T20:26:40Z");
  // A time before the issue time also re-issues (clocks pinned by tests go backwards).
  SimTee third = open_ok(kNow);
  EXPECT_EQ(third.issued_at(), kNow);
}

TEST_F(SimTeeTest, RevokedPckIsListedInThePckCrl) {
  SimTee good = open_ok();
  SimOptions options;
  options.revoke_pck = true;
  SimTee tee = open_ok(kNow, options);
  EXPECT_EQ(tee.root_key_sha256(), good.root_key_sha256());
  auto leaf = crypto::parse_certificate(span_of(tee.pck_pem()));
  auto crl = crypto::parse_crl(*tee.collateral().find("pck_crl"));
  ASSERT_TRUE(leaf.ok() && crl.ok());
  X509_REVOKED* entry = nullptr;
  EXPECT_EQ(X509_CRL_get0_by_serial(crl->get(), &entry,
                                    const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(leaf->get()))),
            1);
  auto quote = tee.make_quote(pattern_report_data(), sample_identity());
  ASSERT_TRUE(quote.ok());
  auto q = formats::parse_intel_quote(*quote);
  ASSERT_TRUE(q.ok());
  auto st = verify_pck_chain(q->sig.cert_data, tee.collateral(), tee.root_pem(), kNow);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("certificate revoked"), std::string::npos)
      << st.error().message();

  // Opening with the defaults again issues clean collateral.
  SimTee clean = open_ok(kNow);
  EXPECT_TRUE(verify_pck_chain(q->sig.cert_data, clean.collateral(), clean.root_pem(), kNow).ok());
}

TEST_F(SimTeeTest, RevokedPlatformCaAndStatusOptions) {
  SimOptions options;
  options.revoke_platform_ca = true;
  options.tcb_status = "OutOfDate";
  options.qe_tcb_status = "Revoked";
  SimTee tee = open_ok(kNow, options);
  auto quote = tee.make_quote(pattern_report_data(), sample_identity());
  ASSERT_TRUE(quote.ok());
  auto q = formats::parse_intel_quote(*quote);
  ASSERT_TRUE(q.ok());
  auto st = verify_pck_chain(q->sig.cert_data, tee.collateral(), tee.root_pem(), kNow);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("certificate revoked"), std::string::npos);
  EXPECT_NE(st.error().message().find("Platform CA"), std::string::npos) << st.error().message();

  Collateral c = tee.collateral();
  expect_signed_document(c, "tcb_info", "tcbInfo", kNow);
  auto tcb = nlohmann::json::parse(
      std::string(c.find("tcb_info")->begin(), c.find("tcb_info")->end()))["tcbInfo"];
  EXPECT_EQ(tcb["tcbLevels"][0]["tcbStatus"], "OutOfDate");
  EXPECT_EQ(tcb["tcbLevels"][0]["advisoryIDs"].size(), 1u);
  auto qe = nlohmann::json::parse(
      std::string(c.find("qe_identity")->begin(), c.find("qe_identity")->end()))["enclaveIdentity"];
  EXPECT_EQ(qe["tcbLevels"][0]["tcbStatus"], "Revoked");

  SimOptions bogus;
  bogus.tcb_status = "Fine";
  auto bad = SimTee::open(state(), kNow, bogus);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("`Fine`"), std::string::npos);
}

TEST_F(SimTeeTest, CollateralJsonLoads) {
  SimTee tee = open_ok();
  EXPECT_EQ(tee.collateral_json_path(), base::path_join(state(), "collateral.json"));
  auto loaded = load_collateral_json(tee.collateral_json_path());
  ASSERT_TRUE(loaded.ok()) << loaded.error().what();
  Collateral c = tee.collateral();
  EXPECT_EQ(loaded->by_role, c.by_role);
  for (const char* role : {"root_ca", "pck_crl", "pck_crl_issuer_chain", "root_ca_crl", "tcb_info",
                           "tcb_info_issuer_chain", "qe_identity", "qe_identity_issuer_chain"}) {
    EXPECT_TRUE(c.has(role)) << role;
  }
  EXPECT_EQ(c.by_role.size(), 8u);
  EXPECT_EQ(*c.find("root_ca"), bytes(tee.root_pem()));
  EXPECT_EQ(*c.find("pck_crl_issuer_chain"), bytes(tee.platform_ca_pem() + tee.root_pem()));
  EXPECT_EQ(*c.find("tcb_info_issuer_chain"), bytes(tee.tcb_signing_pem() + tee.root_pem()));
}

TEST_F(SimTeeTest, SimAttesterReturnsQuotesForThisProgram) {
  AttesterOptions options;
  options.sim_state_dir = state();
  auto attester = make_sim_attester(options);
  ASSERT_TRUE(attester.ok()) << attester.error().what();
  EXPECT_EQ((*attester)->name(), "sim");
  Bytes<64> rd = pattern_report_data();
  auto quote = (*attester)->collect(rd);
  ASSERT_TRUE(quote.ok()) << quote.error().what();
  auto q = formats::parse_intel_quote(*quote);
  ASSERT_TRUE(q.ok()) << q.error().what();
  auto mrenclave = default_mrenclave();
  ASSERT_TRUE(mrenclave.ok());
  EXPECT_NE(*mrenclave, Bytes<32>{});
  EXPECT_EQ(q->sgx_body()->mr_enclave, *mrenclave);
  EXPECT_EQ(q->sgx_body()->report_data, rd);
  EXPECT_TRUE(crypto::check_intel_quote_signatures(*quote, *q).all_passed());
  // The attester uses the state it created: the quote's root is the state's root.
  auto tee = SimTee::open(state(), static_cast<int64_t>(time(nullptr)));
  ASSERT_TRUE(tee.ok());
  std::string chain(q->sig.cert_data.begin(), q->sig.cert_data.end() - 1);
  EXPECT_TRUE(chain.ends_with(tee->root_pem()));
}

}  // namespace
}  // namespace rats::sim
