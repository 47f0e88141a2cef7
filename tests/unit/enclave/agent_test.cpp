// Tests of src/enclave/agent.cpp: the init-runelet channel's wire form and request validation.
#include "enclave/agent.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <csignal>

namespace enclave {
namespace {

Message with_fds(Message m, int n) {
  for (int i = 0; i < n; ++i) m.fds.emplace_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  return m;
}

TEST(AgentTest, MessagesRoundTripThroughTheWireForm) {
  Message m;
  m.type = MsgType::kill;
  m.a = -1;
  m.b = SIGTERM;
  m.payload = std::string("x\0y", 3);
  auto wire = encode_message(m);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(wire->size(), 16u + 3u);
  auto back = decode_message(*wire, "peer");
  ASSERT_TRUE(back.ok()) << back.error().what();
  EXPECT_EQ(back->type, MsgType::kill);
  EXPECT_EQ(back->a, -1);
  EXPECT_EQ(back->b, SIGTERM);
  EXPECT_EQ(back->payload, m.payload);
}

TEST(AgentTest, DecodeRefusesShortAndInconsistentDatagrams) {
  Message m;
  m.payload = "abc";
  std::string wire = *encode_message(m);
  for (size_t cut : {size_t{0}, size_t{15}, wire.size() - 1}) {
    auto r = decode_message(std::span(wire.data(), cut), "rune");
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_EQ(r.error().message(), "malformed message from rune");
    EXPECT_EQ(r.error().err(), EPROTO);
  }
  wire.push_back('!');
  EXPECT_FALSE(decode_message(wire, "rune").ok()) << "a length field shorter than the datagram";
}

TEST(AgentTest, EncodeRefusesPayloadsOverTheLimit) {
  Message m;
  m.payload.assign(kMaxPayload + 1, 'a');
  auto r = encode_message(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("exceeds the limit"), std::string::npos);
}

TEST(AgentTest, ParsesEveryRequestType) {
  Message start;
  start.type = MsgType::start;
  auto s = parse_request(start);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(std::holds_alternative<StartRequest>(*s));

  Message exec;
  exec.type = MsgType::exec;
  exec.payload = encode_lists({{"/bin/sh", "-c", "true"}, {"A=1"}});
  auto e = parse_request(with_fds(std::move(exec), 3));
  ASSERT_TRUE(e.ok()) << e.error().what();
  const auto& er = std::get<ExecRequest>(*e);
  EXPECT_EQ(er.argv, (std::vector<std::string>{"/bin/sh", "-c", "true"}));
  EXPECT_EQ(er.env, (std::vector<std::string>{"A=1"}));

  Message kill;
  kill.type = MsgType::kill;
  kill.a = 7;
  kill.b = SIGKILL;
  auto k = parse_request(kill);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(std::get<KillRequest>(*k).pid, 7);
  EXPECT_EQ(std::get<KillRequest>(*k).sig, SIGKILL);

  Message attest;
  attest.type = MsgType::attest;
  attest.payload.assign(512, '\x11');
  auto a = parse_request(attest);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::get<AttestRequest>(*a).target_info.size(), 512u);
}

TEST(AgentTest, MalformedRequestsSayWhatIsWrong) {
  Message exec;
  exec.type = MsgType::exec;
  exec.payload = encode_lists({{"/bin/sh"}, {}});
  auto no_stdio = parse_request(with_fds(std::move(exec), 2));
  ASSERT_FALSE(no_stdio.ok());
  EXPECT_EQ(no_stdio.error().message(), "exec request without a command or its stdio");

  Message empty;
  empty.type = MsgType::exec;
  empty.payload = encode_lists({{}, {}});
  EXPECT_FALSE(parse_request(with_fds(std::move(empty), 3)).ok());

  Message truncated;
  truncated.type = MsgType::exec;
  truncated.payload = std::string("\x02\x00\x00\x00/bin/sh", 11);  // no NUL after the string
  auto t = parse_request(with_fds(std::move(truncated), 3));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message(), "malformed string list");

  Message kill;
  kill.type = MsgType::kill;
  kill.b = 0;
  auto k = parse_request(kill);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message(), "invalid signal 0");

  Message attest;
  attest.type = MsgType::attest;
  attest.payload = "short";
  auto a = parse_request(attest);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message(), "target info must be 512 bytes, got 5");

  Message reply;
  reply.type = MsgType::started;  // a reply is not a request
  auto r = parse_request(reply);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "unknown request 10");
}

TEST(AgentTest, ErrorRepliesKeepKnownCategoriesOnly) {
  Message m = error_message(base::Error(base::Category::not_found, "gone", ENOENT));
  base::Error e = error_from(m);
  EXPECT_EQ(e.category(), base::Category::not_found);
  EXPECT_EQ(e.err(), ENOENT);
  EXPECT_EQ(e.message(), "gone");
  m.b = 999;
  EXPECT_EQ(error_from(m).category(), base::Category::internal);
  m.b = -3;
  EXPECT_EQ(error_from(m).category(), base::Category::internal);
}

}  // namespace
}  // namespace enclave
