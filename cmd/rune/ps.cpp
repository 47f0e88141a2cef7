#include <cstdio>

#include "base/process.h"
#include "cli.h"
#include "runtime/lifecycle.h"
#include "runtime/ps.h"

namespace rune {

int cmd_ps(const Args& a, const Globals& g) {
  std::string format = a.get("format", "table");
  if (format != "table" && format != "json")
    return fail(base::invalid("`--format`: `" + format + "` is not table or json"), g);
  runtime::Runtime rt(g.root);
  auto pids = rt.pids(a.positional[0]);
  if (!pids.ok()) return fail(pids.error(), g);
  if (format == "json") {
    if (a.positional.size() > 1)
      return fail(base::invalid("`rune ps --format json` takes no ps options"), g);
    std::string out = "[";
    for (size_t i = 0; i < pids->size(); ++i) out += (i ? "," : "") + std::to_string((*pids)[i]);
    printf("%s]\n", out.c_str());
    return 0;
  }
  std::vector<std::string> argv = {"ps"};
  if (a.positional.size() > 1)
    argv.insert(argv.end(), a.positional.begin() + 1, a.positional.end());
  else
    argv.push_back("-ef");
  auto text = base::capture_output(argv);
  if (!text.ok()) return fail(text.error(), g);
  auto table = runtime::ps_table(*text, *pids);
  if (!table.ok()) return fail(table.error(), g);
  fputs(table->c_str(), stdout);
  return 0;
}

}  // namespace rune
