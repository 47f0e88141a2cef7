#include "create_opts.h"

namespace rune {

int cmd_run(const Args& a, const Globals& g) {
  if (a.has("keep"))
    return fail(base::invalid("`--keep`: not supported by this version of rune"), g);
  auto o = create_options(a);
  if (!o.ok()) return fail(o.error(), g);
  o->detach = a.has("detach");
  runtime::Runtime rt(g.root);
  auto code = rt.run(*o);
  return code.ok() ? *code : fail(code.error(), g);
}

}  // namespace rune
