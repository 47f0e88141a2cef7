#include "epm/service.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "epm/v1/epm.grpc.pb.h"

namespace epm {
namespace v1 = inclavare::epm::v1;

namespace {

grpc::Status to_grpc(const base::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (s.error().category()) {
    case base::Category::invalid_argument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case base::Category::not_found:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case base::Category::resource_exhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    default:
      break;
  }
  return grpc::Status(code, s.error().what());
}

class Service final : public v1::EnclavePool::Service {
 public:
  explicit Service(Daemon& d) : d_(d) {}

  grpc::Status Status(grpc::ServerContext*, const v1::StatusRequest*,
                      v1::StatusResponse* out) override {
    base::Json j = d_.status();
    out->set_budget(j["budget"].get<uint64_t>());
    out->set_bytes_ready(j["bytes_ready"].get<uint64_t>());
    out->set_bytes_building(j["bytes_building"].get<uint64_t>());
    if (j["memory_charged"].is_number())
      out->set_memory_charged(j["memory_charged"].get<uint64_t>());
    out->set_drained(j["drained"].get<bool>());
    for (const auto& r : j["runtimes"]) {
      auto* rs = out->add_runtimes();
      rs->set_path(r["path"].get<std::string>());
      rs->set_build_id(r["build_id"].get<std::string>());
      rs->set_sha256(r["sha256"].get<std::string>());
    }
    for (const auto& p : j["pools"]) {
      auto* ps = out->add_pools();
      ps->set_build_id(p["build_id"].get<std::string>());
      ps->set_args(p["args"].get<std::string>());
      ps->set_runtime(p["runtime"].get<std::string>());
      ps->set_origin(p["origin"].get<std::string>());
      ps->set_depth(p["depth"].get<uint32_t>());
      ps->set_ready(p["ready"].get<uint32_t>());
      ps->set_building(p["building"].get<uint32_t>());
      ps->set_hits(p["hits"].get<uint64_t>());
      ps->set_misses(p["misses"].get<uint64_t>());
      ps->set_entry_size(p["entry_size"].get<uint64_t>());
      ps->set_last_build_ms(p["last_build_ms"].get<int64_t>());
      ps->set_last_error(p["last_error"].get<std::string>());
    }
    return grpc::Status::OK;
  }
  grpc::Status SetPool(grpc::ServerContext*, const v1::SetPoolRequest* in,
                       v1::SetPoolResponse*) override {
    return to_grpc(d_.set_pool(in->runtime(), in->args(), static_cast<int>(in->depth())));
  }
  grpc::Status DeletePool(grpc::ServerContext*, const v1::DeletePoolRequest* in,
                          v1::DeletePoolResponse*) override {
    return to_grpc(d_.delete_pool(in->runtime(), in->args()));
  }
  grpc::Status Drain(grpc::ServerContext*, const v1::DrainRequest*, v1::DrainResponse*) override {
    d_.drain();
    return grpc::Status::OK;
  }
  grpc::Status Resume(grpc::ServerContext*, const v1::ResumeRequest*,
                      v1::ResumeResponse*) override {
    d_.resume();
    return grpc::Status::OK;
  }
  grpc::Status Health(grpc::ServerContext*, const v1::HealthRequest*,
                      v1::HealthResponse* out) override {
    out->set_serving(d_.healthy());
    return grpc::Status::OK;
  }

 private:
  Daemon& d_;
};

std::unique_ptr<v1::EnclavePool::Stub> stub(const std::string& path) {
  return v1::EnclavePool::NewStub(
      grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials()));
}

void set_deadline(grpc::ClientContext& c) {
  c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

base::Status from_grpc(const grpc::Status& s, const std::string& path, const char* call) {
  if (s.ok()) return base::ok();
  base::Category cat = base::Category::internal;
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      cat = base::Category::invalid_argument;
      break;
    case grpc::StatusCode::NOT_FOUND:
      cat = base::Category::not_found;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      cat = base::Category::resource_exhausted;
      break;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return base::Error(
          base::Category::unavailable,
          std::string(call) + ": epm does not answer on " + path + " (" + s.error_message() + ")");
    default:
      break;
  }
  return base::Error(cat, std::string(call) + ": " + s.error_message());
}

}  // namespace

