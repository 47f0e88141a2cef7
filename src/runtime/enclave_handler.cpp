#include "runtime/enclave_handler.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "enclave/agent.h"
#include "enclave/client.h"
#include "enclave/config.h"
#include "enclave/pool_client.h"
#include "enclave/runelet.h"
#include "linux/exec_copy.h"
#include "linux/init.h"
#include "runtime/exec.h"

namespace runtime {

namespace {

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           sigabbrev_np(WTERMSIG(status)) + ")";
  return "ended with wait status " + std::to_string(status);
}

class EnclaveHandler final : public Handler {
 public:
  // A new container (create).
  explicit EnclaveHandler(enclave::Config cfg) : cfg_(std::move(cfg)) {}
  // A created container (later commands).
  explicit EnclaveHandler(oci::EnclaveState st) : state_(std::move(st)) {}

  base::Status prepare(const std::string& state_dir, const oci::Config& config,
                       const std::string& rootfs, const PoolOptions& pool) override {
    ASSIGN_OR_RETURN(agent_, enclave::listen_in(state_dir));
    // Whether the init may ask for a pre-built entry: decided here, with one stat at most.
    pool_opts_ = pool;
    pre_.pool = "ask";
    struct stat st;
    if (!cfg_.pool) {
      pre_ = {"off", "", "enclave.pool is off"};
    } else if (enclave::pool::args_say_no_epm(cfg_.runtime_args)) {
      pre_ = {"off", "", "no-epm is in the runtime args"};
    } else if (pool.socket.empty()) {
      pre_ = {"off", "", "--epm-socket is empty"};
    } else if (stat(pool.socket.c_str(), &st) != 0) {
      pre_ = {"unavailable", "", "no epm socket at " + pool.socket};
    }
    // Named as liberpal-sim names its own copies (the one runtime that takes it): the workload
    // looks the same whoever made the copy.
    entry_ = kernel::EntrypointCopy::open(config.process, rootfs, "sim-workload");
    return base::ok();
  }

  void after_clone() override { agent_.reset(); }

  // The entrypoint's sealed copy for the runtime (pal.h's pal_prepare_process), made while the
  // init mounts (linux/exec_copy.h).
  void while_init_sets_up() override { entry_.fill(); }

  // The init becomes the init-runelet: the workload's env becomes the process env (runtimes
  // read settings from it, and v1 pal_exec passes none), then the PAL is loaded from inside the
  // rootfs and initialized with the container's user and caps in force.
  base::Status run_in_init(InitContext& ctx) override {
    const oci::Process& proc = ctx.config.process;
    close(ctx.dmz_fd);  // the runelet never execs: the PAL starts the workload
    // The runelet and the PAL run under the container's seccomp filter from here on.
    TRY(kernel::prepare_exec(proc, ctx.preserve_fds, ctx.seccomp));
    clearenv();
    for (const auto& e : proc.env) putenv(const_cast<char*>(e.c_str()));  // outlives the process
    enclave::Runelet& r = runelet_.emplace(cfg_, agent_.get());
    auto ask_pool = [&](const std::function<epm::Key()>& make_key) {
      enclave::pool::Outcome o;
      if (pre_.pool != "ask") {  // decided before clone: no build-id read, nothing sent
        o.pool = pre_.pool;
        o.reason = pre_.reason;
        return o;
      }
      const epm::Key key = make_key();
      if (key.build_id.empty()) return o;  // the runelet reports it
      std::string answer;
      base::UniqueFd fd;
      base::Status s = ctx.channel.request_pool(enclave::pool::encode_key(key), &answer, &fd);
      if (!s.ok()) {
        o.pool = "unavailable";
        o.reason = s.error().what();
        return o;
      }
      o = enclave::pool::parse_outcome(answer);
      if (o.pool == "hit") o.fd = std::move(fd);
      return o;
    };
    TRY(r.init([&](const char* call) { (void)ctx.channel.send_phase(call); }, ask_pool));
    r.set_entrypoint(ctx.exe, proc.args, proc.env);
    // The runtime may load the entrypoint meanwhile (pal.h's extension), from rune's copy when
    // that is complete and of the file the init resolved; a failure here is the start's to
    // report, from pal_create_process.
    (void)r.pal().prepare_process(ctx.exe, entry_.take(ctx.exe));
    // rune create exits as soon as it reads Ready: the parent-death signal must be off first.
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    std::string ready = std::to_string(r.pal().version()) + " " +
                        std::to_string(r.pal().symbols()) + " " +
                        enclave::pool::encode_outcome(r.pool_outcome());
    if (!ctx.channel.send_ready(ready).ok()) _exit(1);
    if (ctx.fifo_fd < 0) {  // run mode: start comes on the channel
      if (!ctx.channel.wait_start().ok()) r.destroy_and_exit(1);
      auto pid = r.start();
      if (!pid.ok()) {
        ctx.channel.send_failed(pid.error());
        r.destroy_and_exit(127);
      }
      (void)ctx.channel.send_started(*pid);
    }
    ctx.channel.close();
    if (ctx.fifo_fd >= 0) close(ctx.fifo_fd);
    r.serve();
  }

