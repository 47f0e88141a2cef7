// A process's stdio as containerd hands it to a shim: three URIs. Empty -> /dev/null; a path or
// `fifo://path` -> a pipe per stream, given to the runtime, and a thread copying between the
// pipe and containerd's FIFO (a read end is held open on output FIFOs, so the container never
// gets EPIPE while the client is away). A logger in stdout takes stdout and stderr:
// `file:///path` appends both to the file; `binary:///path?k=v` starts `path k v` with only
// CONTAINER_ID and CONTAINER_NAMESPACE in its environment, the container's stdout on its fd 3,
// stderr on fd 4, and waits until it closes (or writes to) fd 5. Other schemes are refused
// naming them.
// With a terminal, the runtime gets a console socket (`--console-socket`, in a fresh directory
// under /tmp, as the runc shim makes it) instead of pipes; once the runtime command has returned,
// take_console() receives the pty master from it and copies the stdin FIFO to the pty and the
// pty to the stdout FIFO (stderr is the pty too).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace shim {

// binary:///path?k=v&k2=v2 (argv: path k v k2 v2) or file:///path.
struct Logger {
  std::string scheme, path;
  std::vector<std::string> args;
};
base::Result<Logger> parse_logger(const std::string& uri);

struct StdioPaths {
  std::string stdin, stdout, stderr;
  bool terminal = false;
};

class ProcessIO {
 public:
  // Pipes owned by `uid`/`gid` (the runc shim's IoUid/IoGid) when they are not 0.
  // `id` and `ns` are a binary logger's CONTAINER_ID and CONTAINER_NAMESPACE.
  static base::Result<std::unique_ptr<ProcessIO>> open(const StdioPaths& paths, uid_t uid,
                                                       gid_t gid, const std::string& id = "",
                                                       const std::string& ns = "");
  ~ProcessIO();

  // The container's ends, for the runtime command's stdio.
  int child_stdin() const { return child_[0].get(); }
  int child_stdout() const { return child_[1].get(); }
  int child_stderr() const { return child_[2].get(); }
  // After the runtime has passed them on: the shim must not hold the container's ends.
  void close_child_ends();
  // The console socket for `--console-socket`; empty without a terminal.
  const std::string& console_socket() const { return console_socket_; }
  // After the runtime command succeeded: receives the pty master (waiting up to `timeout_ms` for
  // the runtime's connection), removes the socket and starts the copies.
  base::Status take_console(int timeout_ms = 10000);
  // ResizePty: the pty's window size; nothing to do without a terminal (as the runc shim).
  base::Status resize(uint32_t width, uint32_t height);
  // CloseIO: the container's stdin sees EOF (what the client writes later is dropped).
  void close_stdin();
  // Waits up to `timeout_ms` until the output copies reached EOF (every writer closed).
  bool wait_copied(int timeout_ms);

 private:
  ProcessIO() = default;
  base::Status open_logger(const Logger& l, const std::string& id, const std::string& ns);
  base::Status open_console(const std::string& stdin_fifo, const std::string& stdout_fifo);
  base::Status start_stdin_copy(base::UniqueFd fifo, base::UniqueFd to);
  base::Status start_output_copy(base::UniqueFd from, base::UniqueFd fifo, base::UniqueFd held);
  base::UniqueFd child_[3];
  // Terminal: the listening console socket and its directory, the FIFOs until the master comes,
  // then the master (for resize).
  std::string console_dir_, console_socket_;
  base::UniqueFd console_listener_, console_stdin_, console_stdout_, console_held_, master_;
  base::UniqueFd stdin_cancel_;  // eventfd that ends the stdin copy
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    int copying = 0;  // output copies still running
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace shim
