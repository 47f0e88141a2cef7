#include "linux/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>

#include "base/file.h"
#include "base/words.h"
#include "linux/device_filter.h"
#include "linux/devices.h"

namespace kernel {

using base::Result;
using base::Status;

bool Hierarchy::has(const std::string& controller) const {
  size_t i = 0;
  while (i <= controllers.size()) {
    size_t j = controllers.find(',', i);
    if (j == std::string::npos) j = controllers.size();
    if (controllers.compare(i, j - i, controller) == 0) return true;
    i = j + 1;
  }
  return false;
}

std::vector<Hierarchy> parse_hierarchies(const std::string& mountinfo) {
  static const char* kKnown[] = {"cpuset",  "cpu",     "cpuacct", "memory",     "devices",
                                 "freezer", "net_cls", "blkio",   "perf_event", "net_prio",
                                 "hugetlb", "pids",    "rdma",    "misc"};
  std::vector<Hierarchy> out;
  for (std::string_view line : base::split_lines(mountinfo)) {
    auto dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    auto pre = base::split_words(line.substr(0, dash)),
         post = base::split_words(line.substr(dash + 3));
    // id parent devno root mountpoint ... - fstype source superopts
    std::string_view mountpoint = pre.size() > 4 ? pre[4] : "";
    std::string_view fstype = post.size() > 0 ? post[0] : "";
    std::string superopts(post.size() > 2 ? post[2] : "");
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Hierarchy h;
    h.mountpoint = mountpoint;
    h.v2 = fstype == "cgroup2";
    if (!h.v2) {
      std::string ctl;
      size_t i = 0;
      while (i <= superopts.size()) {
        size_t j = superopts.find(',', i);
        if (j == std::string::npos) j = superopts.size();
        std::string o = superopts.substr(i, j - i);
        bool known = o.rfind("name=", 0) == 0;
        for (const char* k : kKnown) known = known || o == k;
        if (known) ctl += (ctl.empty() ? "" : ",") + o;
        i = j + 1;
      }
      h.controllers = ctl;
    }
    bool dup = false;  // the same hierarchy mounted twice: use the first mount
    for (const auto& e : out) dup = dup || (e.v2 == h.v2 && e.controllers == h.controllers);
    if (!dup) out.push_back(std::move(h));
  }
  return out;
}

std::vector<Hierarchy> discover_hierarchies() {
  auto text = base::read_file("/proc/self/mountinfo", 4 << 20);
  return text.ok() ? parse_hierarchies(*text) : std::vector<Hierarchy>{};
}

// A process's cgroup in hierarchy `h`, from its /proc/<pid>/cgroup text.
static std::string own_cgroup(const std::string& proc_cgroup, const Hierarchy& h) {
  for (std::string_view line : base::split_lines(proc_cgroup)) {
    auto a = line.find(':');
    if (a == std::string_view::npos) continue;
    auto b = line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view ctl = line.substr(a + 1, b - a - 1);
    if ((h.v2 && line.substr(0, a) == "0" && ctl.empty()) || (!h.v2 && ctl == h.controllers))
      return std::string(line.substr(b + 1));
  }
  return "/";
}

CgroupSet cgroup_set_of_pid(pid_t pid) {
  CgroupSet cg;
  auto text = base::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text.ok()) return cg;
  for (const auto& h : discover_hierarchies()) {
    cg.hierarchies.push_back(h);
    cg.dirs.push_back(base::path_join(h.mountpoint, own_cgroup(*text, h)));
  }
  return cg;
}

CgroupSet cgroup_set_of(const std::vector<std::string>& dirs) {
  CgroupSet cg;
  std::vector<Hierarchy> all = discover_hierarchies();
  for (const auto& d : dirs) {
    for (const auto& h : all) {
      if (d.size() > h.mountpoint.size() && d.compare(0, h.mountpoint.size(), h.mountpoint) == 0 &&
          d[h.mountpoint.size()] == '/') {
        cg.hierarchies.push_back(h);
        cg.dirs.push_back(d);
        break;
      }
    }
  }
  return cg;
}

void keep_delegated(CgroupSet& cg) {
  CgroupSet kept;
  for (size_t i = 0; i < cg.dirs.size(); ++i) {
    std::string parent = cg.dirs[i].substr(0, cg.dirs[i].rfind('/'));
    if (access(parent.c_str(), W_OK) != 0) continue;
    kept.hierarchies.push_back(cg.hierarchies[i]);
    kept.dirs.push_back(cg.dirs[i]);
  }
  cg = std::move(kept);
}

