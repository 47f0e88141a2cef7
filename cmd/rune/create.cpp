#include "create_opts.h"

namespace rune {

int cmd_create(const Args& a, const Globals& g) {
  auto o = create_options(a, g);
  if (!o.ok()) return fail(o.error(), g);
  runtime::Runtime rt(g.root);
  auto s = rt.create(*o);
  return s.ok() ? 0 : fail(s.error(), g);
}

}  // namespace rune
