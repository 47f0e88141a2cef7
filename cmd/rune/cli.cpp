#include "cli.h"

#include <cstdio>

#include "base/log.h"

namespace rune {

namespace {

const std::vector<FlagSpec> kCreateFlags = {
    {"bundle", 'b', true, "path to the root of the bundle directory (default: current directory)"},
    {"console-socket", 0, true, "unix socket to receive the pty master (needs process.terminal)"},
    {"pid-file", 0, true, "file to write the container's init pid to"},
    {"no-pivot", 0, false, "do not use pivot_root to enter the rootfs (for ramdisks)"},
    {"no-new-keyring", 0, false, "accepted for runc compatibility (rune makes no session keyring)"},
    {"preserve-fds", 0, true, "pass N extra file descriptors (3..3+N-1) to the container"},
};

std::vector<FlagSpec> run_flags() {
  auto f = kCreateFlags;
  f.push_back({"detach", 'd', false, "detach from the container's process"});
  f.push_back({"keep", 0, false, "accepted for runc compatibility; rejected when set"});
  return f;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> cmds = {
      {"create", "[flags] <container-id>", "create a container (its process waits for start)",
       kCreateFlags, 1, 1, cmd_create},
      {"start", "<container-id>", "start the process of a created container", {}, 1, 1, cmd_start},
      {"run", "[flags] <container-id>", "create and start a container", run_flags(), 1, 1, cmd_run},
      {"state", "<container-id>", "print the state of a container as JSON", {}, 1, 1, cmd_state},
      {"list",
       "[flags]",
       "list containers",
       {{"format", 'f', true, "table or json"}, {"quiet", 'q', false, "print only container ids"}},
       0,
       0,
       cmd_list},
      {"kill",
       "[flags] <container-id> [signal]",
       "send a signal (default SIGTERM) to a container",
       {{"all", 'a', false, "send the signal to every process of the container"}},
       1,
       2,
       cmd_kill},
      {"delete",
       "[flags] <container-id>",
       "delete a container and everything it holds",
       {{"force", 'f', false, "kill the container first if it is running"}},
       1,
       1,
       cmd_delete},
      {"spec",
       "[flags]",
       "write a config.json template",
       {{"bundle", 'b', true, "directory to write config.json into"},
        {"rootless", 0, false, "rootless template (not supported by this version of rune)"},
        {"enclave", 0, false, "template for an enclave container on the sim TEE"},
        {"pal", 0, true,
         "host liberpal-sim.so to bind-mount (default: the one installed with rune)"}},
       0,
       0,
       cmd_spec},
      {"exec",
       "[flags] <container-id> <command> [args...]",
       "run a further process in an enclave container's runtime (PAL API v2+)",
       {{"env", 'e', true, "set an environment variable KEY=VALUE (repeatable)"},
        {"detach", 'd', false, "do not wait for the process"},
        {"process", 'p', true, "process.json (runtime-spec `process`) giving args and env"},
        {"tty", 't', false, "allocate a terminal (not supported by this version of rune)"},
        {"cwd", 0, true, "working directory (not supported: the PAL API has none)"},
        {"user", 'u', true, "uid[:gid] (not supported: the PAL API has none)"},
        {"pid-file", 0, true, "not supported for enclave processes (they have no host pid)"}},
       1,
       ~size_t{0},
       cmd_exec,
       true},
      {"attest",
       "[flags] <container-id>",
       "print a local report from an enclave container's runtime (PAL API v3)",
       {{"target-info", 0, true,
         "SGX TARGETINFO (512 bytes) to make the report for (default: the sim quoting target)"},
        {"output", 'o', true, "also write the raw report (432 bytes) to this file"}},
       1,
       1,
       cmd_attest},
      {"ps",
       "<container-id>",
       "not supported by this version of rune",
       {},
       0,
       ~size_t{0},
       cmd_unsupported},
      {"pause",
       "<container-id>",
       "not supported by this version of rune",
       {},
       0,
       ~size_t{0},
       cmd_unsupported},
      {"resume",
       "<container-id>",
       "not supported by this version of rune",
       {},
       0,
       ~size_t{0},
       cmd_unsupported},
      {"update",
       "<container-id>",
       "not supported by this version of rune",
       {},
       0,
       ~size_t{0},
       cmd_unsupported},
      {"events",
       "<container-id>",
       "not supported by this version of rune",
       {},
       0,
       ~size_t{0},
       cmd_unsupported},
  };
  return cmds;
}

base::Result<Args> parse_flags(const std::vector<FlagSpec>& flags,
                               const std::vector<std::string>& argv, size_t begin,
                               const std::string& context, bool flags_first) {
  Args a;
  bool flags_done = false;
  for (size_t i = begin; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (flags_done || s.size() < 2 || s[0] != '-') {
      a.positional.push_back(s);
      if (flags_first) flags_done = true;
      continue;
    }
    if (s == "--") {
      flags_done = true;
      continue;
    }
    std::string name = s.substr(s[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const auto& f : flags)
      if (name == f.name || (name.size() == 1 && f.short_name == name[0])) spec = &f;
    if (name == "help" || name == "h") {
      a.values["help"] = "true";
      continue;
    }
    if (!spec) return base::invalid("unknown flag `" + s + "` for `" + context + "`");
    if (spec->takes_value) {
      if (!has_value) {
        if (i + 1 >= argv.size())
          return base::invalid("flag `--" + std::string(spec->name) + "` needs a value");
        value = argv[++i];
      }
    } else {
      if (has_value && value != "true" && value != "false")
        return base::invalid("flag `--" + std::string(spec->name) + "` takes no value, got `" +
                             value + "`");
      if (!has_value) value = "true";
      if (value == "false") continue;
    }
    a.values[spec->name] = value;
    a.all[spec->name].push_back(value);
  }
  return a;
}

void print_help(const Command& c) {
  printf("Usage: rune [global flags] %s %s\n\n%s\n", c.name, c.usage, c.summary);
  if (!c.flags.empty()) printf("\nFlags:\n");
  for (const auto& f : c.flags) {
    std::string n = std::string("--") + f.name;
    if (f.short_name) n = std::string("-") + f.short_name + ", " + n;
    if (f.takes_value) n += " value";
    printf("  %-28s %s\n", n.c_str(), f.help);
  }
}

void print_main_help() {
  printf(
      "rune: an OCI runtime for ordinary and (later) enclave containers, a drop-in for runc\n\n"
      "Usage: rune [global flags] <command> [flags] [args]\n\nCommands:\n");
  for (const auto& c : commands()) printf("  %-8s %s\n", c.name, c.summary);
  printf(
      "\nGlobal flags:\n"
      "  --root value          state directory (default: /run/rune)\n"
      "  --log value           log file (default: stderr)\n"
      "  --log-format value    text or json (default: text)\n"
      "  --debug               log debug messages\n"
      "  -v, --version         print the version\n"
      "  -h, --help            print this help\n");
}

int fail(const base::Error& e, const Globals& g) {
  std::string msg = e.what();
  base::log::error(msg);
  if (!g.log.empty()) fprintf(stderr, "rune: %s\n", msg.c_str());
  return 1;
}

int cmd_unsupported(const Args&, const Globals& g) {
  return fail(base::invalid("this command is not supported by this version of rune"), g);
}

}  // namespace rune
