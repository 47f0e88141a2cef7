// shelter: the off-cloud verifier CLI. Argument dispatch only; the work is in src/rats.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "verify.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: shelter COMMAND [OPTIONS]\n"
               "\n"
               "Commands:\n"
               "  verify   verify TEE evidence offline and print the verdict as JSON\n"
               "\n"
               "Run `shelter verify --help` for the options of verify.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    usage(stderr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    usage(stdout);
    return 0;
  }
  if (args[0] == "verify") {
    return shelter::verify_command(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::fprintf(stderr, "shelter: unknown command `%s`\n", args[0].c_str());
  usage(stderr);
  return 2;
}