Result<CgroupSet> sub_cgroups(const CgroupSet& cg, const std::vector<std::string>& specs) {
  std::map<std::string, std::string> paths;  // controller ("" = every hierarchy) -> sub path
  for (const auto& spec : specs) {
    const std::string what = "`--cgroup`: `" + spec + "`";
    size_t colon = spec.find(':');
    std::string path = colon == std::string::npos ? spec : spec.substr(colon + 1);
    if (path.find(':') != std::string::npos) return base::invalid(what + " has more than one `:`");
    if (path.empty() || path[0] == '/' || ("/" + path + "/").find("/../") != std::string::npos)
      return base::invalid(what +
                           ": the path must be relative to the container's cgroup and "
                           "stay below it");
    if (colon == std::string::npos) {
      if (specs.size() != 1)
        return base::invalid(what +
                             " has no `CONTROLLER:` prefix, which only a single "
                             "`--cgroup` may leave out");
      paths[""] = path;
      continue;
    }
    std::string ctrls = spec.substr(0, colon);
    for (size_t at = 0; at <= ctrls.size();) {
      size_t comma = std::min(ctrls.find(',', at), ctrls.size());
      std::string c = ctrls.substr(at, comma - at);
      if (c.empty()) return base::invalid(what + " names an empty controller");
      if (!paths.emplace(c, path).second)
        return base::invalid("`--cgroup`: controller `" + c + "` is given more than once");
      at = comma + 1;
    }
  }
  CgroupSet out = cg;
  for (const auto& [ctrl, path] : paths) {
    bool used = false;
    for (size_t i = 0; i < out.hierarchies.size(); ++i) {
      const Hierarchy& h = out.hierarchies[i];
      if (!(ctrl.empty() || (!h.v2 && h.has(ctrl)))) continue;
      used = true;
      std::string dir = cg.dirs[i] + "/" + path;
      struct stat st;
      int err = stat(dir.c_str(), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
      if (err)
        return base::sys_error("`--cgroup`: no sub-cgroup `" + path + "` (`" + dir + "`)", err);
      out.dirs[i] = dir;
    }
    if (!used)
      return base::invalid("`--cgroup`: the container has no v1 `" + ctrl +
                           "` hierarchy (cgroup v2 takes a path without a controller)");
  }
  return out;
}

Result<CgroupSet> plan_cgroups(const std::string& cgroups_path, const std::string& id) {
  CgroupSet cg;
  cg.hierarchies = discover_hierarchies();
  std::string rel = cgroups_path.empty() ? "/" + id : cgroups_path;
  std::string proc_cgroup;
  if (rel[0] != '/') {
    auto t = base::read_file("/proc/self/cgroup");
    if (!t.ok()) return std::move(t).error();
    proc_cgroup = *t;
  }
  for (const auto& h : cg.hierarchies) {
    std::string inner = rel[0] == '/' ? rel : base::path_join(own_cgroup(proc_cgroup, h), rel);
    inner = base::clean_path(inner);
    if (inner == "/")
      return base::invalid("`linux.cgroupsPath`: `" + cgroups_path +
                           "` names the root cgroup; a container needs its own");
    cg.dirs.push_back(base::path_join(h.mountpoint, inner));
  }
  return cg;
}

Result<CgroupSet> plan_systemd_cgroups(const std::string& rel) {
  CgroupSet cg;
  cg.hierarchies = discover_hierarchies();
  auto t = base::read_file("/proc/1/cgroup");
  if (!t.ok()) return std::move(t).error();
  for (const auto& h : cg.hierarchies) {
    std::string init = base::clean_path(own_cgroup(*t, h));
    const std::string scope = "init.scope";
    if (init.size() >= scope.size() &&
        init.compare(init.size() - scope.size(), scope.size(), scope) == 0)
      init.erase(init.size() - scope.size());
    std::string inner = base::clean_path(base::path_join(init, rel));
    if (inner == "/") return base::invalid("`linux.cgroupsPath`: names the root cgroup");
    cg.dirs.push_back(base::path_join(h.mountpoint, inner));
  }
  return cg;
}

// Copies cpuset.cpus and cpuset.mems from the parent when empty: a v1 cpuset cgroup takes no
// task until both are set.
static Status init_cpuset(const std::string& dir) {
  for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
    std::string path = dir + "/" + f;
    auto cur = base::read_file(path);
    if (!cur.ok()) return std::move(cur).error();
    if (cur->find_first_not_of(" \n") != std::string::npos) continue;
    auto parent = base::read_file(dir.substr(0, dir.find_last_of('/')) + "/" + f);
    if (!parent.ok()) return std::move(parent).error();
    TRY(base::write_file(path, *parent));
  }
  return base::ok();
}

