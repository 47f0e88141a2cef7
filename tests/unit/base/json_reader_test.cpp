#include "base/json_reader.h"

#include <gtest/gtest.h>

namespace base {
namespace {

Json doc(const char* text) {
  auto j = parse_json(text, "test.json");
  EXPECT_TRUE(j.ok()) << text;
  return j.ok() ? *j : Json();
}

std::string error_of(const JsonReader& r) {
  return r.ok() ? "" : r.status().error().message();
}

TEST(JsonReaderTest, ReadsTypedFieldsByPath) {
  Json j = doc(R"({"linux": {"resources": {"memory": {"limit": 1048576}}, "sysctl": {"a.b": "1"}},
                  "args": ["sh", "-c"], "name": "x", "flag": true, "hex": "0a0b"})");
  JsonReader r(j);
  JsonField root = r.root();
  int64_t limit = 0;
  EXPECT_TRUE(root["linux"]["resources"]["memory"]["limit"].get(limit));
  EXPECT_EQ(limit, 1048576);
  EXPECT_EQ(root["linux"]["resources"]["memory"]["limit"].path(), "linux.resources.memory.limit");
  std::vector<std::string> args;
  EXPECT_TRUE(root["args"].get(args));
  EXPECT_EQ(args, (std::vector<std::string>{"sh", "-c"}));
  EXPECT_EQ(root["args"][1].path(), "args[1]");
  std::map<std::string, std::string> sysctl;
  EXPECT_TRUE(root["linux"]["sysctl"].get(sysctl));
  EXPECT_EQ(sysctl.at("a.b"), "1");
  bool flag = false;
  EXPECT_TRUE(root["flag"].get(flag));
  EXPECT_TRUE(flag);
  std::array<uint8_t, 2> hex{};
  EXPECT_TRUE(root["hex"].get(hex));
  EXPECT_EQ(hex[1], 0x0b);
  EXPECT_TRUE(r.ok());
}

TEST(JsonReaderTest, AbsentAndNullLeaveTheOutputAlone) {
  Json j = doc(R"({"a": null})");
  JsonReader r(j);
  std::string s = "kept";
  EXPECT_FALSE(r.root()["a"].get(s));
  EXPECT_FALSE(r.root()["b"]["c"].get(s));
  EXPECT_EQ(s, "kept");
  std::optional<int> o;
  EXPECT_FALSE(r.root()["a"].get(o));
  EXPECT_FALSE(o.has_value());
  EXPECT_TRUE(r.ok());
}

TEST(JsonReaderTest, WrongTypeNamesThePathAndBothTypes) {
  Json j = doc(R"({"process": {"user": {"uid": "root"}}})");
  JsonReader r(j);
  uint32_t uid = 7;
  EXPECT_FALSE(r.root()["process"]["user"]["uid"].get(uid));
  EXPECT_EQ(uid, 7u);
  EXPECT_EQ(error_of(r), "`process.user.uid`: expected an integer, got a string");
}

TEST(JsonReaderTest, IntegersAreRangeChecked) {
  Json j = doc(R"({"small": 70000, "neg": -1, "frac": 1.5, "min": -32768})");
  {
    JsonReader r(j);
    uint16_t v = 0;
    EXPECT_FALSE(r.root()["small"].get(v));
    EXPECT_EQ(error_of(r), "`small`: expected an integer from 0 to 65535, got 70000");
  }
  {
    JsonReader r(j);
    uint32_t v = 0;
    EXPECT_FALSE(r.root()["neg"].get(v));
    EXPECT_EQ(error_of(r), "`neg`: expected an integer from 0 to 4294967295, got -1");
  }
  {
    JsonReader r(j);
    int v = 0;
    EXPECT_FALSE(r.root()["frac"].get(v));
    EXPECT_EQ(error_of(r), "`frac`: expected an integer, got a number with a fraction");
  }
  {
    JsonReader r(j);
    int16_t v = 0;
    EXPECT_TRUE(r.root()["min"].get(v));
    EXPECT_EQ(v, -32768);
    int64_t big = 0;
    EXPECT_TRUE(r.root()["neg"].get(big));
    EXPECT_EQ(big, -1);
  }
}

TEST(JsonReaderTest, KeepsTheFirstError) {
  Json j = doc(R"({"a": 1, "b": 2})");
  JsonReader r(j);
  std::string s;
  r.root()["a"].get(s);
  r.root()["b"].get(s);
  r.root()["c"].need(s);
  EXPECT_EQ(error_of(r), "`a`: expected a string, got an integer");
  EXPECT_EQ(r.status().error().category(), Category::invalid_argument);
}

TEST(JsonReaderTest, NeedAndRequireNameMissingFields) {
  Json j = doc(R"({"root": {}})");
  JsonReader r(j);
  std::string path;
  EXPECT_FALSE(r.root()["root"]["path"].need(path));
  EXPECT_EQ(error_of(r), "`root.path`: is required");
  JsonReader r2(j);
  EXPECT_FALSE(r2.root()["process"].require());
  EXPECT_EQ(error_of(r2), "`process`: is required");
}

TEST(JsonReaderTest, ArrayElementsAndHexAreNamedByIndex) {
  Json j = doc(R"({"env": ["A=1", 2], "ids": ["00"], "list": null})");
  JsonReader r(j);
  std::vector<std::string> env;
  EXPECT_FALSE(r.root()["env"].get(env));
  EXPECT_TRUE(env.empty()) << "nothing is stored from a wrong array";
  EXPECT_EQ(error_of(r), "`env[1]`: expected a string, got an integer");
  JsonReader r2(j);
  std::array<uint8_t, 16> id{};
  EXPECT_FALSE(r2.root()["ids"][0].get(id));
  EXPECT_EQ(error_of(r2), "`ids[0]`: `00` is not 16 bytes of hex");
  JsonReader r3(j);
  EXPECT_TRUE(r3.root()["list"].elements().empty());
  EXPECT_TRUE(r3.ok()) << "a null list is an absent list";
}

TEST(JsonReaderTest, ContainersOfTheWrongTypeAreErrors) {
  Json j = doc(R"({"mounts": {}, "linux": [], "annotations": {"a": 1}})");
  JsonReader r(j);
  EXPECT_TRUE(r.root()["mounts"].elements().empty());
  EXPECT_EQ(error_of(r), "`mounts`: expected an array, got an object");
  JsonReader r2(j);
  std::string s;
  r2.root()["linux"]["namespaces"].get(s);
  EXPECT_EQ(error_of(r2), "`linux`: expected an object, got an array");
  JsonReader r3(j);
  std::map<std::string, std::string> m;
  EXPECT_FALSE(r3.root()["annotations"].get(m));
  EXPECT_EQ(error_of(r3), "`annotations.a`: expected a string, got an integer");
}

TEST(JsonReaderTest, RootErrorsNameTheDocumentOrItsPath) {
  Json j = doc("[1]");
  JsonReader r(j, "config.json");
  r.root().is_object();
  EXPECT_EQ(error_of(r), "`config.json`: expected an object, got an array");
  Json p = doc(R"({"args": 1})");
  JsonReader part(p, "process.json", "process");
  std::vector<std::string> args;
  part.root()["args"].get(args);
  EXPECT_EQ(error_of(part), "`process.args`: expected an array of strings, got an integer");
}

TEST(JsonReaderTest, ParseErrorsNameTheInput) {
  auto j = parse_json("{", "/b/config.json");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().message(),
            "`/b/config.json` is not valid JSON: line 1, column 2: syntax error while parsing "
            "object key - unexpected end of input; expected string literal");
}

}  // namespace
}  // namespace base
