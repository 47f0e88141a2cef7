#include "cli.h"
#include "runtime/lifecycle.h"

namespace rune {

int cmd_start(const Args& a, const Globals& g) {
  runtime::Runtime rt(g.root);
  auto s = rt.start(a.positional[0]);
  return s.ok() ? 0 : fail(s.error(), g);
}

}  // namespace rune
