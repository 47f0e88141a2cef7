// Tests of src/linux/cgroup_files.cpp: the cgroup file formats and which directory of a
// CgroupSet holds a controller.
#include "linux/cgroup_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/file.h"
#include "temp_dir.h"

namespace kernel::cgroup_files {
namespace {

TEST(CgroupFiles, ParseU64TakesDigitsAndReadsNegativesAsZero) {
  EXPECT_EQ(parse_u64("0"), 0u);
  EXPECT_EQ(parse_u64("9223372036854771712"), 9223372036854771712u);
  EXPECT_EQ(parse_u64("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_u64("-1"), 0u);
  EXPECT_EQ(parse_u64("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_u64(""), std::nullopt);
  EXPECT_EQ(parse_u64("-"), std::nullopt);
  EXPECT_EQ(parse_u64("12kB"), std::nullopt);
  EXPECT_EQ(parse_u64("+1"), std::nullopt);
}

TEST(CgroupFiles, ParseSingleTrimsAndReadsMax) {
  EXPECT_EQ(parse_single("4096\n", 0), 4096u);
  EXPECT_EQ(parse_single(" 7 ", 0), 7u);
  EXPECT_EQ(parse_single("max\n", UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(parse_single("max\n", 0), 0u);
  EXPECT_EQ(parse_single("", 0), std::nullopt);
  EXPECT_EQ(parse_single("1 2\n", 0), std::nullopt);
}

TEST(CgroupFiles, ParseFlatKeyedReportsTheFirstBadLineAndKeepsTheOthers) {
  KeyedValues kv;
  std::string_view bad;
  EXPECT_TRUE(parse_flat_keyed("cache 1\n\nrss 2\ncache 3\n", kv, &bad));
  EXPECT_EQ(kv, (KeyedValues{{"cache", 3}, {"rss", 2}}));
  kv.clear();
  EXPECT_FALSE(parse_flat_keyed("a 1\nb 2 3\nc x\nd 4\n", kv, &bad));
  EXPECT_EQ(bad, "b 2 3");
  EXPECT_EQ(kv, (KeyedValues{{"a", 1}, {"c", 0}, {"d", 4}}));
}

TEST(CgroupFiles, ParseNumbersReportsTheFirstBadWord) {
  std::vector<uint64_t> v;
  std::string_view bad;
  EXPECT_TRUE(parse_numbers("1 2 \n", v, &bad));
  EXPECT_EQ(v, (std::vector<uint64_t>{1, 2}));
  v.clear();
  EXPECT_FALSE(parse_numbers("1 x y 3", v, &bad));
  EXPECT_EQ(bad, "x");
  EXPECT_EQ(v, (std::vector<uint64_t>{1, 0, 0, 3}));
}

class CgroupFilesDirTest : public testutil::TempDirTest {};

TEST_F(CgroupFilesDirTest, ReadTellsAMissingFileFromAnError) {
  ASSERT_TRUE(base::write_file_atomic(dir_ + "/f", "1\n").ok());
  auto t = read(dir_, "f");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "1\n");
  auto missing = read(dir_, "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto no_dir = read(dir_ + "/f", "x");  // ENOTDIR: the cgroup is not there
  ASSERT_TRUE(no_dir.ok());
  EXPECT_FALSE(no_dir->has_value());
  auto empty = read("", "f");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  ASSERT_EQ(mkdir((dir_ + "/d").c_str(), 0755), 0);
  auto is_dir = read(dir_, "d");  // EISDIR: an error, naming the file
  ASSERT_FALSE(is_dir.ok());
  EXPECT_NE(is_dir.error().message().find(dir_ + "/d"), std::string::npos);
}

TEST_F(CgroupFilesDirTest, HugetlbSizesLeaveOutReservations) {
  for (const char* f : {"hugetlb.2MB.current", "hugetlb.2MB.rsvd.current", "hugetlb.1GB.current",
                        "hugetlb.2MB.max", "hugetlb.current"})
    ASSERT_TRUE(base::write_file_atomic(dir_ + "/" + f, "0\n").ok());
  auto sizes = hugetlb_sizes(dir_, ".current");
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<std::string>{"1GB", "2MB"}));
  EXPECT_TRUE(hugetlb_sizes("", ".current").empty());
}

TEST(CgroupFiles, DirectoriesByController) {
  CgroupSet hybrid;
  hybrid.hierarchies = {{"/h/cpu", "cpu,cpuacct", false}, {"/h/unified", "", true}};
  hybrid.dirs = {"/h/cpu/c", "/h/unified/c"};
  EXPECT_EQ(v1_dir(hybrid, "cpuacct"), "/h/cpu/c");
  EXPECT_EQ(v1_dir(hybrid, "memory"), "");
  EXPECT_EQ(v2_dir(hybrid), "/h/unified/c");
  EXPECT_FALSE(pure_v2(hybrid));
  CgroupSet unified;
  unified.hierarchies = {{"/sys/fs/cgroup", "", true}};
  unified.dirs = {"/sys/fs/cgroup/c"};
  EXPECT_TRUE(pure_v2(unified));
  EXPECT_EQ(v1_dir(unified, "memory"), "");
  EXPECT_FALSE(pure_v2(CgroupSet{}));
}

}  // namespace
}  // namespace kernel::cgroup_files
