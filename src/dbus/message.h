// D-Bus messages on the wire (the D-Bus specification's marshalling, little-endian), written here
// so that `rune --systemd-cgroup` adds no shared library to rune: values as a tree driven by their
// signature, a message as its header fields and body. Decoding checks every length, alignment pad,
// boolean and nesting depth: a peer's bytes are untrusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace dbus {

// One value of a single complete type. `sig` is that type ("s", "au", "a(sv)", "v"); scalars are
// kept in `num` (booleans 0/1, signed values as their two's complement, doubles as their bits),
// strings, object paths and signatures in `str`; array elements, struct and dict-entry fields, and
// a variant's one inner value in `items`.
struct Value {
  std::string sig;
  uint64_t num = 0;
  std::string str;
  std::vector<Value> items;

  static Value byte(uint8_t v) { return {"y", v, {}, {}}; }
  static Value boolean(bool v) { return {"b", v ? 1u : 0u, {}, {}}; }
  static Value u32(uint32_t v) { return {"u", v, {}, {}}; }
  static Value i64(int64_t v) { return {"x", static_cast<uint64_t>(v), {}, {}}; }
  static Value u64(uint64_t v) { return {"t", v, {}, {}}; }
  static Value string(std::string v) { return {"s", 0, std::move(v), {}}; }
  static Value object_path(std::string v) { return {"o", 0, std::move(v), {}}; }
  static Value variant(Value inner);
  // An array of `elem_sig` elements (each item's sig must be `elem_sig`).
  static Value array(const std::string& elem_sig, std::vector<Value> items);
  static Value structure(std::vector<Value> fields);

  bool operator==(const Value&) const = default;
};

// The length of the single complete type at the start of `sig`, 0 when it does not start with one
// (or nests deeper than the specification's 32 arrays and 32 structs).
size_t complete_type_length(std::string_view sig);

enum class Type : uint8_t { method_call = 1, method_return = 2, error = 3, signal = 4 };
constexpr uint8_t kNoReplyExpected = 0x1;

struct Message {
  Type type = Type::method_call;
  uint8_t flags = 0;
  uint32_t serial = 0;
  std::string path, interface, member, error_name, destination, sender;
  uint32_t reply_serial = 0;
  std::vector<Value> body;  // its signature is the concatenation of the items' sigs

  std::string signature() const;
  // An error reply's first string (its human text), else "".
  std::string error_text() const;
};

// The message as bytes. Errors: a string with a NUL, an item whose fields do not fit its sig, a
// body over kMaxMessage.
base::Result<std::string> encode(const Message& m);

constexpr size_t kMaxMessage = 1 << 20;  // ours; the specification allows 128 MiB
constexpr size_t kFixedHeader = 16;
// The whole message's length from its first kFixedHeader bytes (an error for a big-endian, bad
// or oversized header).
base::Result<size_t> message_length(std::string_view head);
// Decodes one whole message (exactly message_length bytes).
base::Result<Message> decode(std::string_view bytes);

}  // namespace dbus
