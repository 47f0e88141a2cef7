#include "cli.h"

#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/exit_code.h"
#include "base/log.h"

namespace rune {

namespace {

using base::flags::Kind;
constexpr Kind kBool = Kind::boolean;
constexpr Kind kValue = Kind::value;

const std::vector<Flag> kCreateFlags = {
    {"bundle", 'b', kValue, "value",
     "path to the root of the bundle directory (default: current directory)"},
    {"console-socket", 0, kValue, "value",
     "unix socket to receive the pty master (needs process.terminal)"},
    {"pid-file", 0, kValue, "value", "file to write the container's init pid to"},
    {"no-pivot", 0, kBool, "", "do not use pivot_root to enter the rootfs (for ramdisks)"},
    {"no-new-keyring", 0, kBool, "",
     "keep the caller's session keyring (default: a new one, `_ses.<id>`)"},
    {"preserve-fds", 0, kValue, "value",
     "pass N extra file descriptors (3..3+N-1) to the container"},
};

std::vector<Flag> run_flags() {
  auto f = kCreateFlags;
  f.push_back({"detach", 'd', kBool, "", "detach from the container's process"});
  f.push_back({"keep", 0, kBool, "", "do not delete the container after it exits"});
  return f;
}

// Help of a command's flags and of the global flags: names padded to these widths.
constexpr int kCommandFlagWidth = 28;
constexpr int kGlobalFlagWidth = 21;

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
       {{"format", 'f', kValue, "value", "table or json"},
        {"quiet", 'q', kBool, "", "print only container ids"}},
       0,
       0,
       cmd_list},
      {"kill",
       "[flags] <container-id> [signal]",
       "send a signal (default SIGTERM) to a container",
       {{"all", 'a', kBool, "", "send the signal to every process of the container"}},
       1,
       2,
       cmd_kill},
      {"delete",
       "[flags] <container-id>",
       "delete a container and everything it holds",
       {{"force", 'f', kBool, "", "kill the container first if it is running"}},
       1,
       1,
       cmd_delete},
      {"spec",
       "[flags]",
       "write a config.json template",
       {{"bundle", 'b', kValue, "value", "directory to write config.json into"},
        {"rootless", 0, kBool, "",
         "a template for an unprivileged user (its uid and gid mapped to 0)"},
        {"enclave", 0, kBool, "", "template for an enclave container on the sim TEE"},
        {"pal", 0, kValue, "value",
         "host liberpal-sim.so to bind-mount (default: the one installed with rune)"}},
       0,
       0,
       cmd_spec},
      {"events",
       "[flags] <container-id>",
       "print the container's resource usage (and OOM kills) as runc's events",
       {{"interval", 0, kValue, "value", "time between stats events (default 5s)"},
        {"stats", 0, kBool, "", "print the stats once and exit"}},
       1,
       1,
       cmd_events},
      {"exec",
       "[flags] <container-id> <command> [args...]",
       "run a further process in a running container (enclave containers: in their runtime, "
       "PAL API v2+)",
       {{"console-socket", 0, kValue, "value",
         "unix socket to receive the pty master (with --tty)"},
        {"cwd", 0, kValue, "value", "current working directory in the container"},
        {"env", 'e', kValue, "value", "set an environment variable KEY=VALUE (repeatable)"},
        {"tty", 't', kBool, "", "allocate a pseudo-TTY"},
        {"user", 'u', kValue, "value", "UID (format: <uid>[:<gid>])"},
        {"additional-gids", 'g', kValue, "value", "additional gid (repeatable)"},
        {"process", 'p', kValue, "value",
         "path to the process.json (runtime-spec `process`); the flags that set the process "
         "are then ignored"},
        {"detach", 'd', kBool, "", "detach from the process (return once it runs)"},
        {"pid-file", 0, kValue, "value", "file to write the process's pid to"},
        {"process-label", 0, kValue, "value",
         "SELinux label of the process (refused: no LSM is enabled)"},
        {"apparmor", 0, kValue, "value",
         "AppArmor profile of the process (refused: no LSM is enabled)"},
        {"no-new-privs", 0, kBool, "", "set no_new_privs for the process"},
        {"cap", 'c', kValue, "value", "add a capability to the bounding set (repeatable)"},
        {"preserve-fds", 0, kValue, "value",
         "pass N extra file descriptors (3..3+N-1) to the process"},
        {"cgroup", 0, kValue, "value",
         "run in a sub-cgroup: <path>, or <controller>[,<controller>]:<path> (repeatable)"},
        {"ignore-paused", 0, kBool, "", "allow exec in a paused container"}},
       1,
       ~size_t{0},
       cmd_exec,
       true},
      {"attest",
       "[flags] <container-id>",
       "print evidence of an enclave container (PAL API v3), bound to a nonce, as JSON; with "
       "--report, its runtime's local report",
       {{"nonce", 0, kValue, "hex", "the nonce to bind (1 to 64 bytes; default: 32 random bytes)"},
        {"no-nonce", 0, kBool, "", "bind no nonce (runtimes that cannot)"},
        {"output", 'o', kValue, "value",
         "also write the raw evidence (with --report: the 432-byte report) to this file"},
        {"aesm-socket", 0, kValue, "path", "quote through aesmd at this socket"},
        {"sim-state-dir", 0, kValue, "dir", "the sim TEE's state (sim containers)"},
        {"report", 0, kBool, "", "print the runtime's local report (pal_get_local_report) instead"},
        {"target-info", 0, kValue, "value",
         "with --report: SGX TARGETINFO (512 bytes) to make the report for (default: the sim "
         "quoting target)"}},
       1,
       1,
       cmd_attest},
      {"ps",
       "[flags] <container-id> [ps options]",
       "list the processes of a container (`ps -ef` unless options are given)",
       {{"format", 'f', kValue, "value", "table or json (json: the pids)"}},
       1,
       ~size_t{0},
       cmd_ps,
       true},
      {"pause", "<container-id>", "suspend every process of a container", {}, 1, 1, cmd_pause},
      {"resume",
       "<container-id>",
       "resume the processes of a paused container",
       {},
       1,
       1,
       cmd_resume},
      {"update",
       "[flags] <container-id>",
       "change the resource limits of a running container",
       {{"resources", 'r', kValue, "value",
         "JSON file of linux.resources to apply (`-` reads standard input)"},
        {"blkio-weight", 0, kValue, "value", "block I/O weight, 10 to 1000"},
        {"cpu-period", 0, kValue, "value", "CPU CFS period in microseconds"},
        {"cpu-quota", 0, kValue, "value", "CPU CFS quota in microseconds"},
        {"cpu-share", 0, kValue, "value", "CPU shares (relative weight)"},
        {"cpu-rt-period", 0, kValue, "value", "CPU real-time period in microseconds"},
        {"cpu-rt-runtime", 0, kValue, "value", "CPU real-time runtime in microseconds"},
        {"cpuset-cpus", 0, kValue, "value", "CPUs to run on (0-3, 0,1)"},
        {"cpuset-mems", 0, kValue, "value", "memory nodes to use (0-3, 0,1)"},
        {"kernel-memory", 0, kValue, "value",
         "accepted for runc compatibility; ignored with a warning"},
        {"kernel-memory-tcp", 0, kValue, "value",
         "accepted for runc compatibility; ignored with a warning"},
        {"memory", 0, kValue, "value", "memory limit (32m, 1g, -1 for none)"},
        {"memory-reservation", 0, kValue, "value", "memory soft limit"},
        {"memory-swap", 0, kValue, "value", "memory plus swap limit (-1 for none)"},
        {"pids-limit", 0, kValue, "value", "maximum number of processes (-1 for none)"},
        {"l3-cache-schema", 0, kValue, "value", "Intel RDT (not supported by this version)"},
        {"mem-bw-schema", 0, kValue, "value", "Intel RDT (not supported by this version)"}},
       1,
       1,
       cmd_update},
      {"features",
       "",
       "print what this build supports (runtime-spec features JSON)",
       {},
       0,
       0,
       cmd_features},
  };
  return cmds;
}

