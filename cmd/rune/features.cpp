#include <cstdio>

#include "cli.h"
#include "runtime/features.h"

namespace rune {

int cmd_features(const Args&, const Globals&) {
  printf("%s\n", runtime::features_json().c_str());
  return 0;
}

}  // namespace rune
