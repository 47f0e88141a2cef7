// epm.toml: every key, its defaults, and errors that name the file, the line and the key.
#include <gtest/gtest.h>

#include "epm/config.h"

namespace {

std::string error_of(const std::string& text) {
  auto c = epm::parse_config(text, "epm.toml");
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? "" : c.error().what();
}

TEST(EpmConfig, EveryKeyAndTheDefaults) {
  auto c = epm::parse_config(R"(max_bytes = "1G"
max_pools = 4
build_concurrency = 2
build_timeout = "90s"
idle_ttl = "5m"
auto_pool = false
[[runtime]]
path = "/usr/lib/liberpal-sim.so"
[[pool]]
runtime = "/usr/lib/liberpal-sim.so"
args = "size=4M"
depth = 3
)",
                             "epm.toml");
  ASSERT_TRUE(c.ok()) << c.error().what();
  EXPECT_EQ(c->max_bytes, 1ull << 30);
  EXPECT_EQ(c->max_pools, 4);
  EXPECT_EQ(c->build_concurrency, 2);
  EXPECT_EQ(c->build_timeout_ms, 90'000);
  EXPECT_EQ(c->idle_ttl_ms, 300'000);
  EXPECT_FALSE(c->auto_pool);
  ASSERT_EQ(c->runtimes.size(), 1u);
  ASSERT_EQ(c->pools.size(), 1u);
  EXPECT_EQ(c->pools[0].args, "size=4M");
  EXPECT_EQ(c->pools[0].depth, 3);

  auto d = epm::parse_config("max_bytes = 4096", "epm.toml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->max_pools, 16);
  EXPECT_EQ(d->build_concurrency, 1);
  EXPECT_EQ(d->build_timeout_ms, 60'000);
  EXPECT_EQ(d->idle_ttl_ms, 30 * 60'000);
  EXPECT_TRUE(d->auto_pool);
}

TEST(EpmConfig, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("max_bytes = 1\nfoo = 1"), "epm.toml:2: unknown key `foo`");
  EXPECT_EQ(error_of("auto_pool = true"), "epm.toml: `max_bytes` (the memory budget) is required");
  EXPECT_EQ(error_of("max_bytes = 1\nmax_pools = 0"), "epm.toml:2: `max_pools` is 0, want 1..1024");
  EXPECT_EQ(error_of("max_bytes = 1\nauto_pool = 1"),
            "epm.toml:2: `auto_pool` must be true or false");
  EXPECT_NE(error_of("max_bytes = \"5X\"").find("epm.toml:1: `max_bytes` is `5X`"),
            std::string::npos);
  EXPECT_NE(error_of("max_bytes = 1\n[[runtime]]\npath = \"a\\u0000b\"").find("NUL"),
            std::string::npos);
  EXPECT_NE(error_of("max_bytes = 1\n[[runtime]]\npath = \"/a\"\n[[runtime]]\npath = \"/a\"")
                .find("listed twice"),
            std::string::npos);
  EXPECT_NE(error_of("max_bytes = 1\n[[pool]]\nargs = \"x\"").find("`pool.runtime` is required"),
            std::string::npos);
  EXPECT_NE(error_of("max_bytes = 1\n[[pool]]\nruntime = \"/a\"\nargs = \"" +
                     std::string(2049, 'a') + "\"")
                .find("at most 2048"),
            std::string::npos);
  EXPECT_NE(error_of("max_bytes = 1\nmax_pools = 1\n[[runtime]]\npath = \"/a\"\n[[pool]]\n"
                     "runtime = \"/a\"\n[[pool]]\nruntime = \"/a\"\nargs = \"b\"")
                .find("2 pools, max_pools is 1"),
            std::string::npos);
  EXPECT_NE(error_of("max_bytes = [").find("epm.toml:1:"), std::string::npos);
}

}  // namespace
