// The one typed reader of JSON documents (config.json, policies, collateral), on nlohmann-json.
//
// A JsonReader holds a parsed document and the first error met while reading it. A JsonField is
// one value of the document with its full path (`linux.resources.memory.limit`,
// `process.rlimits[2].type`). Reading a field checks its type (and an integer's range) and on a
// mismatch records "`path`: expected <what>, got <what was there>" in the reader; every later
// error is dropped, so the first one is what the caller reports (JsonReader::status()). Absent
// members and JSON null read as absent: a typed read then leaves its output alone and returns
// false, and `need` records "`path`: is required".
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace base {

using Json = nlohmann::json;

// Parses `text`; an error names `what` (a file name or "policy") and where the text stops being
// valid JSON (line, column and the parser's reason).
Result<Json> parse_json(std::string_view text, std::string_view what);

// "a string", "an integer", "an object", ... for error messages.
const char* json_type_name(const Json& v);

class JsonReader;

class JsonField {
 public:
  const std::string& path() const { return path_; }
  bool present() const { return v_ != nullptr; }
  const Json* json() const { return v_; }

  // A member of this object (absent when this is absent or not an object; a present non-object
  // records an error; a null member is absent) and an element of this array (a null element is
  // a value, so that reading it names its type).
  JsonField operator[](std::string_view key) const;
  JsonField operator[](size_t index) const;

  // Present and of that type; a present value of another type records an error.
  bool is_object() const;
  bool is_array() const;

  // The elements of an array / members of an object, each with its path; empty when absent or
  // of another type (an error is recorded for the latter).
  std::vector<JsonField> elements() const;
  std::vector<std::pair<std::string, JsonField>> members() const;

  // Typed reads into `out`: true when the value was present and of the right type; false when it
  // was absent (out untouched) or wrong (error recorded, out untouched). A string holding a NUL
  // byte is wrong: C strings would silently end there.
  bool get(std::string& out) const;
  bool get(bool& out) const;
  template <class Int>
  requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>) bool get(Int& out) const;
  template <class T>
  bool get(std::optional<T>& out) const;
  bool get(std::vector<std::string>& out) const;            // an array of strings
  bool get(std::map<std::string, std::string>& out) const;  // an object of strings (merged in)
  template <size_t N>
  bool get(std::array<uint8_t, N>& out) const;  // a string of exactly 2N hex digits

  // As get(), but an absent value records "`path`: is required".
  template <class T>
  bool need(T& out) const {
    if (!present()) return fail("is required");
    return get(out);
  }
  // Records "`path`: is required" when absent; returns present().
  bool require() const;

  // Records "`path`: <what>" unless an error is kept already. Returns false, for
  // `return field.fail(...)`.
  bool fail(std::string_view what) const;
  // Records "`path`: expected <what>, got <type of the value>".
  bool wrong_type(std::string_view what) const;

 private:
  friend class JsonReader;
  JsonField(JsonReader* r, const Json* v, std::string path)
      : r_(r), v_(v), path_(std::move(path)) {}
  bool get_integer(int64_t min, uint64_t max, uint64_t& bits) const;
  bool get_hex(uint8_t* out, size_t n) const;

  JsonReader* r_;
  const Json* v_;  // nullptr when absent or null
  std::string path_;
};

class JsonReader {
 public:
  // Reads `doc`; errors at the document itself name `root_name` (e.g. "config.json"). When the
  // document is a part of a larger one, `root_path` is its path there (fields then read as
  // `process.args`).
  explicit JsonReader(const Json& doc, std::string root_name = "document",
                      std::string root_path = "")
      : doc_(doc), root_name_(std::move(root_name)), root_path_(std::move(root_path)) {}
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // The whole document (path "" is shown as the root name).
  JsonField root() { return JsonField(this, doc_.is_null() ? nullptr : &doc_, root_path_); }
  bool ok() const { return !first_; }
  // The first error, or ok.
  Status status() const;
  // Keeps `e` unless an error is kept already.
  void fail(Error e) {
    if (!first_) first_ = std::move(e);
  }
  const std::string& root_name() const { return root_name_; }

 private:
  const Json& doc_;
  std::string root_name_;
  std::string root_path_;
  std::optional<Error> first_;
};

template <class Int>
requires(std::is_integral_v<Int> &&
         !std::is_same_v<Int, bool>) bool JsonField::get(Int& out) const {
  uint64_t bits = 0;
  if (!get_integer(std::numeric_limits<Int>::min(), std::numeric_limits<Int>::max(), bits))
    return false;
  out = static_cast<Int>(bits);
  return true;
}

template <class T>
bool JsonField::get(std::optional<T>& out) const {
  T v{};
  if (!get(v)) return false;
  out = std::move(v);
  return true;
}

template <size_t N>
bool JsonField::get(std::array<uint8_t, N>& out) const {
  std::array<uint8_t, N> v{};
  if (!get_hex(v.data(), N)) return false;
  out = v;
  return true;
}

}  // namespace base
