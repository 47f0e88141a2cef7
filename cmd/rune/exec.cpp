#include "base/file.h"
#include "cli.h"
#include "create_opts.h"
#include "oci/config.h"
#include "runtime/lifecycle.h"

namespace rune {

namespace {

base::Result<runtime::ExecOptions> exec_options(const Args& a) {
  // No LSM is enabled for rune's containers: refused as the config fields are.
  if (a.has("apparmor") && !a.get("apparmor").empty())
    return base::invalid("`--apparmor`: AppArmor is not supported by this version of rune");
  if (a.has("process-label") && !a.get("process-label").empty())
    return base::invalid("`--process-label`: SELinux is not supported by this version of rune");
  runtime::ExecOptions o;
  o.detach = a.has("detach");
  o.ignore_paused = a.has("ignore-paused");
  o.pid_file = a.get("pid-file");
  o.console_socket = a.get("console-socket");
  o.cgroups = a.all("cgroup");
  ASSIGN_OR_RETURN(o.preserve_fds, preserve_fds(a));
  if (a.has("process")) {
    std::string path = a.get("process");
    auto text = base::read_file(path, 4 << 20);
    if (!text.ok()) return std::move(text).error().wrap("`--process`");
    ASSIGN_OR_RETURN(oci::Process p, oci::parse_process_json(*text, path));
    if (a.positional.size() > 1)
      return base::invalid("`--process` gives the command; do not also pass one");
    o.process = std::move(p);
    return o;
  }
  if (a.positional.size() < 2)
    return base::invalid(
        "`rune exec`: no command given; usage: rune exec [flags] <container-id> <command> "
        "[args...]");
  o.args.assign(a.positional.begin() + 1, a.positional.end());
  for (const auto& e : a.all("env")) {
    if (e.empty() || e[0] == '=') return base::invalid("`--env`: `" + e + "` is not KEY=VALUE");
    o.env.push_back(e.find('=') == std::string::npos ? e + "=" : e);
  }
  if (a.has("cwd")) o.cwd = a.get("cwd");
  if (a.has("user")) {
    std::string u = a.get("user");
    size_t colon = u.find(':');
    ASSIGN_OR_RETURN(o.uid, flag_number<uint32_t>("user", u.substr(0, colon)));
    if (colon != std::string::npos) {
      ASSIGN_OR_RETURN(o.gid, flag_number<uint32_t>("user", u.substr(colon + 1)));
    }
  }
  for (const auto& g : a.all("additional-gids")) {
    ASSIGN_OR_RETURN(uint32_t gid, flag_number<uint32_t>("additional-gids", g));
    o.additional_gids.push_back(gid);
  }
  o.caps = a.all("cap");
  o.no_new_privs = a.has("no-new-privs");
  o.tty = a.has("tty");
  return o;
}

}  // namespace

int cmd_exec(const Args& a, const Globals& g) {
  auto o = exec_options(a);
  if (!o.ok()) return fail(o.error(), g);
  runtime::Runtime rt(g.root);
  auto code = rt.exec(a.positional[0], *o);
  return code.ok() ? *code & 0xff : fail(code.error(), g);
}

}  // namespace rune
