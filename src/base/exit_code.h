// The one mapping from an Error's category to a program's exit status, used by every cmd/
// (docs/architecture.md has the table). Two styles, because rune must exit as runc does.
#pragma once

#include "base/error.h"

namespace base {

inline constexpr int kExitOk = 0;
// The operation ran and failed or said no: evidence not trusted, a peer refused, a system call
// failed. Also every error of a runc-style program.
inline constexpr int kExitFailure = 1;
// Bad usage or unusable input: an unknown flag, a missing or malformed file, a name that is
// not known, something this version does not do.
inline constexpr int kExitUsage = 2;

enum class ExitStyle {
  runc,  // rune: every error exits 1, as runc 1.1 does; engines and containerd rely on it
  tool,  // shelter, rats-tls-*, and the services' CLIs: kExitUsage or kExitFailure by category
};

int exit_code(Category c, ExitStyle style);
inline int exit_code(const Error& e, ExitStyle style) {
  return exit_code(e.category(), style);
}

}  // namespace base
