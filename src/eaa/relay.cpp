#include "eaa/relay.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "base/socket.h"

namespace eaa {

namespace {

int openat2_path(int dir, const std::string& path, uint64_t resolve) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how));
}

}  // namespace

base::Result<base::UniqueFd> connect_unix_in_root(int root, const std::string& path,
                                                  const std::string& what) {
  base::UniqueFd target(openat2_path(root, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
  if (!target.valid()) {
    int e = errno;
    // Say when a symlink is why: resolved in the root, one that points out of it names nothing.
    base::UniqueFd plain(openat2_path(root, path, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS));
    if (!plain.valid() && errno == ELOOP)
      return base::Error(base::Category::permission_denied,
                         what + ": `" + path +
                             "` is or passes through a symlink that does not lead to a socket "
                             "inside the container's root (" +
                             std::strerror(e) + ")");
    return base::sys_error(what + ": `" + path + "` inside the container's root", e);
  }
  struct stat st;
  if (fstat(target.get(), &st) != 0) return base::sys_error(what + ": stat `" + path + "`");
  if (!S_ISSOCK(st.st_mode))
    return base::Error(base::Category::failed_precondition,
                       what + ": `" + path + "` inside the container's root is not a socket");
  // connect(2) takes a path: the O_PATH fd's magic link names that very inode.
  return base::connect_unix("/proc/self/fd/" + std::to_string(target.get()), what);
}

base::Result<base::UniqueFd> connect_in_container(const ContainerHandle& c, const Address& a) {
  const std::string what = "`" + a.text + "` of container `" + c.info.id + "`";
  if (a.kind == Address::Kind::unix_socket) {
    base::UniqueFd root(openat(c.proc.get(), "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid() || !c.alive())
      return base::Error(base::Category::failed_precondition,
                         what + ": the container's init is gone");
    return connect_unix_in_root(root.get(), a.where, what);
  }
  base::UniqueFd ns(openat(c.proc.get(), "ns/net", O_RDONLY | O_CLOEXEC));
  if (!ns.valid() || !c.alive())
    return base::Error(base::Category::failed_precondition,
                       what + ": the container's init is gone");
  // A thread of its own enters the namespace; the socket stays in it after the thread ends.
  base::Result<base::UniqueFd> out = base::Error(base::Category::internal, "not run");
  std::thread t([&] {
    if (setns(ns.get(), CLONE_NEWNET) != 0) {
      out = base::sys_error(what + ": cannot enter the container's network namespace");
      return;
    }
    out = connect_to(a);
  });
  t.join();
  if (!out.ok()) return std::move(out).error().wrap("container `" + c.info.id + "`");
  return out;
}

namespace {

constexpr size_t kChunk = 256 << 10;

struct Direction {
  int from, to;
  std::unique_ptr<char[]> buf{new char[kChunk]};  // not zeroed: a read fills what it uses
  size_t len = 0;                                 // bytes in buf
  size_t off = 0;                                 // of them, written
  bool eof = false;                               // read side ended
  bool done = false;  // and all of it written, the other side shut for writing
  uint64_t moved = 0;
};

}  // namespace

RelayStats relay(int a, int b, std::string_view a_pending, int idle_ms,
                 const std::atomic<bool>* stop, int watch) {
  for (int fd : {a, b}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  Direction d[2] = {{a, b}, {b, a}};
  // Bytes already read from a go first (at most a preamble's worth: they fit).
  d[0].len = std::min(a_pending.size(), kChunk);
  if (d[0].len > 0) memcpy(d[0].buf.get(), a_pending.data(), d[0].len);
  RelayStats st;
  int64_t last = base::monotonic_ms();
  while (!(d[0].done && d[1].done)) {
    if (stop != nullptr && stop->load()) {
      st.ended = "stopped";
      break;
    }
    pollfd p[5];
    int n = 0;
    int idx[2][2] = {{-1, -1}, {-1, -1}};  // per direction: read slot, write slot
    for (int i = 0; i < 2; ++i) {
      if (d[i].done) continue;
      if (d[i].off < d[i].len) {
        idx[i][1] = n;
        p[n++] = {d[i].to, POLLOUT, 0};
      } else if (!d[i].eof) {
        idx[i][0] = n;
        p[n++] = {d[i].from, POLLIN, 0};
      }
    }
    int w = -1;
    if (watch >= 0) {
      w = n;
      p[n++] = {watch, POLLIN, 0};
    }
    int64_t left = idle_ms - (base::monotonic_ms() - last);
    if (left <= 0) {
      st.ended = "idle for " + std::to_string(idle_ms / 1000) + " s";
      break;
    }
    int r = poll(p, n, static_cast<int>(std::min<int64_t>(left, stop ? 200 : left)));
    if (r < 0) {
      if (errno == EINTR) continue;
      st.ended = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (w >= 0 && p[w].revents != 0) {
      st.ended = "the container's init exited";
      break;
    }
    bool failed = false;
    for (int i = 0; i < 2 && !failed; ++i) {
      Direction& x = d[i];
      if (idx[i][0] >= 0 && p[idx[i][0]].revents != 0) {
        ssize_t got = read(x.from, x.buf.get(), kChunk);
        if (got > 0) {
          x.len = static_cast<size_t>(got);
          x.off = 0;
          last = base::monotonic_ms();
        } else {
          x.len = x.off = 0;
          if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
          if (got < 0 && errno != ECONNRESET) {
            st.ended = std::string("read: ") + std::strerror(errno);
            failed = true;
            break;
          }
          x.eof = true;  // EOF or a reset: pass the end on
        }
      }
      if (x.off < x.len && (idx[i][1] < 0 || p[idx[i][1]].revents != 0 || idx[i][0] >= 0)) {
        ssize_t put = write(x.to, x.buf.get() + x.off, x.len - x.off);
        if (put > 0) {
          x.off += static_cast<size_t>(put);
          x.moved += static_cast<uint64_t>(put);
          last = base::monotonic_ms();
        } else if (put < 0 && errno != EAGAIN && errno != EINTR) {
          st.ended = std::string("write: ") + std::strerror(errno);
          failed = true;
          break;
        }
      }
      if (x.eof && x.off >= x.len && !x.done) {
        shutdown(x.to, SHUT_WR);
        x.done = true;
      }
    }
    if (failed) break;
  }
  if (st.ended.empty()) st.ended = "closed";
  st.to_b = d[0].moved;
  st.to_a = d[1].moved;
  return st;
}

}  // namespace eaa