  base::Status record(const std::string& ready_text, const oci::Config& config,
                      oci::ContainerState& st) override {
    oci::EnclaveState e;
    e.type = cfg_.type;
    e.runtime_path = cfg_.runtime_path;
    e.runtime_args = cfg_.runtime_args;
    e.log_level = cfg_.log_level;
    int used = 0;
    if (sscanf(ready_text.c_str(), "%d %u %n", &e.pal_version, &e.symbols, &used) != 2)
      return base::Error(base::Category::internal,
                         "malformed ready message `" + ready_text + "` from the init-runelet");
    if (used > 0 && static_cast<size_t>(used) < ready_text.size()) {
      enclave::pool::Outcome o = enclave::pool::parse_outcome(ready_text.substr(used));
      e.pool = o.pool;
      e.pool_instance = o.instance;
      e.pool_reason = o.reason;
    }
    e.env = config.process.env;
    st.enclave = std::move(e);
    return base::ok();
  }

  base::Error explain(base::Error e, const std::string& phase, int wait_status) override {
    // The PAL ended the process (exit() or a crash) inside a call: say which and how.
    if (phase.empty() || !kernel::peer_exited(e)) return e;
    return base::Error(base::Category::unavailable,
                       "enclave runtime `" + cfg_.runtime_path + "`: the init-runelet " +
                           describe_exit(wait_status) + " during `" + phase + "`",
                       ECHILD);
  }

  // The parent's one exchange with epm per create: the key the runelet sent, the answer (and a
  // hit's memfd) back to it. A second request gets no entry.
  void serve_pool(const std::string& request, std::string* answer, base::UniqueFd* fd) override {
    enclave::pool::Outcome o;
    auto key = enclave::pool::parse_key(request);
    if (pool_served_) {
      o.pool = "unavailable";
      o.reason = "one pool request per create";
    } else if (pre_.pool != "ask") {
      o.pool = pre_.pool;
      o.reason = pre_.reason;
    } else if (!key.ok()) {
      o.pool = "unavailable";
      o.reason = key.error().what();
    } else {
      o = enclave::pool::take(pool_opts_.socket, *key, pool_opts_.container, pool_opts_.timeout_ms);
    }
    pool_served_ = true;
    *answer = enclave::pool::encode_outcome(o);
    *fd = std::move(o.fd);
  }

  // The runelet says whether the entrypoint could be started.
  base::Status started(kernel::ParentChannel& channel) override {
    auto pid = channel.wait_started();
    if (!pid.ok()) return std::move(pid).error();
    return base::ok();
  }

  base::Status start(const Container& c) override {
    auto pid = enclave::client::start(c.dir, c.id);
    unlink(c.fifo_path.c_str());  // started, or the runelet has ended the container
    if (!pid.ok()) return std::move(pid).error().wrap("start container `" + c.id + "`");
    return base::ok();
  }

  // Through the runtime: pal_kill(-1, sig); SIGKILL goes to the init as for any container.
  base::Status kill(const Container& c, int sig, bool all) override {
    if (sig == SIGKILL) return Handler::kill(c, sig, all);
    TRY_WRAP(enclave::client::kill(c.dir, c.id, -1, sig), "kill container `" + c.id + "`");
    return base::ok();
  }

