#include "base/exit_code.h"

namespace base {

int exit_code(Category c, ExitStyle style) {
  if (style == ExitStyle::runc) return kExitFailure;
  switch (c) {
    case Category::invalid_argument:
    case Category::not_found:
    case Category::already_exists:
    case Category::permission_denied:
    case Category::unimplemented:
      return kExitUsage;
    case Category::failed_precondition:
    case Category::unavailable:
    case Category::internal:
    case Category::resource_exhausted:
    case Category::deadline_exceeded:
    case Category::cancelled:
      return kExitFailure;
  }
  return kExitFailure;
}

}  // namespace base
