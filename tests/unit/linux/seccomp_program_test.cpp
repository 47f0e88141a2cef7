// Tests of src/linux/seccomp_program.cpp: what compiles, what is skipped as runc skips it, and
// errors that name the field. The engines' real profiles are compiled by the integration tests.
#include "linux/seccomp_program.h"

#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <filesystem>

#include "base/file.h"
#include "temp_dir.h"

namespace kernel {
namespace {

oci::Seccomp allow_all_but(const std::string& name, const std::string& action) {
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  oci::SeccompRule r;
  r.names = {name};
  r.action = action;
  r.errno_ret = 38;
  s.syscalls.push_back(r);
  return s;
}

TEST(SeccompProgramTest, CompilesARuleToABpfProgram) {
  auto p = compile_seccomp(allow_all_but("mkdir", "SCMP_ACT_ERRNO"));
  ASSERT_TRUE(p.ok()) << p.error().what();
  EXPECT_GT(p->filter.size(), 4u);
  EXPECT_EQ(p->flags, 0u);
  // The ERRNO(38) return value is in the program.
  bool found = false;
  for (const auto& i : p->filter) found = found || i.k == (SECCOMP_RET_ERRNO | 38u);
  EXPECT_TRUE(found);
}

TEST(SeccompProgramTest, UnknownSyscallNamesAreSkippedAsRuncDoes) {
  auto with = compile_seccomp(allow_all_but("no_such_syscall_anywhere", "SCMP_ACT_ERRNO"));
  ASSERT_TRUE(with.ok()) << with.error().what();
  oci::Seccomp none = allow_all_but("mkdir", "SCMP_ACT_ERRNO");
  none.syscalls.clear();
  auto without = compile_seccomp(none);
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(with->filter.size(), without->filter.size());
}

TEST(SeccompProgramTest, ARuleWithTheDefaultActionIsLeftOut) {
  auto p = compile_seccomp(allow_all_but("mkdir", "SCMP_ACT_ALLOW"));
  ASSERT_TRUE(p.ok()) << p.error().what();
}

TEST(SeccompProgramTest, ConditionsOnOneArgumentTwiceBecomeSeparateRules) {
  oci::Seccomp s = allow_all_but("personality", "SCMP_ACT_ERRNO");
  s.syscalls[0].args = {{0, 8, 0, "SCMP_CMP_EQ"}, {0, 0x20000, 0, "SCMP_CMP_EQ"}};
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p.ok()) << p.error().what();
}

TEST(SeccompProgramTest, FlagsMapToTheKernels) {
  oci::Seccomp s = allow_all_but("mkdir", "SCMP_ACT_ERRNO");
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->flags, unsigned{SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW});
}

TEST(SeccompProgramTest, NotifyMakesAListenerButNotAsDefaultOrOnTheHandOverCalls) {
  oci::Seccomp s = allow_all_but("mkdir", "SCMP_ACT_NOTIFY");
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(p->notify);
  EXPECT_FALSE(compile_seccomp(allow_all_but("mkdir", "SCMP_ACT_ERRNO"))->notify);

  oci::Seccomp def = s;
  def.default_action = "SCMP_ACT_NOTIFY";
  auto d = compile_seccomp(def);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("`linux.seccomp.defaultAction`: SCMP_ACT_NOTIFY cannot be"),
            std::string::npos);

  oci::Seccomp hand = allow_all_but("recvmsg", "SCMP_ACT_NOTIFY");
  hand.syscalls.insert(hand.syscalls.begin(),
                       oci::SeccompRule{{"rmdir"}, "SCMP_ACT_ERRNO", {}, {}});
  auto h = compile_seccomp(hand);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message().find("`linux.seccomp.syscalls[1].action`: SCMP_ACT_NOTIFY on "
                                     "`recvmsg`"),
            std::string::npos)
      << h.error().message();
}

TEST(SeccompProgramTest, TheListenerGetsTheSpecsContainerProcessState) {
  oci::Seccomp s;
  s.listener_metadata = "m\"x";
  EXPECT_EQ(
      container_process_state(s, 42, R"({"id":"c"})"),
      R"({"ociVersion":"1.0.2","fds":["seccompFd"],"pid":42,"metadata":"m\"x","state":{"id":"c"}})");
}

}  // namespace
}  // namespace kernel

namespace kernel {
namespace {

class SeccompCacheTest : public testutil::TempDirTest {};

std::string only_entry(const std::string& dir) {
  std::string found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) found = e.path().string();
  return found;
}

TEST_F(SeccompCacheTest, AHitReturnsTheStoredProgramOnlyWhenTheWholeKeyMatches) {
  const std::string cache = dir_ + "/cache";
  oci::Seccomp s = allow_all_but("mkdir", "SCMP_ACT_ERRNO");
  auto first = compile_seccomp_cached(s, cache);
  ASSERT_TRUE(first.ok()) << first.error().what();
  const std::string entry = only_entry(cache);
  ASSERT_FALSE(entry.empty()) << "no cache entry written";
  // Plant a different program under the same key: a hit must return it, proving the cache is
  // read rather than the section compiled again.
  auto text = base::read_file(entry);
  ASSERT_TRUE(text.ok());
  std::string key = seccomp_cache_key(s);
  ASSERT_EQ(text->compare(0, key.size(), key), 0);
  std::string planted = text->substr(0, key.size() + 9);
  sock_filter ret_allow = {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW};
  planted.append(reinterpret_cast<const char*>(&ret_allow), sizeof ret_allow);
  ASSERT_TRUE(base::write_file(entry, planted).ok());
  auto hit = compile_seccomp_cached(s, cache);
  ASSERT_TRUE(hit.ok());
  ASSERT_EQ(hit->filter.size(), 1u);
  EXPECT_EQ(hit->filter[0].k, SECCOMP_RET_ALLOW);

  // The same file name with a key that differs in one byte is not a hit.
  std::string other = planted;
  other[key.size() - 3] ^= 1;
  ASSERT_TRUE(base::write_file(entry, other).ok());
  auto miss = compile_seccomp_cached(s, cache);
  ASSERT_TRUE(miss.ok());
  EXPECT_EQ(miss->filter.size(), first->filter.size());
}

TEST_F(SeccompCacheTest, EveryFieldChangesTheKey) {
  oci::Seccomp base = allow_all_but("mkdir", "SCMP_ACT_ERRNO");
  std::vector<oci::Seccomp> variants(6, base);
  variants[0].default_action = "SCMP_ACT_LOG";
  variants[1].default_errno_ret = 1;
  variants[2].architectures.pop_back();
  variants[3].syscalls[0].names = {"mkdirat"};
  variants[4].syscalls[0].errno_ret = 1;
  variants[5].syscalls[0].args = {{1, 2, 0, "SCMP_CMP_EQ"}};
  const std::string k = seccomp_cache_key(base);
  for (size_t i = 0; i < variants.size(); ++i) EXPECT_NE(seccomp_cache_key(variants[i]), k) << i;
  EXPECT_EQ(seccomp_cache_key(base), k);
}

TEST_F(SeccompCacheTest, AnUnwritableCacheStillCompiles) {
  auto p = compile_seccomp_cached(allow_all_but("mkdir", "SCMP_ACT_ERRNO"), dir_ + "/no/such/dir");
  ASSERT_TRUE(p.ok()) << p.error().what();
  EXPECT_GT(p->filter.size(), 4u);
}

}  // namespace
}  // namespace kernel
