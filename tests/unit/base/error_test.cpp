#include "base/error.h"

#include <gtest/gtest.h>

namespace base {
namespace {

Result<int> half(int x) {
  if (x % 2) return invalid("`" + std::to_string(x) + "` is odd");
  return x / 2;
}

Result<int> quarter(int x) {
  ASSIGN_OR_RETURN(int h, half(x));
  ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

Status check_even(int x) {
  TRY_WRAP(half(x), "check_even");
  return ok();
}

TEST(ErrorTest, WhatAppendsStrerrorWhenErrnoIsSet) {
  Error e(Category::not_found, "open `x`", ENOENT);
  EXPECT_EQ(e.what(), "open `x`: No such file or directory");
  EXPECT_EQ(Error(Category::internal, "plain").what(), "plain");
}

TEST(ErrorTest, WrapPrependsContextAndKeepsErrno) {
  Error e = sys_error("mkdir `a`", EACCES).wrap("create container");
  EXPECT_EQ(e.message(), "create container: mkdir `a`");
  EXPECT_EQ(e.err(), EACCES);
}

TEST(ErrorTest, SysErrorMapsErrnoToCategory) {
  EXPECT_EQ(sys_error("x", ENOENT).category(), Category::not_found);
  EXPECT_EQ(sys_error("x", EEXIST).category(), Category::already_exists);
  EXPECT_EQ(sys_error("x", EPERM).category(), Category::permission_denied);
  EXPECT_EQ(sys_error("x", EIO).category(), Category::internal);
}

TEST(ResultTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(quarter(8).value(), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "`3` is odd");
}

TEST(ResultTest, TryWrapAddsContext) {
  EXPECT_TRUE(check_even(4).ok());
  auto s = check_even(5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "check_even: `5` is odd");
  EXPECT_EQ(s.error().category(), Category::invalid_argument);
}

}  // namespace
}  // namespace base