const std::vector<Flag>& global_flags() {
  static const std::vector<Flag> flags = {
      {"root", 0, kValue, "value", "state directory (default: /run/rune)"},
      {"log", 0, kValue, "value", "log file (default: stderr)"},
      {"log-format", 0, kValue, "value", "text or json (default: text)"},
      {"debug", 0, kBool, "", "log debug messages"},
      {"systemd-cgroup", 0, kBool, "",
       "make the cgroups a systemd scope (cgroupsPath \"slice:prefix:name\", e.g. "
       "\"system.slice:rune:1234\")"},
      {"epm-socket", 0, kValue, "value",
       "epm's take socket, for pre-built enclaves (default: /run/epm/take.sock; \"\": off)"},
      {"epm-timeout", 0, kValue, "value",
       "milliseconds the exchange with epm may take at create (default: 50)"},
      {"rootless", 0, kValue, "value", "", true},
      {"criu", 0, kValue, "value", "", true},
      {"version", 'v', kBool, "", "print the version"},
      {"help", 'h', kBool, "", "print this help"},
  };
  return flags;
}

void print_help(const Command& c) {
  printf("Usage: rune [global flags] %s %s\n\n%s\n", c.name, c.usage, c.summary);
  if (!c.flags.empty())
    printf("\nFlags:\n%s", base::flags::help_lines(c.flags, kCommandFlagWidth).c_str());
}

void print_main_help() {
  printf(
      "rune: an OCI runtime for ordinary and enclave containers, a drop-in for runc\n\n"
      "Usage: rune [global flags] <command> [flags] [args]\n\nCommands:\n");
  for (const auto& c : commands()) printf("  %-8s %s\n", c.name, c.summary);
  printf("\nGlobal flags:\n%s", base::flags::help_lines(global_flags(), kGlobalFlagWidth).c_str());
}

int fail(const base::Error& e, const Globals& g) {
  // One line of at most 4 KiB, whatever the input it names.
  std::string msg = base::clip(e.what(), 4096);
  base::log::error(msg);
  if (!g.log.empty()) fprintf(stderr, "rune: %s\n", msg.c_str());
  return base::exit_code(e, base::ExitStyle::runc);
}

base::Result<std::string> installed_file(const std::string& name) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::vector<std::string> candidates = {RUNE_INSTALL_PAL_DIR "/" + name};
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    dir = dir.substr(0, dir.find_last_of('/'));
    candidates.push_back(dir + "/../lib/inclavare-containers/" + name);
    candidates.push_back(dir + "/../lib64/inclavare-containers/" + name);
  }
  candidates.push_back(RUNE_BUILD_PAL_DIR "/" + name);
  for (const auto& c : candidates) {
    char real[PATH_MAX];
    if (realpath(c.c_str(), real)) return std::string(real);
  }
  return base::Error(base::Category::not_found,
                     "no " + name + " installed with this rune (looked in " + candidates.front() +
                         " and " + candidates.back() + ")",
                     ENOENT);
}

}  // namespace rune
