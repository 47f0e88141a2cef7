// rune-attest: rune attest's helper (src/eaa/rune_attest.h). Argument parsing only.
#include <cstdio>
#include <string>
#include <vector>

#include "eaa/rune_attest.h"

int main(int argc, char** argv) {
  auto o = eaa::parse_rune_attest_args(std::vector<std::string>(argv + 1, argv + argc));
  if (!o.ok()) {
    std::fprintf(stderr, "rune attest: %s\n", o.error().what().c_str());
    return 1;
  }
  return eaa::rune_attest(*o);
}
