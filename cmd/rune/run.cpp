#include "create_opts.h"

namespace rune {

int cmd_run(const Args& a, const Globals& g) {
  auto o = create_options(a, g);
  if (!o.ok()) return fail(o.error(), g);
  o->detach = a.has("detach");
  o->keep = a.has("keep");
  runtime::Runtime rt(g.root);
  auto code = rt.run(*o);
  return code.ok() ? *code : fail(code.error(), g);
}

}  // namespace rune
