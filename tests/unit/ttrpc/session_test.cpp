#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "containerd/task/v2/shim.pb.h"
#include "ttrpc/client.h"
#include "ttrpc/frame.h"
#include "ttrpc/service.h"
#include "ttrpc/status.h"
#include "ttrpc/ttrpc.pb.h"

namespace ttrpc {
namespace {

namespace taskapi = ::containerd::task::v2;

TEST(TtrpcFrame, HeaderIsBigEndianLengthStreamTypeFlags) {
  std::string f = encode_frame(0x01020304, kResponse, "xyz");
  ASSERT_EQ(f.size(), kHeaderSize + 3);
  EXPECT_EQ(std::string(f, 0, 10), std::string("\0\0\0\x03\x01\x02\x03\x04\x02\0", 10));
  Header h = decode_header(reinterpret_cast<const uint8_t*>(f.data()));
  EXPECT_EQ(h.length, 3u);
  EXPECT_EQ(h.stream_id, 0x01020304u);
  EXPECT_EQ(h.type, kResponse);
  EXPECT_EQ(h.flags, 0);
}

TEST(TtrpcFrame, ReaderCutsFramesFedByteByByte) {
  std::string stream = encode_frame(1, kRequest, "a") + encode_frame(3, kRequest, "") +
                       encode_frame(5, kRequest, std::string(1000, 'z'));
  FrameReader r;
  std::vector<FrameReader::Item> items;
  for (char c : stream) {
    r.feed(&c, 1);
    for (auto it = r.next(); it.kind != FrameReader::Kind::need_more; it = r.next())
      items.push_back(it);
  }
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].payload, "a");
  EXPECT_EQ(items[1].header.stream_id, 3u);
  EXPECT_EQ(items[1].payload, "");
  EXPECT_EQ(items[2].payload.size(), 1000u);
  EXPECT_FALSE(r.mid_frame());
}

TEST(TtrpcFrame, OversizedFrameIsReportedAtOnceAndItsPayloadSkipped) {
  uint8_t h[kHeaderSize];
  encode_header(Header{kMaxMessage + 1, 7, kRequest, 0}, h);
  FrameReader r;
  r.feed(h, sizeof h);
  auto it = r.next();
  ASSERT_EQ(it.kind, FrameReader::Kind::oversized);
  EXPECT_EQ(it.header.stream_id, 7u);
  EXPECT_TRUE(r.mid_frame());
  std::string chunk(1 << 20, 'x');
  for (int i = 0; i < 4; i++) r.feed(chunk.data(), chunk.size());
  EXPECT_EQ(r.next().kind, FrameReader::Kind::need_more);
  // The last byte of the payload and the next frame in one read.
  std::string tail = "x" + encode_frame(9, kRequest, "ok");
  r.feed(tail.data(), tail.size());
  it = r.next();
  ASSERT_EQ(it.kind, FrameReader::Kind::frame);
  EXPECT_EQ(it.header.stream_id, 9u);
  EXPECT_EQ(it.payload, "ok");
}

TEST(TtrpcStatus, CategoriesMapToGrpcCodesAndBack) {
  using base::Category;
  for (Category c :
       {Category::invalid_argument, Category::not_found, Category::already_exists,
        Category::failed_precondition, Category::unavailable, Category::internal,
        Category::unimplemented, Category::permission_denied, Category::resource_exhausted,
        Category::deadline_exceeded, Category::cancelled})
    EXPECT_EQ(category_of(code_of(c)), c) << base::category_name(c);
  EXPECT_EQ(code_of(Category::unimplemented), 12);
  EXPECT_EQ(code_of(Category::not_found), 5);
  EXPECT_EQ(code_of(Category::failed_precondition), 9);
  EXPECT_STREQ(code_name(8), "ResourceExhausted");
}

// A session whose calls run inline, its responses collected.
class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services_.unary<taskapi::StateRequest, taskapi::StateResponse>(
        "containerd.task.v2.Task", "State",
        [](const taskapi::StateRequest& r) -> base::Result<taskapi::StateResponse> {
          if (r.id() == "missing") return base::Error(base::Category::not_found, "no `missing`");
          taskapi::StateResponse resp;
          resp.set_id(r.id());
          resp.set_pid(42);
          return resp;
        });
    services_.later<taskapi::WaitRequest, taskapi::WaitResponse>(
        "containerd.task.v2.Task", "Wait", [this](const taskapi::WaitRequest&, auto reply) {
          pending_.push_back([reply] {
            taskapi::WaitResponse w;
            w.set_exit_status(7);
            reply(w);
          });
        });
    services_.add("big", "Reply",
                  [](std::string, Reply reply) { reply(std::string(kMaxMessage + 10, 'b')); });
  }
  Session session() {
    return Session(
        services_, [this](std::string f) { out_.feed(f.data(), f.size()); },
        [](std::function<void()> f) { f(); });
  }
  // The next response: its stream id and decoded envelope.
  std::pair<uint32_t, ::ttrpc::Response> next() {
    auto it = out_.next();
    EXPECT_EQ(it.kind, FrameReader::Kind::frame);
    EXPECT_EQ(it.header.type, kResponse);
    ::ttrpc::Response r;
    EXPECT_TRUE(r.ParseFromString(it.payload));
    return {it.header.stream_id, r};
  }
  bool nothing_sent() { return out_.next().kind == FrameReader::Kind::need_more; }
  static std::string req(uint32_t id, const std::string& svc, const std::string& method,
                         const std::string& payload, uint8_t type = kRequest) {
    return encode_frame(id, MessageType(type), Client::request_payload(svc, method, payload));
  }

  Services services_;
  FrameReader out_;
  std::vector<std::function<void()>> pending_;
};

