// containerd-shim-rune-v2: containerd's shim v2 for Inclavare Containers (see docs/shim.md).
// Wiring only: the logic is in src/shim.
#include <cstdio>
#include <string>
#include <vector>

#include "shim/options.h"
#include "shim/shim.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = shim::parse_args(args);
  if (!parsed.ok()) {
    fprintf(stderr, "containerd-shim-rune-v2: %s\n", parsed.error().what().c_str());
    return 2;
  }
  const shim::ShimArgs& a = *parsed;
  if (a.help) {
    fputs(shim::usage().c_str(), stdout);
    return 0;
  }
  if (a.version) {
    printf("containerd-shim-rune-v2:\n  Version: %s\n", RUNE_VERSION);
    return 0;
  }
  if (a.action == "start") return shim::start_action(a);
  if (a.action == "delete") return shim::delete_action(a);
  fprintf(stderr,
          "containerd-shim-rune-v2: no action given (start or delete); containerd runs this\n");
  return 2;
}
