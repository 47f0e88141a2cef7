#include <unistd.h>

#include "cli.h"
#include "runtime/events.h"

namespace rune {

int cmd_events(const Args& a, const Globals& g) {
  int interval_ms = 5000;
  if (a.has("interval")) {
    auto i = runtime::parse_interval(a.get("interval"));
    if (!i.ok()) return fail(i.error(), g);
    interval_ms = *i;
  }
  runtime::Runtime rt(g.root);
  auto s = runtime::events(rt, a.positional[0], a.has("stats"), interval_ms, STDOUT_FILENO);
  return s.ok() ? 0 : fail(s.error(), g);
}

}  // namespace rune
