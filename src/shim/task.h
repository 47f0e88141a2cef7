// The task service containerd calls (containerd.task.v2.Task), with containerd-shim-runc-v2's
// semantics: one shim serves every container of its group (a pod), each created with the runtime
// chosen for it once (rune for enclave containers, the ordinary runtime for the rest).
//
// Each process (a container's init, or one exec'd into it) is in one of the states below; each
// state is a type that allows some calls and refuses the others with a sentence (the runc
// shim's messages):
//   created       -> start, kill, delete
//   exec created  -> start, delete  (kill: FailedPrecondition "process not created")
//   running       -> kill, pause    (start, delete: refused)
//   paused        -> kill, resume
//   stopped       -> delete         (start refused; kill: NotFound "process already finished")
//   deleted       -> nothing
// Exits come from the reaper; an exit that arrives while Start is running is held until
// TaskStart (TaskExecStarted) has been queued, so containerd always sees start before exit.
// An exec runs as `<runtime> exec --process F --detach --pid-file P`: P holds a host pid (for
// an enclave container, rune's proxy of the enclave process), which the shim signals, waits
// for and reaps like any other.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "containerd/task/v2/shim.pb.h"
#include "shim/config.h"
#include "shim/events.h"
#include "shim/io.h"
#include "shim/oom.h"
#include "shim/reaper.h"
#include "shim/rootfs.h"
#include "shim/runtime.h"
#include "ttrpc/service.h"

namespace kernel {
struct CgroupSet;
}

namespace shim {

namespace taskapi = ::containerd::task::v2;

class ProcessState {
 public:
  virtual ~ProcessState() = default;
  virtual int status() const = 0;  // containerd.v1.types.Status
  virtual base::Status can_start() const = 0;
  virtual base::Status can_kill() const = 0;
  virtual base::Status can_delete() const = 0;
  virtual base::Status can_pause() const = 0;
  virtual base::Status can_resume() const = 0;
};
const ProcessState& created_state();
const ProcessState& exec_created_state();
const ProcessState& running_state();
const ProcessState& paused_state();
const ProcessState& stopped_state();
const ProcessState& deleted_state();

// One process of a container; guarded by its container's `mu` (never held across a runtime
// command).
struct Process {
  std::string exec_id;  // empty for the init
  StdioPaths stdio;
  std::string spec;  // an exec's process JSON
  std::unique_ptr<ProcessIO> io;
  const ProcessState* state = &created_state();
  pid_t pid = 0;
  int exit_status = 0;
  timespec exited_at{};
  bool starting = false;
  std::optional<Exit> held_exit;               // came during Start
  std::vector<std::function<void()>> waiters;  // Wait calls, answered at exit
};

struct Container {
  std::string id, bundle;
  std::vector<MountSpec> rootfs;
  Runtime runtime;
  bool enclave = false;
  bool own_pid_ns = true;
  uid_t io_uid = 0;  // owner of the stdio pipes (IoUid/IoGid)
  gid_t io_gid = 0;

  std::mutex mu;
  std::shared_ptr<Process> init = std::make_shared<Process>();
  std::unique_ptr<OomMonitor> oom;  // from Start until the init's exit
  // The init's cgroups, taken at Create (as the runc shim loads them): Stats and the OOM watch.
  std::shared_ptr<const kernel::CgroupSet> cgroups;
  std::map<std::string, std::shared_ptr<Process>> execs;
};

// What the daemon gives the service.
struct ServiceContext {
  std::string ns;              // containerd namespace
  std::string socket_address;  // this shim's own address (stored per bundle for `delete`)
  Config config;               // from the default file or the start options
  Publisher* events = nullptr;
  std::function<void()> shutdown;  // ends the daemon (after Shutdown's reply)
};

class TaskService {
 public:
  explicit TaskService(ServiceContext ctx) : ctx_(std::move(ctx)) {}
  void register_with(ttrpc::Services& services);

  base::Result<taskapi::CreateTaskResponse> create(const taskapi::CreateTaskRequest& r);
  base::Status exec(const taskapi::ExecProcessRequest& r);
  base::Result<taskapi::StartResponse> start(const taskapi::StartRequest& r);
  base::Result<taskapi::DeleteResponse> remove(const taskapi::DeleteRequest& r);
  base::Result<taskapi::StateResponse> state(const taskapi::StateRequest& r);
  base::Status kill(const taskapi::KillRequest& r);
  void wait(const taskapi::WaitRequest& r,
            std::function<void(base::Result<taskapi::WaitResponse>)> reply);
  base::Result<taskapi::PidsResponse> pids(const taskapi::PidsRequest& r);
  base::Status close_io(const taskapi::CloseIORequest& r);
  // ResizePty: the process's pty (nothing to do when it has none, as the runc shim).
  base::Status resize_pty(const taskapi::ResizePtyRequest& r);
  // Pause (true) or Resume (false): `<runtime> pause|resume`, /tasks/paused or /tasks/resumed.
  base::Status pause_resume(const std::string& id, bool pause);
  // `<runtime> update --resources -` with the request's LinuxResources (JSON).
  base::Status update(const taskapi::UpdateTaskRequest& r);
  // Stats: the container's cgroup metrics (containerd's cgroups v1 or v2 Metrics).
  base::Result<taskapi::StatsResponse> stats(const taskapi::StatsRequest& r);
  base::Result<taskapi::ConnectResponse> connect(const taskapi::ConnectRequest& r);
  // True when the daemon should exit (no containers left).
  bool shutdown_requested(const taskapi::ShutdownRequest& r);

 private:
  struct Found {
    std::shared_ptr<Container> c;
    std::shared_ptr<Process> p;
  };
  base::Result<std::shared_ptr<Container>> get(const std::string& id);
  base::Result<Found> get(const std::string& id, const std::string& exec_id);
  // Runs an exec's `<runtime> exec --detach` and watches its pid (Start's part for execs).
  base::Status run_exec(const std::shared_ptr<Container>& c, const std::shared_ptr<Process>& p);
  void on_exit(const std::shared_ptr<Container>& c, const std::shared_ptr<Process>& p,
               const Exit& e);
  // With c.mu held: records the exit and queues TaskExit; returns the waiters to answer.
  std::vector<std::function<void()>> apply_exit(Container& c, Process& p, const Exit& e);

  ServiceContext ctx_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Container>> containers_;  // null: being created
  std::mutex create_mu_;  // one Create at a time, as the runc shim
};

// Container ids as containerd accepts them: [A-Za-z0-9]+ joined by single '.', '_' or '-', at
// most 76 characters.
base::Status check_id(const std::string& id);

}  // namespace shim
