// The certificate evidence extensions: DICE CBOR encoding and the Intel/Gramine OID forms.
#include <gtest/gtest.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "rats/tls/tls_helpers.h"

namespace {

using namespace rats::tls;

std::vector<uint8_t> bytes(std::initializer_list<int> l) {
  std::vector<uint8_t> out;
  for (int b : l) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(DiceEvidence, RoundTripsEvidenceAndClaims) {
  DiceEvidence in{bytes({1, 2, 3, 4}), bytes({0xa0})};
  std::vector<uint8_t> enc = encode_dice_evidence(in);
  // tag 60000 (0xd9 0xea 0x60), array(2), bstr(4), bstr(1)
  EXPECT_EQ(enc, bytes({0xd9, 0xea, 0x60, 0x82, 0x44, 1, 2, 3, 4, 0x41, 0xa0}));
  auto out = decode_dice_evidence(enc);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->evidence, in.evidence);
  EXPECT_EQ(out->claims, in.claims);
}

TEST(DiceEvidence, ClaimsAreTheSerializedPubkeyHashMap) {
  rats::Bytes<32> h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> claims = encode_claims(h);
  // {"pubkey-hash": bstr(36)(serialized [1, bstr(32) h])}
  std::vector<uint8_t> want = bytes({0xa1, 0x6b});
  for (char c : std::string("pubkey-hash")) want.push_back(static_cast<uint8_t>(c));
  for (int b : {0x58, 36, 0x82, 0x01, 0x58, 32}) want.push_back(static_cast<uint8_t>(b));
  want.insert(want.end(), h.begin(), h.end());
  EXPECT_EQ(claims, want);
  auto c = decode_claims(claims);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->hash_alg, 1);
  EXPECT_EQ(c->pubkey_hash, std::vector<uint8_t>(h.begin(), h.end()));
  EXPECT_FALSE(c->nonce);
}

TEST(DiceEvidence, DecodeRejectsOtherTagsShapesAndTrailingBytes) {
  EXPECT_FALSE(decode_dice_evidence(bytes({0xd9, 0xea, 0x61, 0x82, 0x40, 0x40})).ok());  // 60001
  EXPECT_FALSE(decode_dice_evidence(bytes({0x82, 0x40, 0x40})).ok());                    // no tag
  EXPECT_FALSE(decode_dice_evidence(bytes({0xd9, 0xea, 0x60, 0x81, 0x40})).ok());        // [x]
  EXPECT_FALSE(decode_dice_evidence(bytes({0xd9, 0xea, 0x60, 0x82, 0x40, 0x01})).ok());  // int
  EXPECT_FALSE(decode_dice_evidence(bytes({0xd9, 0xea, 0x60, 0x82, 0x40, 0x40, 0x00})).ok());
  EXPECT_FALSE(decode_dice_evidence(bytes({0xd9, 0xea, 0x60, 0x82, 0x44, 1})).ok());  // short
  EXPECT_FALSE(decode_claims(bytes({0xa0})).ok());  // no pubkey-hash
}

