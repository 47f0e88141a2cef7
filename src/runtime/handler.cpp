#include "runtime/handler.h"

#include <signal.h>

#include "linux/cgroup.h"
#include "runtime/default_handler.h"
#include "runtime/enclave_handler.h"

namespace runtime {

base::Status Handler::prepare(const std::string&, const oci::Config&, const std::string&,
                              const PoolOptions&) {
  return base::ok();
}

void Handler::after_clone() {}

void Handler::serve_pool(const std::string&, std::string* answer, base::UniqueFd*) {
  *answer = R"({"pool":"off","reason":"not an enclave container"})";
}

void Handler::while_init_sets_up() {}

base::Status Handler::run_in_init(InitContext&) {
  return base::ok();
}

base::Status Handler::record(const std::string&, const oci::Config&, oci::ContainerState&) {
  return base::ok();
}

base::Error Handler::explain(base::Error e, const std::string&, int) {
  return e;
}

base::Status Handler::started(kernel::ParentChannel&) {
  return base::ok();
}

base::Status Handler::kill(const Container& c, int sig, bool all) {
  if (all) {
    // As runc: freeze, signal every process, thaw, so that none forks away in between.
    bool was_frozen = c.status == oci::Status::paused;
    bool froze = !was_frozen && kernel::freeze_cgroup(c.state.cgroup_dirs, true).ok();
    base::Status s = kernel::signal_cgroup(c.state.cgroup_dirs, sig);
    if (froze || (was_frozen && sig == SIGKILL))
      (void)kernel::freeze_cgroup(c.state.cgroup_dirs, false);
    return s;
  }
  if (::kill(c.state.pid, sig) != 0)
    return base::sys_error("send signal " + std::to_string(sig) + " to container `" + c.id + "`");
  return base::ok();
}

base::Result<std::vector<uint8_t>> Handler::attest(const Container& c,
                                                   const std::vector<uint8_t>&) {
  return base::Error(base::Category::failed_precondition,
                     "cannot attest container `" + c.id + "`: it is not an enclave container");
}

base::Result<std::unique_ptr<Handler>> choose_handler(oci::Config& config) {
  ASSIGN_OR_RETURN(auto enclave, make_enclave_handler(config));
  if (enclave) return enclave;
  return std::unique_ptr<Handler>(std::make_unique<DefaultHandler>());
}

std::unique_ptr<Handler> handler_of(const oci::ContainerState& st) {
  if (auto enclave = enclave_handler_of(st)) return enclave;
  return std::make_unique<DefaultHandler>();
}

}  // namespace runtime
