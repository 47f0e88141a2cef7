// The shim's events, forwarded over ttrpc to containerd's events service at TTRPC_ADDRESS
// (`containerd.services.events.ttrpc.v1.Events/Forward`), never through `containerd publish`.
//
// One sender thread sends them one at a time, in the order they were queued. The queue holds
// kMaxQueued events; when it is full a new event is dropped with an error line, so publishing
// never blocks an RPC. A failed send (containerd gone or restarting) keeps the event at the head:
// the sender connects again after 1, 2, 3... s and sends it again; after kGiveUpMs of failures
// the head is dropped with a line naming its topic and container, and the next one goes.
#pragma once

#include <time.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "base/error.h"

namespace google::protobuf {
class MessageLite;
}

namespace shim {

class Publisher {
 public:
  static constexpr size_t kMaxQueued = 2048;
  static constexpr int64_t kGiveUpMs = 60000;
  Publisher(std::string ttrpc_address, std::string ns);

  base::Status start();
  // Queues `event` under `topic` ("/tasks/exit"); `type` is its message name
  // ("containerd.events.TaskExit"), the Any's type URL as containerd registers it.
  void publish(const std::string& topic, const std::string& type,
               const google::protobuf::MessageLite& event);
  // Waits until the queue is empty or `timeout_ms` passed (before the daemon exits).
  bool flush(int timeout_ms);

 private:
  struct Item {
    std::string envelope;  // the encoded ForwardRequest
    std::string topic;
    std::string container;
  };
  void loop();

  std::string address_, ns_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool sending_ = false;
};

timespec now_realtime();

}  // namespace shim
