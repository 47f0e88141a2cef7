// SGX structures (src/sgx/structs.*): Intel's production launch enclave SIGSTRUCT verifies
// (signature, Q1, Q2) with its known fields; SIGSTRUCTs signed here with a fresh RSA-3072 e=3 key
// verify, and a flip anywhere fails naming the check; every layout covers its structure.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "sgx/structs.h"

namespace sgx {
namespace {

using Buf = std::vector<uint8_t>;

Buf read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Buf(std::istreambuf_iterator<char>(in), {});
}

TEST(SgxSigStruct, IntelsProductionLaunchEnclaveVerifies) {
  Buf css = read_file(SGX_TEST_DATA "/le_prod_css.bin");
  ASSERT_EQ(css.size(), kSigStructSize);
  auto s = parse_sigstruct(css, "le_prod_css.bin");
  ASSERT_TRUE(s.ok()) << s.error().what();
  auto v = verify_sigstruct(*s, "le_prod_css.bin");
  EXPECT_TRUE(v.ok()) << v.error().what();
  EXPECT_EQ(s->vendor(), 0x8086u);
  EXPECT_EQ(s->type() >> 31, 0u) << "production-signed";
  uint64_t flags = 0;
  memcpy(&flags, s->attributes().data(), 8);
  EXPECT_EQ(attribute_flag_names(flags), (std::vector<std::string>{"MODE64BIT", "EINITTOKENKEY"}));
  auto signer = mrsigner(s->modulus());
  EXPECT_EQ(base::hex_encode(signer.data(), 32),
            "acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4");
  auto shown = show(Struct::sigstruct, css, "le");
  ASSERT_TRUE(shown.ok());
  bool date_seen = false;
  for (const Shown& f : *shown) {
    if (f.name == "date") {
      date_seen = true;
      EXPECT_EQ(f.value, "2024-08-11 (0x20240811)");
    }
    if (f.name == "attributes.flags") {
      EXPECT_EQ(f.value, "0x0000000000000024 (MODE64BIT|EINITTOKENKEY)");
    }
  }
  EXPECT_TRUE(date_seen);
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// One RSA-3072 key with e = 3 per run of the tests.
EVP_PKEY* test_key() {
  static std::unique_ptr<EVP_PKEY, KeyFree> key = [] {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* k = nullptr;
    BIGNUM* e = BN_new();
    BN_set_word(e, 3);
    if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) != 1 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) != 1 || EVP_PKEY_keygen(ctx, &k) != 1) {
      k = nullptr;
    }
    BN_free(e);
    EVP_PKEY_CTX_free(ctx);
    return std::unique_ptr<EVP_PKEY, KeyFree>(k);
  }();
  return key.get();
}

// A SIGSTRUCT as Intel's sign tool lays it out, with our body, signed with test_key().
Buf signed_css() {
  Buf css(kSigStructSize, 0);
  const uint8_t header[12] = {0x06, 0, 0, 0, 0xe1, 0, 0, 0, 0, 0, 0x01, 0};
  const uint8_t header2[16] = {0x01, 0x01, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 0x01, 0, 0, 0};
  memcpy(css.data(), header, 12);
  memcpy(css.data() + 24, header2, 16);
  const uint8_t date[4] = {0x06, 0x12, 0x26, 0x20};  // 2026-12-06
  memcpy(css.data() + 20, date, 4);
  css[928] = 0x04;  // MODE64BIT
  css[936] = 0x03;  // XFRM: X87|SSE
  for (int i = 0; i < 32; ++i) css[960 + i] = static_cast<uint8_t>(i);
  css[1024] = 7;  // ISVPRODID
  auto st =
      sign_sigstruct(std::span<uint8_t, kSigStructSize>(css.data(), kSigStructSize), test_key());
  EXPECT_TRUE(st.ok()) << st.error().what();
  return css;
}

std::string verify_error(const Buf& css) {
  auto s = parse_sigstruct(css, "t.sig");
  if (!s.ok()) return "parse: " + s.error().message();
  auto v = verify_sigstruct(*s, "t.sig");
  return v.ok() ? std::string() : v.error().message();
}

