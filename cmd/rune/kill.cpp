#include <signal.h>

#include "base/process.h"
#include "cli.h"
#include "runtime/lifecycle.h"

namespace rune {

int cmd_kill(const Args& a, const Globals& g) {
  int sig = SIGTERM;
  if (a.positional.size() > 1) {
    auto s = base::parse_signal(a.positional[1]);
    if (!s.ok()) return fail(s.error(), g);
    sig = *s;
  }
  runtime::Runtime rt(g.root);
  auto s = rt.kill(a.positional[0], sig, a.has("all"));
  return s.ok() ? 0 : fail(s.error(), g);
}

}  // namespace rune