static Status mkdir_cgroup(const Hierarchy& h, const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) == 0) {
    if (!h.v2 && h.has("cpuset")) TRY(init_cpuset(dir));
    return base::ok();
  }
  if (errno == EEXIST) return base::ok();
  if (errno != ENOENT) return base::sys_error("create cgroup `" + dir + "`");
  std::string parent = dir.substr(0, dir.find_last_of('/'));
  if (parent.size() <= h.mountpoint.size())
    return base::sys_error("create cgroup `" + dir + "`", ENOENT);
  TRY(mkdir_cgroup(h, parent));
  return mkdir_cgroup(h, dir);
}

Status create_cgroups(const CgroupSet& cg) {
  for (size_t i = 0; i < cg.dirs.size(); ++i) TRY(mkdir_cgroup(cg.hierarchies[i], cg.dirs[i]));
  return base::ok();
}

bool has_v1_controller(const CgroupSet& cg, const std::string& controller) {
  for (const auto& h : cg.hierarchies)
    if (!h.v2 && h.has(controller)) return true;
  return false;
}

DeviceControl device_control(const CgroupSet& cg) {
  if (has_v1_controller(cg, "devices")) return DeviceControl::v1;
  for (const auto& h : cg.hierarchies)
    if (h.v2) return DeviceControl::program;
  return DeviceControl::none;
}

Result<std::vector<bpf_insn>> device_program_for(const std::vector<oci::DeviceRule>& rules) {
  std::vector<oci::DeviceRule> all = container_device_rules(rules);
  std::vector<std::string> fields;
  for (size_t i = 0; i < all.size(); ++i)
    fields.push_back(i < rules.size()
                         ? "linux.resources.devices[" + std::to_string(i) + "]"
                         : "linux.resources.devices (the devices every container may use)");
  ASSIGN_OR_RETURN(DeviceRuleSet set, reduce_device_rules(all, fields));
  return device_filter_program(set);
}

Status apply_device_rules(const CgroupSet& cg, const std::vector<oci::DeviceRule>& rules) {
  if (rules.empty()) return base::ok();
  switch (device_control(cg)) {
    case DeviceControl::v1:
      for (size_t i = 0; i < cg.hierarchies.size(); ++i) {
        if (cg.hierarchies[i].v2 || !cg.hierarchies[i].has("devices")) continue;
        for (const auto& l : device_cgroup_lines(rules)) {
          std::string f = cg.dirs[i] + (l.allow ? "/devices.allow" : "/devices.deny");
          TRY_WRAP(base::write_file(f, l.rule), "`linux.resources.devices`: rule `" + l.rule + "`");
        }
      }
      return base::ok();
    case DeviceControl::program: {
      ASSIGN_OR_RETURN(std::vector<bpf_insn> program, device_program_for(rules));
      for (size_t i = 0; i < cg.hierarchies.size(); ++i)
        if (cg.hierarchies[i].v2)
          TRY_WRAP(attach_device_filter(cg.dirs[i], program), "`linux.resources.devices`");
      return base::ok();
    }
    case DeviceControl::none:
      break;
  }
  return base::ok();
}

namespace {

struct Freezer {
  std::string file;  // freezer.state (v1) or cgroup.freeze (v2)
  bool v2 = false;
};

std::optional<Freezer> find_freezer(const std::vector<std::string>& dirs) {
  for (const auto& d : dirs)
    if (base::path_exists(d + "/freezer.state")) return Freezer{d + "/freezer.state", false};
  for (const auto& d : dirs)
    if (base::path_exists(d + "/cgroup.freeze")) return Freezer{d + "/cgroup.freeze", true};
  return std::nullopt;
}

std::optional<bool> frozen(const Freezer& f) {
  if (!f.v2) {
    auto t = base::read_file(f.file);
    if (!t.ok()) return std::nullopt;
    return t->rfind("FROZEN", 0) == 0;
  }
  // cgroup.events says whether the freeze took effect ("frozen 1").
  std::string dir = f.file.substr(0, f.file.rfind('/'));
  auto t = base::read_file(dir + "/cgroup.events");
  if (!t.ok()) return std::nullopt;
  return t->find("frozen 1") != std::string::npos;
}

}  // namespace

std::optional<bool> cgroup_frozen(const std::vector<std::string>& dirs) {
  auto f = find_freezer(dirs);
  if (!f) return std::nullopt;
  return frozen(*f);
}

