// take.sock's JSON (src/epm/wire) and rune's messages around it (src/enclave/pool_client).
#include <gtest/gtest.h>

#include "enclave/pool_client.h"
#include "epm/wire/protocol.h"

namespace {

const std::string kBid = "e96b3672e494f4482d922c175c552d3fe53b24e3";

std::string req(const std::string& body) {
  return R"({"v":1,"op":"take",)" + body + "}";
}

TEST(EpmProtocol, ARequestRoundTrips) {
  epm::TakeRequest r{{kBid, "measurement-log=/rec/m.log size=4M"}, "c1"};
  auto back = epm::parse_request(epm::encode_request(r));
  ASSERT_TRUE(back.ok()) << back.error().what();
  EXPECT_EQ(back->key, r.key);
  EXPECT_EQ(back->container, "c1");
}

TEST(EpmProtocol, MalformedRequestsSayWhatIsWrong) {
  struct {
    std::string text, want;
  } cases[] = {
      {"nope", "request"},
      {"[]", "expected an object"},
      {req(R"("key":{"build_id":")" + kBid + R"(","args":""},"container":"c","x":1)"),
       "unknown field `x`"},
      {R"({"v":2,"op":"take","key":{"build_id":")" + kBid + R"(","args":""},"container":"c"})",
       "version 2 is not supported"},
      {R"({"v":1.0,"op":"take","key":{"build_id":")" + kBid + R"(","args":""},"container":"c"})",
       "is not supported"},
      {R"({"v":1,"op":"give","key":{"build_id":")" + kBid + R"(","args":""},"container":"c"})",
       "`give` is not `take`"},
      {req(R"("key":{"build_id":"ABC","args":""},"container":"c")"), "is not a build-id"},
      {req(R"("key":{"build_id":"abc","args":""},"container":"c")"), "is not a build-id"},
      {req(R"("key":{"build_id":1,"args":""},"container":"c")"),
       "expected a string, got an integer"},
      {req(R"("key":{"build_id":")" + kBid + R"("},"container":"c")"), "`args` is required"},
      {req(R"("key":{"build_id":")" + kBid + R"(","args":"a\u0000b"},"container":"c")"), "NUL"},
      {req(R"("key":{"build_id":")" + kBid + R"(","args":""})"), "`container` is required"},
      {req(R"("key":[],"container":"c")"), "`key`: expected an object"},
      {req(R"("key":{"build_id":")" + kBid + R"(","args":")" + std::string(2049, 'a') +
           R"("},"container":"c")"),
       "2049 bytes, at most 2048"},
      {std::string(4097, ' '), "at most 4096"},
  };
  for (const auto& c : cases) {
    auto r = epm::parse_request(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().what().find(c.want), std::string::npos)
        << c.text.substr(0, 80) << " -> " << r.error().what();
  }
}

TEST(EpmProtocol, Replies) {
  epm::EntryInfo e{"00ff", 4198400, 17592186044416ull, 1'765'000'000'123'456'789};
  auto hit = epm::parse_reply(epm::encode_hit(e));
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->status, "hit");
  EXPECT_EQ(hit->entry.instance, "00ff");
  EXPECT_EQ(hit->entry.size, 4198400u);
  EXPECT_EQ(hit->entry.addr, 17592186044416ull);
  EXPECT_NE(epm::encode_hit(e).find(R"("built_at":"2025-12-06T05:46:40.123456789Z")"),
            std::string::npos)
      << epm::encode_hit(e);
  auto miss = epm::parse_reply(epm::encode_miss("no ready entry"));
  ASSERT_TRUE(miss.ok());
  EXPECT_EQ(miss->status, "miss");
  EXPECT_EQ(miss->reason, "no ready entry");
  EXPECT_FALSE(epm::parse_reply(R"({"v":1,"status":"hit"})").ok());
  EXPECT_FALSE(epm::parse_reply(R"({"v":1,"status":"maybe"})").ok());
  EXPECT_FALSE(
      epm::parse_reply(R"({"v":1,"status":"hit","entry":{"instance":"a","size":-1,"addr":0}})")
          .ok());
}

TEST(PoolClient, KeysOutcomesAndNoEpm) {
  auto k = enclave::pool::parse_key(enclave::pool::encode_key({kBid, "size=4M"}));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->args, "size=4M");
  EXPECT_FALSE(enclave::pool::parse_key(R"({"build_id":"zz","args":""})").ok());
  enclave::pool::Outcome o;
  o.pool = "hit";
  o.instance = "abcd";
  o.addr = 42;
  auto back = enclave::pool::parse_outcome(enclave::pool::encode_outcome(o));
  EXPECT_EQ(back.pool, "hit");
  EXPECT_EQ(back.instance, "abcd");
  EXPECT_EQ(back.addr, 42u);
  EXPECT_EQ(enclave::pool::parse_outcome("garbage").pool, "unavailable");
  EXPECT_TRUE(enclave::pool::args_say_no_epm("size=4M no-epm"));
  EXPECT_TRUE(enclave::pool::args_say_no_epm("no-epm"));
  EXPECT_FALSE(enclave::pool::args_say_no_epm("size=4M no-epmx"));
  EXPECT_FALSE(enclave::pool::args_say_no_epm("xno-epm"));
}

TEST(PoolClient, NoServerIsUnavailableAtOnce) {
  auto o = enclave::pool::take("/nonexistent/take.sock", {kBid, ""}, "c", 50);
  EXPECT_EQ(o.pool, "unavailable");
  EXPECT_NE(o.reason.find("connect to /nonexistent/take.sock"), std::string::npos) << o.reason;
  EXPECT_FALSE(o.fd.valid());
}

}  // namespace
