#include "shim/events.h"

#include <optional>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread.h"
#include "containerd/events/task.pb.h"
#include "containerd/services/events/ttrpc/v1/events.pb.h"
#include "ttrpc/client.h"

namespace shim {

timespec now_realtime() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

Publisher::Publisher(std::string ttrpc_address, std::string ns)
    : address_(std::move(ttrpc_address)), ns_(std::move(ns)) {
  // containerd gives a plain path; a later containerd may prefix unix://.
  if (address_.rfind("unix://", 0) == 0) address_.erase(0, 7);
}

base::Status Publisher::start() {
  return base::start_detached([this] { loop(); });
}

void Publisher::publish(const std::string& topic, const std::string& type,
                        const google::protobuf::MessageLite& event) {
  containerd::services::events::ttrpc::v1::ForwardRequest req;
  auto* env = req.mutable_envelope();
  timespec now = now_realtime();
  env->mutable_timestamp()->set_seconds(now.tv_sec);
  env->mutable_timestamp()->set_nanos(int32_t(now.tv_nsec));
  env->set_namespace_(ns_);
  env->set_topic(topic);
  // containerd looks the type up by this exact name (no "/" prefix, which PackFrom would add).
  env->mutable_event()->set_type_url(type);
  env->mutable_event()->set_value(event.SerializeAsString());
  std::lock_guard lock(mu_);
  if (queue_.size() >= kMaxQueued) {
    base::log::error("events: the queue is full (" + std::to_string(kMaxQueued) +
                     " events): dropped " + topic);
    return;
  }
  // Every task event has its container id as field 1 (for the line that names a dropped event).
  containerd::events::TaskOOM id_only;
  id_only.ParseFromString(env->event().value());
  queue_.push_back(Item{req.SerializeAsString(), topic, id_only.container_id()});
  cv_.notify_all();
}

bool Publisher::flush(int timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return queue_.empty() && !sending_; });
}

void Publisher::loop() {
  std::optional<ttrpc::Client> client;
  int attempts = 0;  // failed sends of the head
  int64_t head_failing_since = -1;
  for (;;) {
    std::string envelope, topic, container;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty(); });
      // The head stays queued until it is sent (or given up): events go out in order.
      envelope = queue_.front().envelope;
      topic = queue_.front().topic;
      container = queue_.front().container;
      sending_ = true;
    }
    base::Status sent = base::ok();
    if (!client) {
      auto c = ttrpc::Client::connect(address_);
      if (c.ok())
        client.emplace(std::move(c).value());
      else
        sent = std::move(c).error();
    }
    if (client) {
      auto r =
          client->call("containerd.services.events.ttrpc.v1.Events", "Forward", envelope, 10000);
      if (!r.ok()) {
        sent = std::move(r).error();
        client.reset();
      }
    }
    std::unique_lock lock(mu_);
    if (sent.ok()) {
      queue_.pop_front();
      attempts = 0;
      head_failing_since = -1;
    } else {
      int64_t now = base::monotonic_ms();
      if (head_failing_since < 0) head_failing_since = now;
      if (now - head_failing_since >= kGiveUpMs) {
        base::log::error("events: dropped " + topic + " of container `" + container + "` after " +
                         std::to_string(kGiveUpMs / 1000) + " s of failed sends (" +
                         sent.error().what() + ")");
        queue_.pop_front();
        attempts = 0;
        head_failing_since = -1;
      } else {
        // Reconnect with backoff 1, 2, 3... s, then the same event again.
        attempts++;
        base::log::error("events: forwarding " + topic + " failed (" + sent.error().what() +
                         "); again in " + std::to_string(attempts) + " s");
        sending_ = false;
        cv_.notify_all();
        cv_.wait_for(lock, std::chrono::seconds(attempts));
        continue;
      }
    }
    sending_ = false;
    cv_.notify_all();
  }
}

}  // namespace shim