  base::Result<int> exec(const Container& c, const ExecOptions& o) override {
    if (c.status != oci::Status::running)
      return base::Error(base::Category::failed_precondition,
                         "cannot exec in container `" + c.id + "`: it is " +
                             oci::status_name(c.status) + ", not running");
    if (state_.pal_version < 2)
      return base::Error(base::Category::failed_precondition,
                         "cannot exec in container `" + c.id + "`: its enclave runtime `" +
                             state_.runtime_path +
                             "` implements PAL API v1, which runs a single process (exec needs "
                             "v2+)",
                         ENOTSUP);
    // The PAL runs argv with env in the container's cwd, as the container's user: nothing else
    // of a process reaches it. The host pid is the proxy's (runtime/exec.h).
    const char* unsupported = o.cwd                        ? "--cwd"
                              : o.uid || o.gid             ? "--user"
                              : !o.additional_gids.empty() ? "--additional-gids"
                              : !o.caps.empty()            ? "--cap"
                              : !o.cgroups.empty()         ? "--cgroup"
                              : o.preserve_fds             ? "--preserve-fds"
                              : o.no_new_privs             ? "--no-new-privs"
                                                           : nullptr;
    if (unsupported)
      return base::Error(base::Category::unimplemented,
                         std::string("`") + unsupported +
                             "`: not supported by `rune exec` into enclave containers in this "
                             "version of rune (the PAL API starts a process from argv and env "
                             "only)");
    std::vector<std::string> args = o.process ? o.process->args : o.args;
    std::vector<std::string> env = o.process ? o.process->env : state_.env;
    if (args.empty()) return base::invalid("exec: no command given");
    for (const auto& kv : o.env) oci::set_env(env, kv);
    auto r = exec_through_proxy(c, o, seccomp_cache_of(c), args, env);
    if (!r.ok()) return std::move(r).error().wrap("exec in container `" + c.id + "`");
    return r;
  }

  base::Result<std::vector<uint8_t>> attest(const Container& c,
                                            const std::vector<uint8_t>& target_info) override {
    if (c.status != oci::Status::running && c.status != oci::Status::created)
      return base::Error(
          base::Category::failed_precondition,
          "cannot attest container `" + c.id + "`: it is " + oci::status_name(c.status));
    if (!(state_.symbols & enclave::kGetLocalReport))
      return enclave::missing_symbol(state_.runtime_path, enclave::kGetLocalReport)
          .wrap("attest container `" + c.id + "` (PAL API v" + std::to_string(state_.pal_version) +
                ")");
    auto r = enclave::client::attest(c.dir, c.id, target_info);
    if (!r.ok()) return std::move(r).error().wrap("attest container `" + c.id + "`");
    return r;
  }

 private:
  enclave::Config cfg_;
  PoolOptions pool_opts_;
  struct {
    std::string pool, instance, reason;
  } pre_;  // "ask", or the outcome decided before clone (off, unavailable)
  bool pool_served_ = false;
  kernel::EntrypointCopy entry_;
  oci::EnclaveState state_;
  base::UniqueFd agent_;
  std::optional<enclave::Runelet> runelet_;
};

}  // namespace

base::Result<std::unique_ptr<Handler>> make_enclave_handler(oci::Config& config) {
  ASSIGN_OR_RETURN(auto cfg, enclave::parse(config));
  if (!cfg) return std::unique_ptr<Handler>();
  if (!config.hooks.start_container.empty())
    return base::Error(base::Category::unimplemented,
                       "`hooks.startContainer`: not supported for enclave containers by this "
                       "version of rune (the runelet starts the workload through the PAL)");
  if (cfg->type == "intelSgx") TRY(enclave::add_sgx_resources(config));
  return std::unique_ptr<Handler>(std::make_unique<EnclaveHandler>(std::move(*cfg)));
}

std::unique_ptr<Handler> enclave_handler_of(const oci::ContainerState& st) {
  if (!st.enclave) return nullptr;
  return std::make_unique<EnclaveHandler>(*st.enclave);
}

}  // namespace runtime
