#include "base/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace base::flags {
namespace {

const Flag kFlags[] = {
    {"bundle", 'b', Kind::value, "value", "path to the bundle"},
    {"detach", 'd', Kind::boolean, "", "detach"},
    {"env", 'e', Kind::value, "value", "KEY=VALUE\nrepeatable"},
    {"secret", 0, Kind::boolean, "", "", true},
};

Result<Args> run(std::vector<std::string> words, Order order = Order::interspersed) {
  return parse(kFlags, words, order, "prog cmd");
}

TEST(FlagsTest, LongFlagsTakeOneOrTwoDashesAndValuesWithOrWithoutEquals) {
  for (const auto& words : std::vector<std::vector<std::string>>{{"--bundle", "/b", "id"},
                                                                 {"-bundle", "/b", "id"},
                                                                 {"--bundle=/b", "id"},
                                                                 {"-bundle=/b", "id"},
                                                                 {"-b", "/b", "id"},
                                                                 {"-b=/b", "id"}}) {
    auto a = run(words);
    ASSERT_TRUE(a.ok()) << words[0] << ": " << a.error().message();
    EXPECT_EQ(a->get("bundle"), "/b") << words[0];
    EXPECT_EQ(a->positional, std::vector<std::string>{"id"}) << words[0];
  }
}

TEST(FlagsTest, FlagsMayFollowPositionalArgumentsUnlessFlagsFirst) {
  auto a = run({"id", "-d", "--bundle", "x"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->has("detach"));
  EXPECT_EQ(a->get("bundle"), "x");
  EXPECT_EQ(a->positional, std::vector<std::string>{"id"});

  auto f = run({"-d", "id", "ls", "-d", "--bundle", "x"}, Order::flags_first);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->has("detach"));
  EXPECT_FALSE(f->has("bundle"));
  EXPECT_EQ(f->positional, (std::vector<std::string>{"id", "ls", "-d", "--bundle", "x"}));
}

TEST(FlagsTest, DoubleDashEndsTheFlagsAndLoneDashIsPositional) {
  auto a = run({"-d", "--", "--bundle", "-"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->has("detach"));
  EXPECT_FALSE(a->has("bundle"));
  EXPECT_EQ(a->positional, (std::vector<std::string>{"--bundle", "-"}));
}

TEST(FlagsTest, BooleansAcceptTrueAndFalseOnly) {
  auto t = run({"--detach=true"});
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->has("detach"));
  auto f = run({"-d", "--detach=false"});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->has("detach")) << "a later =false undoes an earlier flag";
  auto bad = run({"--detach=yes"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "flag `--detach` takes no value, got `yes`");
  EXPECT_EQ(bad.error().category(), Category::invalid_argument);
}

TEST(FlagsTest, RepeatedValueFlagsKeepEveryValueInOrder) {
  auto a = run({"-e", "A=1", "--env=B=2", "--env", "C"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->all("env"), (std::vector<std::string>{"A=1", "B=2", "C"}));
  EXPECT_EQ(a->get("env"), "C");
  EXPECT_TRUE(a->all("bundle").empty());
  EXPECT_EQ(a->get("bundle", "def"), "def");
}

TEST(FlagsTest, AnEmptyValueIsAValue) {
  auto a = run({"--bundle="});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->has("bundle"));
  EXPECT_EQ(a->get("bundle", "def"), "");
}

TEST(FlagsTest, ErrorsNameTheFlagAndTheCommand) {
  auto unknown = run({"id", "--nope"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(), "unknown flag `--nope` for `prog cmd`");
  auto missing = run({"--bundle"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "flag `--bundle` needs a value");
  auto short_missing = run({"-b"});
  ASSERT_FALSE(short_missing.ok());
  EXPECT_EQ(short_missing.error().message(), "flag `--bundle` needs a value");
  auto unknown_short = run({"-x"});
  ASSERT_FALSE(unknown_short.ok());
  EXPECT_EQ(unknown_short.error().message(), "unknown flag `-x` for `prog cmd`");
}

TEST(FlagsTest, HelpIsAlwaysUnderstood) {
  for (const char* h : {"-h", "--help", "-help"}) {
    auto a = run({"id", h});
    ASSERT_TRUE(a.ok()) << h;
    EXPECT_TRUE(a->help) << h;
  }
  auto none = run({"id"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->help);
}

TEST(FlagsTest, HelpLinesListVisibleFlagsInTableOrderWithContinuations) {
  EXPECT_EQ(help_lines(kFlags, 18),
            "  -b, --bundle value path to the bundle\n"
            "  -d, --detach       detach\n"
            "  -e, --env value    KEY=VALUE\n"
            "                     repeatable\n");
  // A name wider than the column still gets one space before its help.
  EXPECT_EQ(help_lines(std::span(kFlags, 1), 4), "  -b, --bundle value path to the bundle\n");
}

TEST(FlagsTest, HiddenFlagsAreParsed) {
  auto a = run({"--secret"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->has("secret"));
}

}  // namespace
}  // namespace base::flags
