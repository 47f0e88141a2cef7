#include "runtime/events.h"

#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "base/file.h"
#include "base/json.h"
#include "linux/cgroup.h"
#include "linux/cgroup_stats.h"

namespace runtime {

namespace {

std::string event(const char* type, const std::string& id, const std::string& data = "") {
  std::string e = std::string("{\"type\":\"") + type + "\",\"id\":" + base::json_quote(id);
  if (!data.empty()) e += ",\"data\":" + data;
  return e + "}\n";  // one event a line
}

bool is_live(oci::Status s) {
  return s == oci::Status::running || s == oci::Status::created || s == oci::Status::paused;
}

}  // namespace

base::Result<int> parse_interval(const std::string& text) {
  const std::string what = "`--interval`: `" + text + "` is not a duration such as 5s or 500ms";
  if (text.empty()) return base::invalid(what);
  double total_ms = 0;
  const char* p = text.c_str();
  while (*p) {
    char* end;
    double v = std::strtod(p, &end);
    if (end == p || v < 0) return base::invalid(what);
    p = end;
    double unit;
    if (p[0] == 'n' && p[1] == 's')
      unit = 1e-6, p += 2;
    else if (p[0] == 'u' && p[1] == 's')
      unit = 1e-3, p += 2;
    else if (strncmp(p, "\xC2\xB5s", 3) == 0)
      unit = 1e-3, p += 3;  // "µs"
    else if (p[0] == 'm' && p[1] == 's')
      unit = 1, p += 2;
    else if (p[0] == 's')
      unit = 1000, p += 1;
    else if (p[0] == 'm')
      unit = 60000, p += 1;
    else if (p[0] == 'h')
      unit = 3600000, p += 1;
    else
      return base::invalid(what);
    total_ms += v * unit;
  }
  if (total_ms < 1 || total_ms > 86400000.0 * 365) return base::invalid(what);
  return static_cast<int>(total_ms);
}

base::Status events(Runtime& rt, const std::string& id, bool stats_once, int interval_ms,
                    int out_fd) {
  ASSIGN_OR_RETURN(Runtime::Info in, rt.info(id));
  if (!is_live(in.status))
    return base::Error(
        base::Category::failed_precondition,
        "container `" + id + "` is not running (" + oci::status_name(in.status) + ")");
  const kernel::CgroupSet cg = kernel::cgroup_set_of(in.state.cgroup_dirs);
  auto stats = [&]() -> base::Status {
    ASSIGN_OR_RETURN(std::string data, kernel::stats_json(cg));
    if (!base::write_all(out_fd, event("stats", id, data)))
      return base::sys_error("write the event");
    return base::ok();
  };
  if (stats_once) return stats();
  std::optional<kernel::OomWatch> oom;
  if (auto w = kernel::OomWatch::open(cg); w.ok()) oom = std::move(w).value();
  for (;;) {
    pollfd p = {oom ? oom->fd() : -1, POLLIN, 0};
    int r = poll(&p, 1, interval_ms);
    if (r < 0 && errno != EINTR) return base::sys_error("poll");
    auto now = rt.info(id);
    if (r > 0 && (p.revents & POLLIN)) {
      for (uint64_t n = oom->take(); n > 0; --n)
        if (!base::write_all(out_fd, event("oom", id))) return base::sys_error("write the event");
    }
    if (!now.ok() || !is_live(now->status)) return base::ok();  // the container has stopped
    if (r == 0) TRY(stats());
  }
}

}  // namespace runtime
