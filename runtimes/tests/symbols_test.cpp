// Which pal_* symbols each library exports (dlsym), and what pal_get_version says.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "pal_test_util.h"

namespace {

using rt_test::FreshPal;

const char* const kAll[] = {
    "pal_get_version", "pal_init",    "pal_create_process",   "pal_exec",
    "pal_kill",        "pal_destroy", "pal_get_local_report", "pal_prepare_process"};

struct Case {
  const char* lib;
  std::set<std::string> present;
  int version;  // 0: no pal_get_version
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.lib;
}

const std::set<std::string> kV2 = {"pal_get_version", "pal_init", "pal_create_process",
                                   "pal_exec",        "pal_kill", "pal_destroy"};
std::set<std::string> V3() {
  auto s = kV2;
  s.insert("pal_get_local_report");
  return s;
}
std::set<std::string> With(std::set<std::string> s, const std::string& name) {
  s.insert(name);
  return s;
}
std::set<std::string> Without(std::set<std::string> s, const std::string& name) {
  s.erase(name);
  return s;
}

class Symbols : public testing::TestWithParam<Case> {};

TEST_P(Symbols, ExportsExactlyItsPalFunctions) {
  const Case& c = GetParam();
  FreshPal pal(c.lib);
  ASSERT_TRUE(pal.loaded()) << pal.error();
  for (const char* name : kAll)
    EXPECT_EQ(pal.sym(name) != nullptr, c.present.count(name) == 1) << c.lib << " " << name;
  auto get_version = pal.fn<pal_get_version_fn>("pal_get_version");
  if (c.version == 0) {
    EXPECT_EQ(get_version, nullptr);
  } else {
    ASSERT_NE(get_version, nullptr);
    EXPECT_EQ(get_version(), c.version);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllPals, Symbols,
    testing::Values(Case{"liberpal-abitest-v1", {"pal_init", "pal_exec", "pal_destroy"}, 0},
                    Case{"liberpal-abitest-v2", kV2, 2}, Case{"liberpal-abitest-v3", V3(), 3},
                    Case{"liberpal-fail", V3(), 3},
                    Case{"liberpal-nosym-init", Without(kV2, "pal_init"), 2},
                    Case{"liberpal-nosym-create", Without(kV2, "pal_create_process"), 2},
                    Case{"liberpal-v4", V3(), 4},
                    Case{"liberpal-sim", With(V3(), "pal_prepare_process"), 3}),
    [](const testing::TestParamInfo<Case>& info) {
      std::string name = info.param.lib;
      for (char& ch : name)
        if (ch == '-') ch = '_';
      return name;
    });

}  // namespace
