// The hand codec of src/sgx/aesm/wire.* against libprotobuf on the project's schema
// (proto/aesm/aesm.proto): libprotobuf parses each request we encode, with every required field
// present and no timeout; we decode what libprotobuf serializes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aesm/aesm.pb.h"
#include "sgx/aesm/errors.h"
#include "sgx/aesm/wire.h"

namespace sgx::aesm {
namespace {

using Buf = std::vector<uint8_t>;
namespace pb = ::aesm::message;

pb::Request parsed(const Buf& b) {
  pb::Request r;
  EXPECT_TRUE(r.ParseFromArray(b.data(), static_cast<int>(b.size())));
  EXPECT_TRUE(r.IsInitialized()) << "missing required fields: " << r.InitializationErrorString();
  return r;
}
std::string str(const Buf& b) {
  return std::string(b.begin(), b.end());
}

TEST(AesmWire, LibprotobufParsesOurRequestsWithTheirRequiredFields) {
  const KeyId key = qe3_key_id();
  const Buf report(kReportSize, 0x31), qri(kQeReportInfoSize, 0x32);

  // b_pub_key_id false is still on the wire (proto2 required), buf_size optional.
  auto init = parsed(encode_init_quote_ex(key, false, std::nullopt));
  ASSERT_TRUE(init.has_initquoteexreq());
  EXPECT_TRUE(init.initquoteexreq().has_b_pub_key_id());
  EXPECT_FALSE(init.initquoteexreq().b_pub_key_id());
  EXPECT_FALSE(init.initquoteexreq().has_buf_size());
  EXPECT_FALSE(init.initquoteexreq().has_timeout()) << "aesmd never reads timeout";
  EXPECT_EQ(init.initquoteexreq().att_key_id(), std::string(key.begin(), key.end()));
  auto init32 = parsed(encode_init_quote_ex(key, true, 32));
  EXPECT_TRUE(init32.initquoteexreq().b_pub_key_id());
  EXPECT_EQ(init32.initquoteexreq().buf_size(), 32u);

  auto size = parsed(encode_get_quote_size_ex(key));
  ASSERT_TRUE(size.has_getquotesizeexreq());
  EXPECT_FALSE(size.getquotesizeexreq().has_timeout());

  // buf_size 0 is required and present.
  auto quote = parsed(encode_get_quote_ex(report, key, std::span<const uint8_t>(qri), 0));
  ASSERT_TRUE(quote.has_getquoteexreq());
  EXPECT_EQ(quote.getquoteexreq().report(), str(report));
  EXPECT_EQ(quote.getquoteexreq().qe_report_info(), str(qri));
  EXPECT_TRUE(quote.getquoteexreq().has_buf_size());
  EXPECT_EQ(quote.getquoteexreq().buf_size(), 0u);
  EXPECT_FALSE(parsed(encode_get_quote_ex(report, key, std::nullopt, 10))
                   .getquoteexreq()
                   .has_qe_report_info());

  auto select = parsed(encode_select_att_key_id(std::nullopt));
  ASSERT_TRUE(select.has_selectattkeyidreq());
  EXPECT_FALSE(select.selectattkeyidreq().has_att_key_id_list());
  EXPECT_TRUE(parsed(encode_get_supported_att_key_id_num()).has_getsupportedattkeyidnumreq());
  auto ids = parsed(encode_get_supported_att_key_ids(512));
  EXPECT_EQ(ids.getsupportedattkeyidsreq().buf_size(), 512u);

  const Buf mre(32, 1), modulus(kModulusSize, 2), attrs(16, 3);
  auto lic = parsed(encode_get_launch_token(mre, modulus, attrs));
  ASSERT_TRUE(lic.has_getlictokenreq());
  EXPECT_EQ(lic.getlictokenreq().mr_signer().size(), kModulusSize);
  EXPECT_EQ(lic.getlictokenreq().se_attributes(), str(attrs));
}

Buf bytes_of(const std::string& s) {
  return Buf(s.begin(), s.end());
}

TEST(AesmWire, WeDecodeWhatLibprotobufSerializes) {
  pb::Response r;
  auto* q = r.mutable_getquoteexres();
  q->set_errorcode(0);
  q->set_quote(std::string(300, 'q'));
  q->set_qe_report_info(std::string(kQeReportInfoSize, 'i'));
  auto got = decode_response(bytes_of(r.SerializeAsString()), "test");
  ASSERT_TRUE(got.ok()) << got.error().what();
  EXPECT_EQ(got->call, static_cast<uint32_t>(Call::get_quote_ex));
  EXPECT_EQ(got->error_code, 0u);
  ASSERT_NE(got->field(2), nullptr);
  EXPECT_EQ(got->field(2)->bytes->size(), 300u);
  EXPECT_EQ(got->field(3)->bytes->size(), kQeReportInfoSize);

  pb::Response n;
  n.mutable_getsupportedattkeyidnumres()->set_errorcode(0);
  n.mutable_getsupportedattkeyidnumres()->set_att_key_id_num(3);
  got = decode_response(bytes_of(n.SerializeAsString()), "test");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got->field(2)->number, 3u);

