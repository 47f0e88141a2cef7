#include "dbus/message.h"

#include "dbus/connection.h"

#include <gtest/gtest.h>

namespace dbus {
namespace {

TEST(DbusSignature, CompleteTypes) {
  EXPECT_EQ(complete_type_length("s"), 1u);
  EXPECT_EQ(complete_type_length("a(sv)x"), 5u);
  EXPECT_EQ(complete_type_length("a{sv}"), 5u);
  EXPECT_EQ(complete_type_length("a(sa(sv))"), 9u);
  EXPECT_EQ(complete_type_length("(s"), 0u);
  EXPECT_EQ(complete_type_length("()"), 0u);
  EXPECT_EQ(complete_type_length("a"), 0u);
  EXPECT_EQ(complete_type_length("a{vs}"), 0u);  // dict keys are basic
  EXPECT_EQ(complete_type_length("z"), 0u);
  EXPECT_EQ(complete_type_length(std::string(33, 'a') + "s"), 0u);  // 32 arrays at most
  EXPECT_EQ(complete_type_length(std::string(32, 'a') + "s"), 33u);
}

// The bytes of a Hello call, laid out by hand from the specification.
TEST(DbusMessage, EncodesHelloAsTheSpecificationLaysItOut) {
  Message m;
  m.serial = 1;
  m.destination = "org.freedesktop.DBus";
  m.path = "/org/freedesktop/DBus";
  m.interface = "org.freedesktop.DBus";
  m.member = "Hello";
  auto bytes = encode(m);
  ASSERT_TRUE(bytes.ok()) << bytes.error().what();
  std::string want("l\x01\x00\x01", 4);
  want += std::string("\0\0\0\0", 4);    // body length
  want += std::string("\x01\0\0\0", 4);  // serial
  std::string fields;
  auto field = [&](char code, char type, const std::string& s) {
    while (fields.size() % 8) fields.push_back('\0');
    fields += code;
    fields += std::string("\x01", 1) + type + std::string(1, '\0');
    uint32_t n = static_cast<uint32_t>(s.size());
    fields += std::string(reinterpret_cast<const char*>(&n), 4) + s + std::string(1, '\0');
  };
  field(1, 'o', "/org/freedesktop/DBus");
  field(2, 's', "org.freedesktop.DBus");
  field(3, 's', "Hello");
  field(6, 's', "org.freedesktop.DBus");
  uint32_t flen = static_cast<uint32_t>(fields.size());
  want += std::string(reinterpret_cast<const char*>(&flen), 4) + fields;
  while (want.size() % 8) want.push_back('\0');
  EXPECT_EQ(*bytes, want);
  auto len = message_length(*bytes);
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(*len, bytes->size());
}

TEST(DbusMessage, RoundTripsNestedBodies) {
  Message m;
  m.type = Type::signal;
  m.serial = 77;
  m.path = "/org/freedesktop/systemd1";
  m.interface = "org.freedesktop.systemd1.Manager";
  m.member = "JobRemoved";
  m.sender = ":1.5";
  m.body = {
      Value::string("rune-x.scope"),
      Value::boolean(true),
      Value::array(
          "(sv)",
          {Value::structure(
               {Value::string("PIDs"), Value::variant(Value::array("u", {Value::u32(42)}))}),
           Value::structure({Value::string("MemoryLimit"), Value::variant(Value::u64(UINT64_MAX))}),
           Value::structure({Value::string("AllowedCPUs"),
                             Value::variant(Value::array("y", {Value::byte(0x0f)}))})}),
      Value::array("(sa(sv))", {}),
      Value::i64(-3),
  };
  auto bytes = encode(m);
  ASSERT_TRUE(bytes.ok()) << bytes.error().what();
  auto back = decode(*bytes);
  ASSERT_TRUE(back.ok()) << back.error().what();
  EXPECT_EQ(back->type, Type::signal);
  EXPECT_EQ(back->serial, 77u);
  EXPECT_EQ(back->path, m.path);
  EXPECT_EQ(back->member, m.member);
  EXPECT_EQ(back->sender, ":1.5");
  EXPECT_EQ(back->signature(), "sba(sv)a(sa(sv))x");
  EXPECT_EQ(back->body, m.body);
}

TEST(DbusMessage, RefusesWhatCannotBeSent) {
  Message m;
  m.serial = 1;
  m.member = "X";
  m.body = {Value::string(std::string("a\0b", 3))};
  EXPECT_FALSE(encode(m).ok());
  m.body = {Value::array("s", {Value::u32(1)})};  // element of the wrong type
  EXPECT_FALSE(encode(m).ok());
  m.body = {Value{"(s", 0, {}, {}}};
  EXPECT_FALSE(encode(m).ok());
}

// A method return with `body`, as bytes.
std::string reply_bytes(std::vector<Value> body) {
  Message m;
  m.type = Type::method_return;
  m.serial = 9;
  m.reply_serial = 1;
  m.body = std::move(body);
  return *encode(m);
}

TEST(DbusMessage, DecodingChecksEveryByte) {
  std::string good =
      reply_bytes({Value::boolean(true), Value::string("ok"), Value::array("u", {Value::u32(5)})});
  ASSERT_TRUE(decode(good).ok());
  size_t body = good.size() - (4 + 4 + 4 + 4 + 4);  // b, "ok\0"+len, array len + one u32
  // A boolean that is 2.
  std::string bad = good;
  bad[body] = 2;
  EXPECT_FALSE(decode(bad).ok());
  // The string's NUL replaced.
  bad = good;
  bad[body + 4 + 4 + 2] = 'x';
  EXPECT_FALSE(decode(bad).ok());
  // An array length running past the message.
  bad = good;
  bad[body + 12] = 40;
  EXPECT_FALSE(decode(bad).ok());
  // Every truncation is refused, none crashes.
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode(good.substr(0, n)).ok()) << n;
  // Big-endian messages are not read.
  bad = good;
  bad[0] = 'B';
  EXPECT_FALSE(decode(bad).ok());
  // Over the size limit.
  bad = good;
  bad[6] = 0x7f;
  EXPECT_FALSE(message_length(bad).ok());
}

TEST(DbusMessage, NonZeroPaddingIsRefused) {
  std::string good = reply_bytes({Value::byte(1), Value::u64(2)});
  ASSERT_TRUE(decode(good).ok());
  std::string bad = good;
  bad[good.size() - 9] = 1;  // the last pad byte before the u64
  EXPECT_FALSE(decode(bad).ok());
}

TEST(DbusAddress, TheFirstUnixSocketWithEscapesUndone) {
  EXPECT_EQ(*socket_of_address("unix:path=/run/dbus/system_bus_socket,guid=1"),
            "/run/dbus/system_bus_socket");
  EXPECT_EQ(*socket_of_address("tcp:host=x,port=1;unix:abstract=bus%2dx"), "@bus-x");
  EXPECT_EQ(*socket_of_address("unix:guid=1,path=/a%20b"), "/a b");
  for (const char* bad : {"", "tcp:host=x", "unix:path=", "unix:path=%zz", "unix:path=%00x"}) {
    auto r = socket_of_address(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("D-Bus address `"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace dbus
