// A process's stdio as containerd hands it to a shim: three URIs. Empty (all three) -> /dev/null;
// a path or `fifo://path` -> a pipe per stream, given to the runtime, and a thread copying between
// the pipe and containerd's FIFO (a read end is held open on output FIFOs, so the container never
// gets EPIPE while the client is away). `binary://` and `file://` are part 1b (Unimplemented);
// other schemes are refused naming them.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace shim {

struct StdioPaths {
  std::string stdin, stdout, stderr;
  bool terminal = false;
};

class ProcessIO {
 public:
  // Pipes owned by `uid`/`gid` (the runc shim's IoUid/IoGid) when they are not 0.
  static base::Result<std::unique_ptr<ProcessIO>> open(const StdioPaths& paths, uid_t uid,
                                                       gid_t gid);
  ~ProcessIO();

  // The container's ends, for the runtime command's stdio.
  int child_stdin() const { return child_[0].get(); }
  int child_stdout() const { return child_[1].get(); }
  int child_stderr() const { return child_[2].get(); }
  // After the runtime has passed them on: the shim must not hold the container's ends.
  void close_child_ends();
  // CloseIO: the container's stdin sees EOF (what the client writes later is dropped).
  void close_stdin();
  // Waits up to `timeout_ms` until the output copies reached EOF (every writer closed).
  bool wait_copied(int timeout_ms);

 private:
  ProcessIO() = default;
  base::UniqueFd child_[3];
  base::UniqueFd stdin_cancel_;  // eventfd that ends the stdin copy
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    int copying = 0;  // output copies still running
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace shim