  pb::Response e;
  e.mutable_initquoteexres()->set_errorcode(kAttKeyNotInitialized);
  got = decode_response(bytes_of(e.SerializeAsString()), "test");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->error_code, kAttKeyNotInitialized);

  // Without errorCode (libprotobuf serializes it only partially): absent, not the default 1.
  pb::Response missing;
  missing.mutable_initquoteexres()->set_target_info(std::string(512, 0));
  got = decode_response(bytes_of(missing.SerializePartialAsString()), "test");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->error_code.has_value());
}

TEST(AesmWire, MalformedResponsesNameTheFieldAndOffset) {
  auto err = [](Buf b) {
    auto r = decode_response(b, "reply");
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_EQ(err({}), "reply: the Response is empty");
  EXPECT_NE(err({0x7a, 0x80}).find("truncated length of field 15 at byte 0"), std::string::npos);
  EXPECT_NE(err({0x7a, 0x02, 0x08}).find("field 15 at byte 0 claims 2 bytes, 1 remain"),
            std::string::npos);
  EXPECT_NE(err({0x7b}).find("field 15 at byte 0 has wire type 3"), std::string::npos);
  EXPECT_NE(err({0x00}).find("field number 0 at byte 0 is out of range"), std::string::npos);
  EXPECT_NE(err({0x78, 0x01}).find("InitQuoteEx is not a message"), std::string::npos);
  EXPECT_NE(err({0x7a, 0x00, 0x82, 0x01, 0x00}).find("sets both InitQuoteEx and GetQuoteSizeEx"),
            std::string::npos);
  EXPECT_NE(
      err({0x7a, 0x02, 0x08, 0x80}).find("(InitQuoteEx): truncated varint of field 1 at byte 0"),
      std::string::npos);
  // A varint of more than ten bytes.
  EXPECT_NE(err({0x7a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
                .find("truncated varint"),
            std::string::npos);
  // errorCode above 32 bits.
  EXPECT_NE(err({0x7a, 0x06, 0x08, 0x80, 0x80, 0x80, 0x80, 0x10}).find("errorCode is not a uint32"),
            std::string::npos);
  // Unknown fields are skipped; the last occurrence wins.
  auto r = decode_response(Buf{0x7a, 0x08, 0x08, 0x05, 0x08, 0x00, 0x35, 1, 2, 3}, "x");
  ASSERT_FALSE(r.ok()) << "a fixed32 cut short";
  r = decode_response(Buf{0x7a, 0x0a, 0x08, 0x05, 0x08, 0x00, 0x35, 1, 2, 3, 4, 0x48}, "x");
  ASSERT_FALSE(r.ok());
  r = decode_response(Buf{0x7a, 0x0b, 0x08, 0x05, 0x08, 0x00, 0x35, 1, 2, 3, 4, 0x48, 0x01}, "x");
  ASSERT_TRUE(r.ok()) << r.error().what();
  EXPECT_EQ(r->error_code, 0u);
  EXPECT_EQ(*r->field(6)->number, 0x04030201u);
}

TEST(AesmErrors, EveryCodeHasItsNameAndTheCommonOnesAHint) {
  int named = 0;
  for (uint32_t c = 0; c <= 51; ++c) named += error_name(c) != nullptr;
  EXPECT_EQ(named, 51) << "0..51 without 27";
  EXPECT_EQ(error_name(27), nullptr);
  EXPECT_EQ(error_name(52), nullptr);
  EXPECT_STREQ(error_name(42), "AESM_ATT_KEY_NOT_INITIALIZED");
  EXPECT_STREQ(error_name(51), "AESM_CONFIG_UNSUPPORTED");
  EXPECT_STREQ(error_name(28), "AESM_KDF_MISMATCH");
  for (uint32_t c : {2u, 24u, 30u, 38u, 42u, 44u, 47u}) EXPECT_NE(error_hint(c), nullptr) << c;
  EXPECT_EQ(error_hint(1), nullptr);
  EXPECT_EQ(describe_error(12), "12 AESM_NETWORK_ERROR");
  EXPECT_EQ(describe_error(100), "100 (not an aesm_error_t value)");
}

TEST(AesmWire, KeyIdAlgorithmAndFrame) {
  EXPECT_EQ(key_id_algorithm(qe3_key_id()), kAlgorithmEcdsaP256);
  auto f = wire::frame(Buf{1, 2, 3});
  EXPECT_EQ(f, (Buf{3, 0, 0, 0, 1, 2, 3}));
  EXPECT_EQ(call_name(21), "GetSupportedAttKeyIDNum");
  EXPECT_EQ(call_name(99), "message 99");
}

}  // namespace
}  // namespace sgx::aesm
