// The task service containerd calls (containerd.task.v2.Task), with containerd-shim-runc-v2's
// semantics: one shim serves every container of its group (a pod), each created with the runtime
// chosen for it once (rune for enclave containers, the ordinary runtime for the rest).
//
// A container's init process is in one of the states below; each state is a type that allows
// some calls and refuses the others with a sentence (the runc shim's messages):
//   created  -> start, kill, delete
//   running  -> kill            (start, delete: refused)
//   stopped  -> delete          (start refused; kill: NotFound "process already finished")
//   deleted  -> nothing
// Exits come from the reaper; an exit that arrives while Start is running is held until
// TaskStart has been queued, so containerd always sees start before exit.
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
#include "shim/reaper.h"
#include "shim/rootfs.h"
#include "shim/runtime.h"
#include "ttrpc/service.h"

namespace shim {

namespace taskapi = ::containerd::task::v2;

class ProcessState {
 public:
  virtual ~ProcessState() = default;
  virtual const char* name() const = 0;
  virtual int status() const = 0;  // containerd.v1.types.Status
  virtual base::Status can_start() const = 0;
  virtual base::Status can_kill() const = 0;
  virtual base::Status can_delete() const = 0;
};
const ProcessState& created_state();
const ProcessState& running_state();
const ProcessState& stopped_state();
const ProcessState& deleted_state();

struct Container {
  std::string id, bundle;
  StdioPaths stdio;
  std::vector<MountSpec> rootfs;
  Runtime runtime;
  bool enclave = false;
  bool own_pid_ns = true;
  std::unique_ptr<ProcessIO> io;

  std::mutex mu;  // below; never held across a runtime command
  const ProcessState* state = &created_state();
  pid_t pid = 0;
  int exit_status = 0;
  timespec exited_at{};
  bool starting = false;
  std::optional<Exit> held_exit;               // came during Start
  std::vector<std::function<void()>> waiters;  // Wait calls, answered at exit
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
  base::Result<taskapi::StartResponse> start(const taskapi::StartRequest& r);
  base::Result<taskapi::DeleteResponse> remove(const taskapi::DeleteRequest& r);
  base::Result<taskapi::StateResponse> state(const taskapi::StateRequest& r);
  base::Status kill(const taskapi::KillRequest& r);
  void wait(const taskapi::WaitRequest& r,
            std::function<void(base::Result<taskapi::WaitResponse>)> reply);
  base::Result<taskapi::PidsResponse> pids(const taskapi::PidsRequest& r);
  base::Status close_io(const taskapi::CloseIORequest& r);
  base::Result<taskapi::ConnectResponse> connect(const taskapi::ConnectRequest& r);
  // True when the daemon should exit (no containers left).
  bool shutdown_requested(const taskapi::ShutdownRequest& r);

 private:
  base::Result<std::shared_ptr<Container>> get(const std::string& id, const std::string& exec_id);
  void on_exit(const std::shared_ptr<Container>& c, const Exit& e);
  // With c->mu held: records the exit and queues TaskExit; returns the waiters to answer.
  std::vector<std::function<void()>> apply_exit(Container& c, const Exit& e);

  ServiceContext ctx_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Container>> containers_;  // null: being created
  std::mutex create_mu_;  // one Create at a time, as the runc shim
};

// Container ids as containerd accepts them: [A-Za-z0-9]+ joined by single '.', '_' or '-', at
// most 76 characters.
base::Status check_id(const std::string& id);

}  // namespace shim
