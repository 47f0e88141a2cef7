// ttrpc as the shim reads it (src/ttrpc): any bytes, cut into reads at the points the input's
// first byte picks, go through a Session dispatching to the task service's request types (each
// handler decodes its request as the shim's do). Every frame the session sends must be a
// response with a decodable envelope, for a stream id the input carried; the client's reader
// must cut the same bytes into the same frames however they are split.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "containerd/task/v2/shim.pb.h"
#include "google/protobuf/empty.pb.h"
#include "ttrpc/frame.h"
#include "ttrpc/service.h"
#include "ttrpc/ttrpc.pb.h"

namespace {

namespace taskapi = ::containerd::task::v2;

ttrpc::Services& services() {
  static ttrpc::Services* s = [] {
    auto* s = new ttrpc::Services;
    const std::string t = "containerd.task.v2.Task";
    s->unary<taskapi::CreateTaskRequest, taskapi::CreateTaskResponse>(
        t, "Create", [](const auto& r) -> base::Result<taskapi::CreateTaskResponse> {
          if (r.id().empty()) return base::invalid("empty id");
          taskapi::CreateTaskResponse resp;
          resp.set_pid(uint32_t(r.rootfs_size()));
          return resp;
        });
    s->unary<taskapi::StateRequest, taskapi::StateResponse>(t, "State", [](const auto& r) {
      taskapi::StateResponse resp;
      resp.set_id(r.id());
      resp.set_exec_id(r.exec_id());
      return base::Result<taskapi::StateResponse>(resp);
    });
    s->unary<taskapi::KillRequest, google::protobuf::Empty>(t, "Kill", [](const auto&) {
      return base::Result<google::protobuf::Empty>(google::protobuf::Empty());
    });
    s->later<taskapi::WaitRequest, taskapi::WaitResponse>(t, "Wait", [](const auto&, auto reply) {
      reply(taskapi::WaitResponse());
    });
    return s;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = size_t(data[0] % 31) + 1;
  data++;
  size--;
  std::set<uint32_t> ids;  // stream ids of the input's frames
  {
    ttrpc::FrameReader whole;
    whole.feed(data, size);
    for (auto it = whole.next(); it.kind != ttrpc::FrameReader::Kind::need_more; it = whole.next())
      ids.insert(it.header.stream_id);
  }
  ttrpc::FrameReader out;
  ttrpc::Session session(
      services(), [&](std::string frame) { out.feed(frame.data(), frame.size()); },
      [](std::function<void()> f) { f(); });
  for (size_t off = 0; off < size; off += step) session.feed(data + off, std::min(step, size - off));
  for (auto it = out.next(); it.kind != ttrpc::FrameReader::Kind::need_more; it = out.next()) {
    ::ttrpc::Response resp;
    if (it.kind != ttrpc::FrameReader::Kind::frame || it.header.type != ttrpc::kResponse ||
        !resp.ParseFromString(it.payload) || !ids.count(it.header.stream_id))
      __builtin_trap();
  }
  return 0;
}