TEST_F(SessionTest, CallsReachTheirHandlerAndErrorsCarryTheirCode) {
  Session s = session();
  taskapi::StateRequest r;
  r.set_id("c1");
  std::string f = req(1, "containerd.task.v2.Task", "State", r.SerializeAsString());
  s.feed(f.data(), f.size());
  auto [id, resp] = next();
  EXPECT_EQ(id, 1u);
  EXPECT_FALSE(resp.has_status() && resp.status().code() != 0);
  taskapi::StateResponse state;
  ASSERT_TRUE(state.ParseFromString(resp.payload()));
  EXPECT_EQ(state.id(), "c1");
  EXPECT_EQ(state.pid(), 42u);

  r.set_id("missing");
  f = req(3, "containerd.task.v2.Task", "State", r.SerializeAsString());
  s.feed(f.data(), f.size());
  auto [id2, resp2] = next();
  EXPECT_EQ(id2, 3u);
  EXPECT_EQ(resp2.status().code(), kNotFound);
  EXPECT_EQ(resp2.status().message(), "no `missing`");
}

TEST_F(SessionTest, UnknownServiceAndMethodAreUnimplementedNamingThem) {
  Session s = session();
  std::string f = req(1, "no.Such", "State", "") + req(3, "containerd.task.v2.Task", "Nope", "");
  s.feed(f.data(), f.size());
  auto [i1, r1] = next();
  EXPECT_EQ(r1.status().code(), kUnimplemented);
  EXPECT_NE(r1.status().message().find("no.Such"), std::string::npos) << r1.status().message();
  auto [i2, r2] = next();
  EXPECT_EQ(r2.status().code(), kUnimplemented);
  EXPECT_NE(r2.status().message().find("Nope"), std::string::npos) << r2.status().message();
}

TEST_F(SessionTest, BadPayloadBadRequestAndEvenStreamIdAreInvalidArgument) {
  Session s = session();
  std::string f = req(1, "containerd.task.v2.Task", "State", "\xff\xff\xff");
  s.feed(f.data(), f.size());
  auto [i1, r1] = next();
  EXPECT_EQ(r1.status().code(), kInvalidArgument);
  EXPECT_NE(r1.status().message().find("containerd.task.v2.Task/State"), std::string::npos);

  f = encode_frame(3, kRequest, "\x0a\xff");  // a string field running past the end
  s.feed(f.data(), f.size());
  auto [i2, r2] = next();
  EXPECT_EQ(i2, 3u);
  EXPECT_EQ(r2.status().code(), kInvalidArgument);

  f = req(4, "containerd.task.v2.Task", "State", "");
  s.feed(f.data(), f.size());
  auto [i3, r3] = next();
  EXPECT_EQ(i3, 4u);
  EXPECT_EQ(r3.status().code(), kInvalidArgument);
  EXPECT_NE(r3.status().message().find("even"), std::string::npos);
}

TEST_F(SessionTest, OtherFrameTypesAndFlagsAreIgnored) {
  Session s = session();
  std::string f = req(1, "containerd.task.v2.Task", "State", "", 3);  // a stream data frame
  s.feed(f.data(), f.size());
  EXPECT_TRUE(nothing_sent());
  f = req(3, "containerd.task.v2.Task", "State", "");
  f[9] = '\x05';  // flags
  s.feed(f.data(), f.size());
  auto [id, r] = next();
  EXPECT_EQ(id, 3u);
  EXPECT_EQ(r.status().code(), 0);
}

TEST_F(SessionTest, OversizedFrameIsResourceExhaustedAndTheConnectionGoesOn) {
  Session s = session();
  uint8_t h[kHeaderSize];
  encode_header(Header{kMaxMessage + 1, 5, kRequest, 0}, h);
  s.feed(h, sizeof h);
  auto [id, r] = next();
  EXPECT_EQ(id, 5u);
  EXPECT_EQ(r.status().code(), kResourceExhausted);
  std::string body(kMaxMessage + 1, 'q');
  s.feed(body.data(), body.size());
  std::string f = req(7, "containerd.task.v2.Task", "State", "");
  s.feed(f.data(), f.size());
  auto [id2, r2] = next();
  EXPECT_EQ(id2, 7u);
  EXPECT_EQ(r2.status().code(), 0);
}

TEST_F(SessionTest, OversizedReplyIsResourceExhausted) {
  Session s = session();
  std::string f = req(1, "big", "Reply", "");
  s.feed(f.data(), f.size());
  auto [id, r] = next();
  EXPECT_EQ(r.status().code(), kResourceExhausted);
}

TEST_F(SessionTest, APendingCallHoldsNothingUpAndRepliesComeInAnyOrder) {
  Session s = session();
  std::string f = req(1, "containerd.task.v2.Task", "Wait", "") +
                  req(3, "containerd.task.v2.Task", "State", "");
  s.feed(f.data(), f.size());
  auto [id, r] = next();
  EXPECT_EQ(id, 3u);  // State answered while Wait waits
  ASSERT_EQ(pending_.size(), 1u);
  pending_[0]();
  auto [id2, r2] = next();
  EXPECT_EQ(id2, 1u);
  taskapi::WaitResponse w;
  ASSERT_TRUE(w.ParseFromString(r2.payload()));
  EXPECT_EQ(w.exit_status(), 7u);
}

}  // namespace
}  // namespace ttrpc
