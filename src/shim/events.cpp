#include "shim/events.h"

#include <optional>

#include "base/log.h"
#include "base/thread.h"
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
  queue_.push_back(Item{req.SerializeAsString(), topic});
  cv_.notify_all();
}

bool Publisher::flush(int timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return queue_.empty() && !sending_; });
}

void Publisher::loop() {
  std::optional<ttrpc::Client> client;
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty(); });
      item = std::move(queue_.front());
      queue_.pop_front();
      sending_ = true;
    }
    if (!client) {
      auto c = ttrpc::Client::connect(address_);
      if (c.ok())
        client.emplace(std::move(c).value());
      else
        base::log::error("events: " + c.error().what() + ": dropped " + item.topic);
    }
    if (client) {
      auto r = client->call("containerd.services.events.ttrpc.v1.Events", "Forward", item.envelope,
                            10000);
      if (!r.ok()) {
        base::log::error("events: forwarding " + item.topic + " failed: " + r.error().what());
        client.reset();
      }
    }
    std::lock_guard lock(mu_);
    sending_ = false;
    cv_.notify_all();
  }
}

}  // namespace shim