// Found by fuzz_rats_tls_evidence: a claims map holding an array that declares 0x8f75626b items
// in a few bytes made libcbor allocate gigabytes. Declared sizes beyond the input are refused
// before libcbor sees them.
TEST(DiceEvidence, DeclaredSizesBeyondTheInputAreRejectedWithoutAllocating) {
  const std::vector<uint8_t> oom = {0xd9, 0xea, 0x60, 0x82, 0x41, 0x00, 0xa4, 0x33, 0xa1,
                                    0x9a, 0x8f, 0x75, 0x62, 0x6b, 0x65, 0x79, 0x2d, 0x68,
                                    0x61, 0x73, 0x28, 0x58, 0x24, 0x82, 0x01, 0x58, 0x20,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_FALSE(decode_dice_evidence(oom).ok());
  const std::vector<uint8_t> huge_array = {0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  EXPECT_FALSE(decode_claims(huge_array).ok());
  const std::vector<uint8_t> huge_bstr = {0x5a, 0xff, 0xff, 0xff, 0xff, 0x00};
  EXPECT_FALSE(decode_dice_evidence(huge_bstr).ok());
  const std::vector<uint8_t> indefinite = {0x9f, 0x01, 0xff};
  EXPECT_FALSE(decode_claims(indefinite).ok());
  std::vector<uint8_t> deep(40, 0x81);  // 40 nested one-item arrays
  deep.push_back(0x01);
  auto r = decode_claims(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("malformed CBOR"), std::string::npos) << r.error().message();
}

TEST(DiceEvidence, ClaimsAcceptANonce) {
  // {"pubkey-hash": bstr([1, bstr(1) 0x07]), "nonce": bstr(2)}
  std::vector<uint8_t> c = bytes({0xa2, 0x6b});
  for (char ch : std::string("pubkey-hash")) c.push_back(static_cast<uint8_t>(ch));
  for (int b : {0x44, 0x82, 0x01, 0x41, 0x07, 0x65}) c.push_back(static_cast<uint8_t>(b));
  for (char ch : std::string("nonce")) c.push_back(static_cast<uint8_t>(ch));
  for (int b : {0x42, 0xaa, 0xbb}) c.push_back(static_cast<uint8_t>(b));
  auto out = decode_claims(c);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->pubkey_hash, bytes({0x07}));
  ASSERT_TRUE(out->nonce);
  EXPECT_EQ(*out->nonce, bytes({0xaa, 0xbb}));
}

TEST(CertEvidence, FindsDiceAndIntelExtensions) {
  auto dice_oid = oid_content_bytes(kDiceEvidenceOid);
  auto intel_oid = oid_content_bytes(kIntelRaTlsQuoteOid);
  ASSERT_TRUE(dice_oid.ok() && intel_oid.ok());
  EXPECT_EQ(*intel_oid, bytes({0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x8a, 0x39, 0x06}));

  auto none = make_self_signed({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(find_cert_evidence(none->cert_der)->form, EvidenceForm::none);

  auto intel = make_self_signed({{*intel_oid, bytes({9, 9, 9})}});
  ASSERT_TRUE(intel.ok());
  auto ev = find_cert_evidence(intel->cert_der);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->form, EvidenceForm::intel_quote);
  EXPECT_EQ(ev->value, bytes({9, 9, 9}));

  // Gramine emits both: the DICE one is used.
  auto both = make_self_signed({{*intel_oid, bytes({1})}, {*dice_oid, bytes({2})}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(find_cert_evidence(both->cert_der)->form, EvidenceForm::dice);
}

TEST(CertEvidence, FindsGramineMalformedOidEncoding) {
  // Gramine repeats the OID's tag and length inside its value: 06 0b 06 09 2a 86 48 ...
  std::vector<uint8_t> malformed = bytes({0x06, 0x09});
  auto intel_oid = oid_content_bytes(kIntelRaTlsQuoteOid);
  malformed.insert(malformed.end(), intel_oid->begin(), intel_oid->end());
  auto cert = make_self_signed({{malformed, bytes({7, 7})}});
  ASSERT_TRUE(cert.ok()) << cert.error().message();

  // A strict parser reads that OID as 0.6.9.42.840.113741.1337.6.
  const unsigned char* p = cert->cert_der.data();
  std::unique_ptr<X509, decltype(&X509_free)> x(
      d2i_X509(nullptr, &p, static_cast<long>(cert->cert_der.size())), X509_free);
  ASSERT_TRUE(x);
  ASSERT_EQ(X509_get_ext_count(x.get()), 1);
  char text[80];
  OBJ_obj2txt(text, sizeof text, X509_EXTENSION_get_object(X509_get_ext(x.get(), 0)), 1);
  EXPECT_STREQ(text, "0.6.9.42.840.113741.1337.6");

  auto ev = find_cert_evidence(cert->cert_der);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->form, EvidenceForm::intel_quote);
  EXPECT_EQ(ev->value, bytes({7, 7}));
}

TEST(CertEvidence, PcksSgxExtensionOidIsNotTheQuote) {
  auto pck_oid = oid_content_bytes("1.2.840.113741.1.13.1");
  auto cert = make_self_signed({{*pck_oid, bytes({0x30, 0x00})}});
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(find_cert_evidence(cert->cert_der)->form, EvidenceForm::none);
}

TEST(CertEvidence, NullVerifierAcceptsIntelFormAndNoExtension) {
  auto nv = rats::make_verifier("nullverifier");
  ASSERT_TRUE(nv.ok());
  auto plain = make_self_signed({});
  EvidenceForm form = EvidenceForm::dice;
  auto v = verify_peer_certificate(plain->cert_der, {.verifier = nv->get()}, &form);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->trusted);
  EXPECT_EQ(form, EvidenceForm::none);
}

TEST(CertEvidence, FakeVerifierRejectsCertificateWithoutEvidence) {
  tlstest::FakeVerifier fv;
  auto plain = make_self_signed({});
  auto v = verify_peer_certificate(plain->cert_der, {.verifier = &fv});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->trusted);
  ASSERT_EQ(v->reasons.size(), 1u);
  EXPECT_NE(v->reasons[0].detail.find("no evidence extension"), std::string::npos);
}

TEST(CertEvidence, IntelFormBindsSpkiNotRawKey) {
  tlstest::FakeAttester fa;
  tlstest::FakeVerifier fv;
  auto intel_oid = oid_content_bytes(kIntelRaTlsQuoteOid);
  auto key = make_self_signed({});
  ASSERT_TRUE(key.ok());
  // SPKI binding: trusted.
  auto rd = report_data_for(key->spki_der);
  auto good = make_self_signed({{*intel_oid, *fa.collect(*rd)}}, key->key_der);
  auto v = verify_peer_certificate(good->cert_der, {.verifier = &fv});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->trusted) << v->to_json().dump();
  // Raw public key binding (old rats-tls): the uncompressed point at the end of the SPKI.
  std::vector<uint8_t> raw(key->spki_der.end() - 65, key->spki_der.end());
  ASSERT_EQ(raw[0], 0x04);
  auto rd_raw = report_data_for(raw);
  auto old = make_self_signed({{*intel_oid, *fa.collect(*rd_raw)}}, key->key_der);
  v = verify_peer_certificate(old->cert_der, {.verifier = &fv});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->trusted);
  ASSERT_EQ(v->reasons.size(), 1u);
  EXPECT_EQ(v->reasons[0].check, "report_data");
}

}  // namespace
