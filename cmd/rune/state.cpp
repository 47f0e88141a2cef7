#include <cstdio>

#include "cli.h"
#include "runtime/lifecycle.h"

namespace rune {

int cmd_state(const Args& a, const Globals& g) {
  runtime::Runtime rt(g.root);
  auto in = rt.info(a.positional[0]);
  if (!in.ok()) return fail(in.error(), g);
  printf("%s\n", oci::state_json(in->state, in->status, true, "").c_str());
  return 0;
}

}  // namespace rune
