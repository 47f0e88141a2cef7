#include "cli.h"
#include "runtime/lifecycle.h"

namespace rune {

int cmd_delete(const Args& a, const Globals& g) {
  runtime::Runtime rt(g.root);
  auto s = rt.remove(a.positional[0], a.has("force"));
  return s.ok() ? 0 : fail(s.error(), g);
}

}  // namespace rune
