// The handler of ordinary containers: the init execs the workload when `rune start` writes to
// the exec fifo.
#pragma once

#include "runtime/handler.h"

namespace runtime {

class DefaultHandler final : public Handler {
 public:
  base::Status start(const Container& c) override;
  // runtime/exec.h
  base::Result<int> exec(const Container& c, const ExecOptions& o) override;
};

}  // namespace runtime
