#include "eaa/containers.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/command.h"
#include "base/json_reader.h"

namespace eaa {

std::vector<std::string> RuneCommand::argv(const std::vector<std::string>& args) const {
  std::vector<std::string> v{rune};
  if (!root.empty()) v.insert(v.end(), {"--root", root});
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

bool ContainerInfo::opted_in() const {
  for (const auto& [k, _] : annotations)
    if (k.rfind(kAnnotationPrefix, 0) == 0) return true;
  return false;
}

base::Result<ContainerInfo> parse_state(const std::string& id, const std::string& json) {
  const std::string what = "`rune state " + id + "`";
  ASSIGN_OR_RETURN(base::Json j, base::parse_json(json, what));
  ContainerInfo c;
  try {
    c.id = j.at("id").get<std::string>();
    c.status = j.at("status").get<std::string>();
    c.pid = j.value("pid", 0);
    c.bundle = j.value("bundle", "");
    if (auto a = j.find("annotations"); a != j.end() && a->is_object())
      for (const auto& [k, v] : a->items())
        if (v.is_string()) c.annotations[k] = v.get<std::string>();
  } catch (const std::exception& e) {
    return base::invalid(what + " printed an unexpected state: " + e.what());
  }
  if (c.id != id) return base::invalid(what + " printed the state of `" + c.id + "`");
  return c;
}

base::Result<ContainerInfo> container_state(const RuneCommand& rune, const std::string& id) {
  ASSIGN_OR_RETURN(base::SpawnOutput r,
                   base::run_captured(rune.argv({"state", id}), 5000, rune.stop, 1 << 20));
  if (!r.exited_ok()) {
    const std::string said = r.said();
    if (said.find("does not exist") != std::string::npos ||
        said.find("not found") != std::string::npos)
      return base::Error(base::Category::not_found, "no container `" + id + "`");
    return base::Error(base::Category::unavailable,
                       "`rune state " + id + "` failed: " + base::clip(said, 300));
  }
  return parse_state(id, r.out);
}

bool ContainerHandle::alive() const {
  pollfd p = {pidfd.get(), POLLIN, 0};
  return poll(&p, 1, 0) == 0;  // a pidfd is readable once its process exited
}

base::Result<ContainerHandle> open_container(const RuneCommand& rune, const std::string& id) {
  ContainerHandle h;
  ASSIGN_OR_RETURN(h.info, container_state(rune, id));
  if (!h.info.opted_in())
    return base::Error(base::Category::permission_denied,
                       "container `" + id + "` has no `" + kAnnotationPrefix +
                           "*` annotation: it has not opted in to attestation");
  auto not_running = [&](const std::string& status) {
    return base::Error(base::Category::failed_precondition,
                       "container `" + id + "` is " + status + ", not running");
  };
  if (h.info.status != "running" || h.info.pid <= 0) return not_running(h.info.status);
  h.pidfd = base::UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, h.info.pid, 0)));
  if (!h.pidfd.valid()) return not_running("gone");
  // The pidfd was opened on whatever held the pid then. rune checks its init's identity (start
  // time) on every state: if it still says running with that pid, the init held it all along (a
  // newer process cannot take an older one's pid while that one lives).
  ASSIGN_OR_RETURN(ContainerInfo again, container_state(rune, id));
  if (again.status != "running" || again.pid != h.info.pid) return not_running(again.status);
  const std::string proc = "/proc/" + std::to_string(h.info.pid);
  h.proc = base::UniqueFd(open(proc.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  // /proc/PID opened while the pidfd's process lives is that process's directory.
  if (!h.proc.valid() || !h.alive()) return not_running("gone");
  return h;
}

}  // namespace eaa
