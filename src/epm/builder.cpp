#include "epm/builder.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "base/build_id.h"
#include "base/encoding.h"
#include "base/sha256.h"
#include "base/socket.h"
#include "inclavare/pal.h"

namespace epm {
namespace {

bool send_text(int sock, const std::string& s, int fd = -1) {
  if (fd >= 0) {
    int fds[] = {fd};
    return base::send_with_fds(sock, s.data(), s.size(), fds) == static_cast<ssize_t>(s.size());
  }
  return send(sock, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

int child_fail(const std::string& what) {
  (void)send_text(kBuilderFd, "error " + what);
  return 1;
}

}  // namespace

base::Result<RuntimeFile> read_runtime_file(const std::string& path) {
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return base::sys_error("runtime `" + path + "`: open");
  uint8_t id[BUILD_ID_MAX];
  int n = build_id_of_file(fd.get(), id, sizeof id);
  if (n < 0)
    return base::Error(base::Category::invalid_argument,
                       "runtime `" + path + "`: " +
                           (n == -ENODATA   ? std::string("has no GNU build-id (link it with "
                                                            "-Wl,--build-id=sha1)")
                            : n == -ENOEXEC ? std::string("is not an ELF64 object")
                                            : std::string("read its build-id: ") + strerror(-n)),
                       -n);
  RuntimeFile f{path, base::hex_encode(id, static_cast<size_t>(n)), ""};
  sha256_ctx h;
  sha256_init(&h);
  std::vector<char> buf(1 << 16);
  off_t off = 0;
  for (;;) {
    ssize_t r = pread(fd.get(), buf.data(), buf.size(), off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return base::sys_error("runtime `" + path + "`: read");
    if (r == 0) break;
    sha256_update(&h, buf.data(), static_cast<size_t>(r));
    off += r;
  }
  uint8_t d[32];
  sha256_final(&h, d);
  f.sha256 = base::hex_encode(d, 32);
  return f;
}

base::Result<Spawned> spawn_builder(const std::string& self, const std::string& runtime,
                                    const std::string& build_id, const std::string& args) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return base::sys_error("builder: socketpair");
  Spawned s;
  s.sock.reset(sv[0]);
  base::UniqueFd child_end(sv[1]);
  // Everything the child needs, made before fork: after it only async-signal-safe calls.
  std::vector<std::string> argv_s = {"epm", "__build", runtime, build_id, args};
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return base::sys_error("builder: fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(1);
    const sched_param idle = {};
    sched_setscheduler(0, SCHED_IDLE, &idle);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (child_end.get() == kBuilderFd) {
      if (fcntl(kBuilderFd, F_SETFD, 0) != 0) _exit(1);
    } else if (dup2(child_end.get(), kBuilderFd) != kBuilderFd) {
      _exit(1);
    }
    static char* const no_env[] = {nullptr};
    execve(self.c_str(), argv.data(), no_env);
    _exit(127);
  }
  s.pid = pid;
  return s;
}

int builder_main(const std::string& runtime, const std::string& build_id, const std::string& args) {
  // Load what was checked: the file open here, its build-id read again from it.
  base::UniqueFd fd(open(runtime.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return child_fail("open `" + runtime + "`: " + strerror(errno));
  uint8_t id[BUILD_ID_MAX];
  int n = build_id_of_file(fd.get(), id, sizeof id);
  if (n < 0 || base::hex_encode(id, static_cast<size_t>(n)) != build_id)
    return child_fail("`" + runtime + "` changed: its build-id is no longer " + build_id);
  const std::string via = "/proc/self/fd/" + std::to_string(fd.get());
  void* h = dlopen(via.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    return child_fail("load `" + runtime + "`: " + (e ? e : "dlopen failed"));
  }
  auto prebuild = reinterpret_cast<pal_prebuild_fn>(dlsym(h, "pal_prebuild"));
  if (!prebuild) return child_fail("`" + runtime + "` does not export pal_prebuild");
  n = build_id_of_loaded(reinterpret_cast<const void*>(prebuild), id, sizeof id);
  if (n < 0 || base::hex_encode(id, static_cast<size_t>(n)) != build_id)
    return child_fail("the loaded `" + runtime + "` is not build-id " + build_id);

  char desc[PAL_PREBUILD_DESC_MAX] = "";
  int rc = prebuild(args.c_str(), nullptr, nullptr, desc, sizeof desc);
  if (rc == -ENOTSUP) return send_text(kBuilderFd, "enotsup") ? 0 : 1;
  if (rc != 0) return child_fail("pal_prebuild (describe) returned " + std::to_string(rc));
  desc[sizeof desc - 1] = '\0';
  if (!send_text(kBuilderFd, std::string("desc ") + desc)) return 1;

  char go[16];
  ssize_t r;
  do r = recv(kBuilderFd, go, sizeof go, 0);
  while (r < 0 && errno == EINTR);
  if (r != 5 || memcmp(go, "build", 5) != 0) return 0;  // stop, or epm is gone

  int entry = -1;
  uint64_t addr = 0;
  memset(desc, 0, sizeof desc);
  rc = prebuild(args.c_str(), &entry, &addr, desc, sizeof desc);
  if (rc != 0) return child_fail("pal_prebuild returned " + std::to_string(rc));
  desc[sizeof desc - 1] = '\0';
  bool sent = send_text(kBuilderFd, "entry " + std::to_string(addr) + " " + desc, entry);
  close(entry);
  return sent ? 0 : 1;
}

}  // namespace epm
