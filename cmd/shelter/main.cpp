// shelter: the off-cloud verifier CLI. Argument dispatch only; the work is in src/rats.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "attest.h"
#include "base/exit_code.h"
#include "base/flags.h"
#include "verify.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: shelter COMMAND [OPTIONS]\n"
               "\n"
               "Commands:\n"
               "  verify   verify TEE evidence offline and print the verdict as JSON\n"
               "  attest   attest a workload over the network (EAA) and print the verdict\n"
               "\n"
               "Run `shelter verify --help` for the options of verify.\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  // No global flags but -h/--help; the command's own flags follow its name.
  auto a = base::flags::parse({}, args, base::flags::Order::flags_first, "shelter");
  if (!a.ok()) {
    std::fprintf(stderr, "shelter: %s\n", a.error().message().c_str());
    usage(stderr);
    return base::exit_code(a.error(), base::ExitStyle::tool);
  }
  if (a->help || (!a->positional.empty() && a->positional[0] == "help")) {
    usage(stdout);
    return base::kExitOk;
  }
  if (a->positional.empty()) {
    usage(stderr);
    return base::kExitUsage;
  }
  const std::string& command = a->positional[0];
  if (command == "attest") {
    return shelter::attest_command(
        std::vector<std::string>(a->positional.begin() + 1, a->positional.end()));
  }
  if (command == "verify") {
    return shelter::verify_command(
        std::vector<std::string>(a->positional.begin() + 1, a->positional.end()));
  }
  std::fprintf(stderr, "shelter: unknown command `%s`\n", command.c_str());
  usage(stderr);
  return base::kExitUsage;
}
