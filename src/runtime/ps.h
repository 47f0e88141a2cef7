// `rune ps` in table form, as runc does it: ps's own output (`ps -ef` unless other options are
// given), its header and the lines whose PID column is one of the container's.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"

namespace runtime {

// Filters `ps_output` down to the header and the container's processes. An error when the
// header has no PID column (options such as `-o comm` leave it out).
base::Result<std::string> ps_table(const std::string& ps_output, const std::vector<pid_t>& pids);

}  // namespace runtime
