#include "base/file.h"
#include "base/words.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include "temp_dir.h"

#include <cstdlib>

namespace base {
namespace {

TEST(CleanPathTest, CollapsesDotsAndSlashesWithoutLeavingRoot) {
  EXPECT_EQ(clean_path("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(clean_path("/../../etc"), "/etc");
  EXPECT_EQ(clean_path("/a/b/../../.."), "/");
  EXPECT_EQ(clean_path("a/../../b"), "../b");
  EXPECT_EQ(clean_path(""), ".");
}

TEST(PathJoinTest, UsesExactlyOneSlash) {
  EXPECT_EQ(path_join("/a/", "/b"), "/a/b");
  EXPECT_EQ(path_join("/a", "b"), "/a/b");
}

class FileTest : public testutil::TempDirTest {};

TEST_F(FileTest, WriteAtomicThenReadRoundTrips) {
  std::string p = dir_ + "/f";
  ASSERT_TRUE(write_file_atomic(p, "hello").ok());
  EXPECT_EQ(read_file(p).value(), "hello");
  EXPECT_FALSE(path_exists(p + ".tmp"));
}

TEST_F(FileTest, ReadFileNamesTheMissingPath) {
  auto r = read_file(dir_ + "/missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err(), ENOENT);
  EXPECT_NE(r.error().message().find(dir_ + "/missing"), std::string::npos);
}

TEST_F(FileTest, ReadFileRejectsFilesOverTheLimit) {
  std::string p = dir_ + "/big";
  ASSERT_TRUE(write_file_atomic(p, std::string(100, 'x')).ok());
  EXPECT_FALSE(read_file(p, 10).ok());
}

TEST_F(FileTest, MkdirAllAndRemoveAll) {
  ASSERT_TRUE(mkdir_all(dir_ + "/a/b/c").ok());
  ASSERT_TRUE(write_file_atomic(dir_ + "/a/b/c/f", "x").ok());
  ASSERT_TRUE(mkdir_all(dir_ + "/a/b/c").ok());  // existing is fine
  ASSERT_TRUE(remove_all(dir_ + "/a").ok());
  EXPECT_FALSE(path_exists(dir_ + "/a"));
}

TEST_F(FileTest, MkdirAllFailsOnAFileInTheWay) {
  ASSERT_TRUE(write_file_atomic(dir_ + "/f", "x").ok());
  EXPECT_FALSE(mkdir_all(dir_ + "/f").ok());
}

}  // namespace
}  // namespace base

namespace base {
namespace {

TEST(Split, AsGoStringsSplit) {
  EXPECT_EQ(split("", ':'), std::vector<std::string_view>{""});
  EXPECT_EQ(split("a:", ':'), (std::vector<std::string_view>{"a", ""}));
  EXPECT_EQ(split("s.slice:p:n", ':'), (std::vector<std::string_view>{"s.slice", "p", "n"}));
  EXPECT_EQ(split("a::b", ':'), (std::vector<std::string_view>{"a", "", "b"}));
}

TEST(ExecCandidates, AsExecvpSearches) {
  EXPECT_EQ(exec_candidates("/bin/sh", {"PATH=/x"}), std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(exec_candidates("sub/prog", {}), std::vector<std::string>{"sub/prog"});
  EXPECT_EQ(exec_candidates("sh", {"A=1", "PATH=/a::/b"}),
            (std::vector<std::string>{"/a/sh", "./sh", "/b/sh"}));
  EXPECT_EQ(exec_candidates("sh", {}).front(), "/usr/local/sbin/sh");
  EXPECT_EQ(exec_candidates("sh", {}).size(), 6u);
  auto found = find_executable("sh", {"PATH=/nonexistent:/bin"}, "`args`");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, "/bin/sh");
  auto missing = find_executable("no-such-program-x", {"PATH=/bin"}, "`args`");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("not found in $PATH (/bin)"), std::string::npos);
}

}  // namespace
}  // namespace base
