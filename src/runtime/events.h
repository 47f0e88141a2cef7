// `rune events`, as runc 1.1: `--stats` prints one stats event (runc's types/events.go shape);
// otherwise a stats event every interval and an `oom` event for each OOM kill in the container's
// memory cgroup, one JSON object a line, until the container stops.
#pragma once

#include <string>

#include "base/error.h"
#include "runtime/lifecycle.h"

namespace runtime {

base::Status events(Runtime& rt, const std::string& id, bool stats_once, int interval_ms,
                    int out_fd);

// A Go duration as runc's `--interval` takes it ("5s", "500ms", "1m30s"); milliseconds.
base::Result<int> parse_interval(const std::string& text);

}  // namespace runtime
