#include "cli.h"
#include "runtime/lifecycle.h"

namespace rune {

int cmd_pause(const Args& a, const Globals& g) {
  runtime::Runtime rt(g.root);
  auto s = rt.pause(a.positional[0]);
  return s.ok() ? 0 : fail(s.error(), g);
}

int cmd_resume(const Args& a, const Globals& g) {
  runtime::Runtime rt(g.root);
  auto s = rt.resume(a.positional[0]);
  return s.ok() ? 0 : fail(s.error(), g);
}

}  // namespace rune