struct ManagementServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

ManagementServer::~ManagementServer() {
  stop();
}

void ManagementServer::stop() {
  if (impl_ && impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    impl_->server.reset();
  }
}

base::Result<std::unique_ptr<ManagementServer>> ManagementServer::start(Daemon& d,
                                                                        const std::string& path) {
  unlink(path.c_str());  // stale: take.sock's check already refused a live epm
  auto m = std::unique_ptr<ManagementServer>(new ManagementServer());
  m->impl_ = std::make_unique<Impl>();
  m->impl_->service = std::make_unique<Service>(d);
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials(), &port);
  b.RegisterService(m->impl_->service.get());
  m->impl_->server = b.BuildAndStart();
  if (!m->impl_->server)
    return base::Error(base::Category::unavailable, "cannot serve gRPC on " + path);
  if (chmod(path.c_str(), 0600) != 0) return base::sys_error("chmod " + path);
  return m;
}

base::Result<base::Json> call_status(const std::string& path) {
  grpc::ClientContext c;
  set_deadline(c);
  v1::StatusResponse r;
  TRY(from_grpc(stub(path)->Status(&c, v1::StatusRequest(), &r), path, "Status"));
  base::Json rts = base::Json::array(), pools = base::Json::array();
  for (const auto& x : r.runtimes())
    rts.push_back({{"path", x.path()}, {"build_id", x.build_id()}, {"sha256", x.sha256()}});
  for (const auto& p : r.pools())
    pools.push_back({{"build_id", p.build_id()},
                     {"args", p.args()},
                     {"runtime", p.runtime()},
                     {"origin", p.origin()},
                     {"depth", p.depth()},
                     {"ready", p.ready()},
                     {"building", p.building()},
                     {"hits", p.hits()},
                     {"misses", p.misses()},
                     {"entry_size", p.entry_size()},
                     {"last_build_ms", p.last_build_ms()},
                     {"last_error", p.last_error()}});
  return base::Json{{"budget", r.budget()},
                    {"bytes_ready", r.bytes_ready()},
                    {"bytes_building", r.bytes_building()},
                    {"memory_charged",
                     r.has_memory_charged() ? base::Json(r.memory_charged()) : base::Json(nullptr)},
                    {"drained", r.drained()},
                    {"runtimes", rts},
                    {"pools", pools}};
}

base::Status call_set_pool(const std::string& path, const std::string& runtime,
                           const std::string& args, int depth) {
  grpc::ClientContext c;
  set_deadline(c);
  v1::SetPoolRequest q;
  q.set_runtime(runtime);
  q.set_args(args);
  q.set_depth(static_cast<uint32_t>(depth));
  v1::SetPoolResponse r;
  return from_grpc(stub(path)->SetPool(&c, q, &r), path, "SetPool");
}

base::Status call_delete_pool(const std::string& path, const std::string& runtime,
                              const std::string& args) {
  grpc::ClientContext c;
  set_deadline(c);
  v1::DeletePoolRequest q;
  q.set_runtime(runtime);
  q.set_args(args);
  v1::DeletePoolResponse r;
  return from_grpc(stub(path)->DeletePool(&c, q, &r), path, "DeletePool");
}

base::Status call_drain(const std::string& path) {
  grpc::ClientContext c;
  set_deadline(c);
  v1::DrainResponse r;
  return from_grpc(stub(path)->Drain(&c, v1::DrainRequest(), &r), path, "Drain");
}

base::Status call_resume(const std::string& path) {
  grpc::ClientContext c;
  set_deadline(c);
  v1::ResumeResponse r;
  return from_grpc(stub(path)->Resume(&c, v1::ResumeRequest(), &r), path, "Resume");
}

base::Result<bool> call_health(const std::string& path) {
  grpc::ClientContext c;
  set_deadline(c);
  v1::HealthResponse r;
  TRY(from_grpc(stub(path)->Health(&c, v1::HealthRequest(), &r), path, "Health"));
  return r.serving();
}

}  // namespace epm
