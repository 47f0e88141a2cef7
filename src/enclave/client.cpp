#include "enclave/client.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/process.h"
#include "enclave/agent.h"

namespace enclave::client {

namespace {

base::Result<Message> request(const std::string& dir, const std::string& id, const Message& m,
                              base::UniqueFd* keep = nullptr, const std::vector<int>& fds = {}) {
  ASSIGN_OR_RETURN(base::UniqueFd s, connect_in(dir, id));
  TRY(send_message(s.get(), m, fds));
  std::string peer = "the init-runelet of container `" + id + "`";
  auto r = recv_message(s.get(), peer);
  if (!r.ok()) return std::move(r).error();
  if (r->type == MsgType::error) return error_from(*r);
  if (keep) *keep = std::move(s);
  return r;
}

}  // namespace

base::Result<int> start(const std::string& dir, const std::string& id) {
  Message m;
  m.type = MsgType::start;
  ASSIGN_OR_RETURN(Message r, request(dir, id, m));
  if (r.type != MsgType::started)
    return base::Error(base::Category::internal, "unexpected reply to start");
  return r.a;
}

base::Status kill(const std::string& dir, const std::string& id, int pid, int sig) {
  Message m;
  m.type = MsgType::kill;
  m.a = pid;
  m.b = sig;
  auto r = request(dir, id, m);
  if (!r.ok()) return std::move(r).error();
  return base::ok();
}

base::Result<int> proxy(int sock, const std::vector<std::string>& argv,
                        const std::vector<std::string>& env,
                        const std::function<base::Status()>& on_started) {
  sigset_t fwd = base::relayable_signals();
  sigprocmask(SIG_BLOCK, &fwd, nullptr);
  base::UniqueFd sfd(signalfd(-1, &fwd, SFD_CLOEXEC));
  if (!sfd.valid()) return base::sys_error("signalfd");
  Message m;
  m.type = MsgType::exec;
  m.payload = encode_lists({argv, env});
  TRY(send_message(sock, m, {0, 1, 2}));
  const std::string peer = "the init-runelet";
  ASSIGN_OR_RETURN(Message started, recv_message(sock, peer));
  if (started.type == MsgType::error) return error_from(started);
  if (started.type != MsgType::started)
    return base::Error(base::Category::internal, "unexpected reply to exec");
  TRY(on_started());
  for (;;) {
    pollfd p[2] = {{sock, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return base::sys_error("poll");
    }
    if (p[1].revents & POLLIN) {
      signalfd_siginfo si;
      // SIGWINCH too: with a terminal the proxy leads its session, and a resize of the pty
      // (by the engine holding the master) reaches the process only this way.
      if (read(sfd.get(), &si, sizeof si) == sizeof si &&
          base::relayed_to_container(static_cast<int>(si.ssi_signo))) {
        Message k;
        k.type = MsgType::kill;
        k.a = started.a;
        k.b = static_cast<int32_t>(si.ssi_signo);
        (void)send_message(sock, k);  // the process may be gone already
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ASSIGN_OR_RETURN(Message r, recv_message(sock, peer));
      if (r.type == MsgType::error) return error_from(r);
      if (r.type == MsgType::exited) return r.a;
    }
  }
}

base::Result<std::vector<uint8_t>> attest(const std::string& dir, const std::string& id,
                                          const std::vector<uint8_t>& target_info) {
  Message m;
  m.type = MsgType::attest;
  m.payload.assign(target_info.begin(), target_info.end());
  ASSIGN_OR_RETURN(Message r, request(dir, id, m));
  if (r.type != MsgType::report)
    return base::Error(base::Category::internal, "unexpected reply to attest");
  return std::vector<uint8_t>(r.payload.begin(), r.payload.end());
}

}  // namespace enclave::client