TEST(SgxSigStruct, SignedHereVerifiesAndEachFlipIsNamed) {
  ASSERT_NE(test_key(), nullptr);
  const Buf good = signed_css();
  EXPECT_EQ(verify_error(good), "");
  struct Case {
    size_t offset;
    const char* names;
  } cases[] = {
      {0, "parse: t.sig: HEADER at offset 0"},     // header constant
      {30, "parse: t.sig: HEADER2 at offset 24"},  // header2 constant
      {20, "signature"},                           // DATE, in the signed header
      {960, "signature"},                          // ENCLAVEHASH, in the signed body
      {1024, "signature"},                         // ISVPRODID
      {200, "signature"},                          // MODULUS
      {600, "signature"},                          // SIGNATURE
      {1100, "Q1 at offset 1040"},                 // Q1
      {1500, "Q2 at offset 1424"},                 // Q2
      {512, "parse: t.sig: EXPONENT at offset 512"},
      {50, "parse: t.sig: reserved at offset 44 is not zero"},
  };
  for (const Case& c : cases) {
    Buf bad = good;
    bad[c.offset] ^= 0x01;
    const std::string e = verify_error(bad);
    EXPECT_NE(e.find(c.names), std::string::npos) << "flip at " << c.offset << ": " << e;
  }
  EXPECT_NE(verify_error(Buf(100)).find("100 bytes, a SIGSTRUCT is 1808"), std::string::npos);
}

TEST(SgxSigStruct, SigningRefusesAKeyThatIsNotRsa3072WithExponent3) {
  EVP_PKEY* k = EVP_RSA_gen(2048);
  ASSERT_NE(k, nullptr);
  Buf css(kSigStructSize, 0);
  auto st = sign_sigstruct(std::span<uint8_t, kSigStructSize>(css.data(), kSigStructSize), k);
  EVP_PKEY_free(k);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("RSA-3072 and public exponent 3"), std::string::npos);
}

TEST(SgxStructs, EveryLayoutCoversItsStructureWithoutGapsOrOverlaps) {
  for (Struct s : {Struct::sigstruct, Struct::token, Struct::targetinfo, Struct::report,
                   Struct::keyid, Struct::qe_report_info}) {
    size_t at = 0;
    for (const FieldDef& f : layout(s)) {
      EXPECT_EQ(f.offset, at) << struct_name(s) << " " << f.name;
      at = f.offset + f.size;
    }
    EXPECT_EQ(at, struct_size(s)) << struct_name(s);
    EXPECT_EQ(struct_by_size(struct_size(s)), s);
    EXPECT_EQ(struct_by_name(struct_name(s)), s);
  }
  EXPECT_FALSE(struct_by_size(1000).has_value());
  EXPECT_FALSE(struct_by_name("quote").has_value());
}

TEST(SgxStructs, ReportFieldsAndItsTargetInfo) {
  Buf report(kReportSize, 0);
  report[16] = 0x01;                                       // MISCSELECT: EXINFO
  report[48] = 0x07;                                       // INIT|DEBUG|MODE64BIT
  report[56] = 0x07;                                       // X87|SSE|AVX
  for (int i = 0; i < 32; ++i) report[64 + i] = 0xa0 + i;  // MRENCLAVE
  report[192] = 0xcc;                                      // CONFIGID
  report[256] = 0x34, report[257] = 0x12;                  // ISVPRODID 0x1234
  report[260] = 9;                                         // CONFIGSVN
  report[22] = 1;                                          // reserved1, not zero
  auto shown = show(Struct::report, report, "r");
  ASSERT_TRUE(shown.ok());
  std::map<std::string, Shown> by;
  for (auto& f : *shown) by.emplace(f.name, f);
  EXPECT_EQ(by.at("body.attributes.flags").value, "0x0000000000000007 (INIT|DEBUG|MODE64BIT)");
  EXPECT_EQ(by.at("body.attributes.xfrm").value, "0x0000000000000007 (X87|SSE|AVX)");
  EXPECT_EQ(by.at("body.misc_select").json["names"], base::Json::array({"EXINFO"}));
  EXPECT_EQ(by.at("body.isv_prod_id").value, "4660");
  EXPECT_EQ(by.at("body.reserved1").value.find("(not zero)") != std::string::npos, true);
  EXPECT_EQ(by.at("body.reserved2").value, "zero");
  EXPECT_EQ(by.at("body.mr_enclave").offset, 64u);

  auto ti = target_info_of(std::span<const uint8_t, kReportSize>(report.data(), kReportSize));
  EXPECT_EQ(ti[0], 0xa0);
  EXPECT_EQ(ti[31], 0xa0 + 31);
  EXPECT_EQ(ti[32], 0x07);
  EXPECT_EQ(ti[40], 0x07);
  EXPECT_EQ(ti[50], 9);
  EXPECT_EQ(ti[52], 0x01);
  EXPECT_EQ(ti[64], 0xcc);
  EXPECT_EQ(ti[128], 0);

  auto qri = show(Struct::qe_report_info, Buf(kQeReportInfoSize), "q");
  ASSERT_TRUE(qri.ok());
  bool found = false;
  for (auto& f : *qri) found |= f.name == "qe_report.body.report_data" && f.offset == 528 + 320;
  EXPECT_TRUE(found);
  auto wrong = show(Struct::token, Buf(303), "t.token");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message(), "t.token: 303 bytes, a token is 304");
}

}  // namespace
}  // namespace sgx