Status freeze_cgroup(const std::vector<std::string>& dirs, bool freeze) {
  auto f = find_freezer(dirs);
  if (!f) return base::Error(base::Category::unimplemented, "no freezer cgroup is mounted");
  std::string value = f->v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");
  // v1 may stay FREEZING while a task is in an uninterruptible sleep: write again and wait.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (attempt % 50 == 0) TRY_WRAP(base::write_file(f->file, value), "`" + f->file + "`");
    auto now = frozen(*f);
    if (now && *now == freeze) return base::ok();
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, nullptr);
  }
  return base::Error(base::Category::unavailable,
                     std::string("the cgroup did not become ") + (freeze ? "frozen" : "thawed") +
                         " within a second (`" + f->file + "`)",
                     EBUSY);
}

Status add_process(const CgroupSet& cg, pid_t pid) {
  std::string p = std::to_string(pid);
  for (const auto& d : cg.dirs) TRY(base::write_file(d + "/cgroup.procs", p));
  return base::ok();
}

Result<CgroupJoin> open_cgroup_join(const CgroupSet& cg) {
  CgroupJoin j;
  auto open_file = [](const std::string& path, int flags) -> Result<CgroupJoin::File> {
    CgroupJoin::File f{base::UniqueFd(open(path.c_str(), flags | O_CLOEXEC)), path};
    if (!f.fd.valid()) return base::sys_error("open `" + path + "`");
    return f;
  };
  for (size_t i = 0; i < cg.dirs.size(); ++i) {
    if (!cg.hierarchies[i].v2) {
      ASSIGN_OR_RETURN(CgroupJoin::File f, open_file(cg.dirs[i] + "/tasks", O_WRONLY));
      j.tasks.push_back(std::move(f));
    } else if (!j.v2_dir.valid()) {
      ASSIGN_OR_RETURN(CgroupJoin::File d, open_file(cg.dirs[i], O_RDONLY | O_DIRECTORY));
      j.v2_dir = std::move(d.fd);
      ASSIGN_OR_RETURN(j.v2_procs, open_file(cg.dirs[i] + "/cgroup.procs", O_WRONLY));
    }
  }
  return j;
}

Status join_cgroups_self(const CgroupJoin& j) {
  auto join = [](const CgroupJoin::File& f) -> Status {
    ssize_t n;
    do n = write(f.fd.get(), "0", 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) return base::sys_error("write `" + f.path + "`", n < 0 ? errno : EIO);
    return base::ok();
  };
  for (const auto& f : j.tasks) TRY(join(f));
  if (j.v2_procs.fd.valid() && !j.v2_in_clone) TRY(join(j.v2_procs));
  return base::ok();
}

std::vector<pid_t> cgroup_pids(const std::vector<std::string>& dirs) {
  std::vector<pid_t> pids;
  for (const auto& d : dirs) {
    auto t = base::read_file(d + "/cgroup.procs");
    if (!t.ok()) continue;
    for (std::string_view w : base::split_words(*t)) {
      pid_t p;
      auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), p);
      if (ec != std::errc()) break;
      pids.push_back(p);
      if (end != w.data() + w.size()) break;  // as `>>` would stop there
    }
    return pids;
  }
  return pids;
}

Status signal_cgroup(const std::vector<std::string>& dirs, int sig) {
  // SIGKILL through cgroup2's cgroup.kill (Linux 5.14): the kernel kills every member at once,
  // including those forked while the list below would be walked.
  if (sig == SIGKILL)
    for (const auto& d : dirs)
      if (base::path_exists(d + "/cgroup.kill") && base::write_file(d + "/cgroup.kill", "1").ok())
        return base::ok();
  for (pid_t p : cgroup_pids(dirs))
    if (kill(p, sig) != 0 && errno != ESRCH)
      return base::sys_error("send signal " + std::to_string(sig) + " to pid " + std::to_string(p));
  return base::ok();
}

namespace {

// The sub-cgroups below `dir` (made by the workload, or for `exec --cgroup`), deepest first, as
// runc removes them.
void remove_children(const std::string& dir) {
  for (const auto& name : base::list_dir(dir))
    if (struct stat st; lstat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      (void)remove_cgroups({dir + "/" + name});
}

}  // namespace

Status remove_cgroups(const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    for (int attempt = 0;; ++attempt) {
      if (rmdir(d.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY || attempt >= 200) return base::sys_error("remove cgroup `" + d + "`");
      if (attempt == 0) remove_children(d);
      if (attempt % 20 == 0) (void)signal_cgroup({d}, SIGKILL);
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
  }
  return base::ok();
}

}  // namespace kernel
