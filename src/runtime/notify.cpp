#include "runtime/notify.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "base/process.h"
#include "base/socket.h"

namespace runtime {

namespace {

constexpr const char* kDir = "notify";
constexpr const char* kInContainer = "/run/notify";

}  // namespace

std::string host_notify_socket() {
  const char* s = getenv("NOTIFY_SOCKET");
  return s ? s : "";
}

void add_notify_env(oci::Process& process) {
  oci::set_env(process.env, std::string("NOTIFY_SOCKET=") + kInContainer + "/notify.sock");
}

base::Result<oci::Mount> make_notify_dir(const std::string& state_dir) {
  std::string d = state_dir + "/" + kDir;
  if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return base::sys_error("create `" + d + "`");
  return oci::Mount{kInContainer, "bind", d, {"bind", "nosuid", "noexec", "nodev", "ro"}};
}

base::Result<base::UniqueFd> bind_notify(const std::string& state_dir) {
  std::string dir = state_dir + "/" + kDir;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return base::UniqueFd();
  std::string path = dir + "/notify.sock";
  sockaddr_un addr;
  ASSIGN_OR_RETURN(socklen_t len, base::unix_address(path, addr, "NOTIFY_SOCKET"));
  base::UniqueFd s(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return base::sys_error("NOTIFY_SOCKET: socket");
  unlink(path.c_str());
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return base::sys_error("NOTIFY_SOCKET: bind `" + path + "`");
  // Any user of the container may notify (runc: 0777).
  if (chmod(path.c_str(), 0777) != 0) return base::sys_error("NOTIFY_SOCKET: chmod `" + path + "`");
  return s;
}

base::Status relay_ready(int sock, const std::string& host_socket, pid_t pid, uint64_t pid_start) {
  char buf[4096];
  for (;;) {
    pollfd p = {sock, POLLIN, 0};
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) return base::sys_error("NOTIFY_SOCKET: poll");
    if (r <= 0) {
      if (!base::process_alive(pid, pid_start)) return base::ok();
      continue;
    }
    ssize_t n = recv(sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) continue;
    std::string msg(buf, static_cast<size_t>(n));
    for (size_t at = 0; at < msg.size();) {
      size_t nl = msg.find('\n', at);
      std::string line = msg.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      at = nl == std::string::npos ? msg.size() : nl + 1;
      if (line.rfind("READY=", 0) != 0) continue;
      sockaddr_un addr;
      ASSIGN_OR_RETURN(socklen_t len, base::unix_address(host_socket, addr, "NOTIFY_SOCKET"));
      base::UniqueFd out(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      std::string text = line + "\nMAINPID=" + std::to_string(pid) + "\n";
      if (!out.valid() || sendto(out.get(), text.data(), text.size(), MSG_NOSIGNAL,
                                 reinterpret_cast<sockaddr*>(&addr), len) < 0)
        return base::sys_error("NOTIFY_SOCKET: send READY to `" + host_socket + "`");
      return base::ok();
    }
  }
}

}  // namespace runtime
