// A temporary directory for one test, removed with everything in it afterwards.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "base/file.h"

namespace testutil {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char t[] = "/tmp/rune-unit-XXXXXX";
    ASSERT_TRUE(mkdtemp(t));
    dir_ = t;
  }
  void TearDown() override { (void)base::remove_all(dir_); }
  std::string dir_;
};

}  // namespace testutil
