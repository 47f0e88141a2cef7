#include "base/file.h"
#include "cli.h"
#include "oci/config.h"
#include "runtime/lifecycle.h"

namespace rune {

int cmd_exec(const Args& a, const Globals& g) {
  for (const char* f : {"tty", "cwd", "user", "pid-file"})
    if (a.has(f))
      return fail(base::Error(base::Category::unimplemented,
                              std::string("`--") + f +
                                  "`: not supported by `rune exec` in this version of rune"),
                  g);
  runtime::ExecOptions o;
  o.detach = a.has("detach");
  if (a.has("process")) {
    std::string path = a.get("process");
    auto text = base::read_file(path, 4 << 20);
    if (!text.ok()) return fail(std::move(text).error().wrap("`--process`"), g);
    auto p = oci::parse_process_json(*text, path);
    if (!p.ok()) return fail(p.error(), g);
    if (a.positional.size() > 1)
      return fail(base::invalid("`--process` gives the command; do not also pass one"), g);
    o.args = p->args;
    o.env = p->env;
    o.env_replace = true;
  } else {
    if (a.positional.size() < 2)
      return fail(base::invalid("`rune exec`: no command given; usage: rune exec [flags] "
                                "<container-id> <command> [args...]"),
                  g);
    o.args.assign(a.positional.begin() + 1, a.positional.end());
  }
  for (const auto& e : a.all("env")) {
    if (e.empty() || e[0] == '=')
      return fail(base::invalid("`--env`: `" + e + "` is not KEY=VALUE"), g);
    o.env.push_back(e.find('=') == std::string::npos ? e + "=" : e);
  }
  runtime::Runtime rt(g.root);
  auto code = rt.exec(a.positional[0], o);
  return code.ok() ? *code & 0xff : fail(code.error(), g);
}

}  // namespace rune
