#include "runtime/default_handler.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/fd.h"
#include "runtime/exec.h"

namespace runtime {

base::Status DefaultHandler::start(const Container& c) {
  base::UniqueFd fd(open(c.fifo_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENXIO || errno == ENOENT)
      return base::Error(base::Category::failed_precondition,
                         "cannot start container `" + c.id + "`: its init process is gone");
    return base::sys_error("open `" + c.fifo_path + "`");
  }
  if (write(fd.get(), "0", 1) != 1) return base::sys_error("write `" + c.fifo_path + "`");
  unlink(c.fifo_path.c_str());
  return base::ok();
}

base::Result<int> DefaultHandler::exec(const Container& c, const ExecOptions& o) {
  return exec_in_container(c, o, seccomp_cache_of(c));
}

}  // namespace runtime
