#include "shim/runtime.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json_reader.h"
#include "base/words.h"

namespace shim {

base::Result<Output> Runtime::run(const std::vector<std::string>& args, Command cmd) const {
  cmd.argv = {path, "--root", root, "--log", log, "--log-format", "json"};
  if (systemd_cgroup) cmd.argv.push_back("--systemd-cgroup");
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  return shim::run(cmd);
}

base::Result<Output> Runtime::check(const std::vector<std::string>& args, Command cmd) const {
  // Only what this call logs: the file keeps every call's lines.
  struct stat st;
  off_t before = stat(log.c_str(), &st) == 0 ? st.st_size : 0;
  ASSIGN_OR_RETURN(Output o, run(args, cmd));
  if (o.status == 0) return o;
  std::string msg;
  auto logged = base::read_file(log);
  if (logged.ok() && logged->size() > size_t(before))
    msg = last_logged_error(logged->substr(size_t(before)));
  if (msg.empty()) {
    msg = o.err;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  }
  if (msg.empty()) msg = "exit status " + std::to_string(o.status);
  std::string name = path.substr(path.rfind('/') + 1);
  return base::Error(base::Category::unavailable,
                     "`" + name + " " + (args.empty() ? "" : args[0]) + "` failed: " + msg);
}

std::string last_logged_error(const std::string& lines) {
  std::string last;
  for (const auto& line : base::split_lines(lines)) {
    auto j = base::Json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    auto level = j.find("level"), msg = j.find("msg");
    if (level == j.end() || msg == j.end() || !level->is_string() || !msg->is_string()) continue;
    if (*level == "error" || *level == "fatal") last = msg->get<std::string>();
  }
  return last;
}

base::Result<std::string> resolve_runtime(const std::string& name, const std::string& what) {
  if (name.empty()) return base::invalid(what + " is empty");
  if (name.find('/') != std::string::npos) {
    std::string p = name;
    if (p[0] != '/') {
      char cwd[4096];
      if (!getcwd(cwd, sizeof cwd)) return base::sys_error("getcwd");
      p = std::string(cwd) + "/" + p;
    }
    if (access(p.c_str(), X_OK) != 0)
      return base::Error(base::Category::failed_precondition,
                         what + ": `" + name + "` is not an executable file", errno);
    return p;
  }
  const char* path = getenv("PATH");
  for (const auto& dir : base::split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    std::string p = std::string(dir) + "/" + name;
    struct stat st;
    if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0) return p;
  }
  return base::Error(base::Category::failed_precondition,
                     what + ": `" + name + "` is not found on PATH");
}

}  // namespace shim
