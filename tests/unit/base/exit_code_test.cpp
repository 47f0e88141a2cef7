#include "base/exit_code.h"

#include <gtest/gtest.h>

namespace base {
namespace {

constexpr Category kAll[] = {
    Category::invalid_argument,    Category::not_found,         Category::already_exists,
    Category::failed_precondition, Category::unavailable,       Category::internal,
    Category::unimplemented,       Category::permission_denied, Category::resource_exhausted,
    Category::deadline_exceeded,   Category::cancelled,
};

TEST(ExitCodeTest, RuncStyleExitsOneForEveryError) {
  for (Category c : kAll) EXPECT_EQ(exit_code(c, ExitStyle::runc), 1) << category_name(c);
}

TEST(ExitCodeTest, ToolStyleSeparatesUsageFromFailure) {
  for (Category c : {Category::invalid_argument, Category::not_found, Category::already_exists,
                     Category::permission_denied, Category::unimplemented})
    EXPECT_EQ(exit_code(c, ExitStyle::tool), kExitUsage) << category_name(c);
  for (Category c :
       {Category::failed_precondition, Category::unavailable, Category::internal,
        Category::resource_exhausted, Category::deadline_exceeded, Category::cancelled})
    EXPECT_EQ(exit_code(c, ExitStyle::tool), kExitFailure) << category_name(c);
}

TEST(ExitCodeTest, EveryCategoryHasAName) {
  for (Category c : kAll) EXPECT_STRNE(category_name(c), "unknown");
}

TEST(ExitCodeTest, ErrorsMapByTheirCategory) {
  EXPECT_EQ(exit_code(invalid("bad"), ExitStyle::tool), kExitUsage);
  EXPECT_EQ(exit_code(sys_error("connect", ECONNREFUSED), ExitStyle::tool), kExitFailure);
  EXPECT_EQ(exit_code(sys_error("open", EACCES), ExitStyle::tool), kExitUsage);
}

}  // namespace
}  // namespace base
