// A blocking D-Bus client connection: a unix-socket address, EXTERNAL authentication with the
// caller's uid, Hello, method calls that wait for their reply, and signals kept until asked for.
// One thread, one call at a time: what `rune --systemd-cgroup` needs and no more.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "dbus/message.h"

namespace dbus {

// The system bus's address: $DBUS_SYSTEM_BUS_ADDRESS, else the standard socket.
std::string system_bus_address();

// The socket path of the first `unix:path=` or `unix:abstract=` entry of a D-Bus address list
// (abstract ones as "@name"), with the specification's %xx escapes undone.
base::Result<std::string> socket_of_address(const std::string& address);

class Connection {
 public:
  // Connects to `address`, authenticates and says Hello (not on a peer-to-peer socket such as
  // systemd's private one: `hello` false). Errors name `address`.
  static base::Result<Connection> open(const std::string& address, bool hello = true);

  const std::string& unique_name() const { return name_; }

  // Sends `m` (its serial is set here) and waits up to `timeout` for the reply: a method return
  // or an error message (the caller reads error_name). Signals arriving meanwhile are kept.
  base::Result<Message> call(Message m, std::chrono::milliseconds timeout);
  // The first signal (kept or arriving within `timeout`) for which `match` holds; it is removed.
  base::Result<Message> wait_signal(const std::function<bool(const Message&)>& match,
                                    std::chrono::milliseconds timeout);

 private:
  base::Result<Message> read_message(std::chrono::steady_clock::time_point deadline);
  base::Status read_some(std::chrono::steady_clock::time_point deadline);

  base::UniqueFd fd_;
  std::string address_;
  std::string name_;
  std::string in_;  // received bytes not yet decoded
  uint32_t serial_ = 0;
  std::deque<Message> signals_;
};

// A method call message.
Message method_call(std::string destination, std::string path, std::string interface,
                    std::string member, std::vector<Value> body);

}  // namespace dbus
