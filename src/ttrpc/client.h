// A ttrpc client: one call at a time on one connection (what the shim's event sender needs),
// odd stream ids, the status of a response turned back into a base::Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"
#include "ttrpc/frame.h"

namespace ttrpc {

class Client {
 public:
  static base::Result<Client> connect(const std::string& path);
  explicit Client(base::UniqueFd fd) : fd_(std::move(fd)) {}

  // Sends one request and waits up to `timeout_ms` (-1: forever) for its response; frames of
  // other streams are skipped. The payload of the response, or the error its status carries
  // (an error of the connection: category unavailable).
  base::Result<std::string> call(std::string_view service, std::string_view method,
                                 std::string_view payload, int timeout_ms = -1);

  // Encoded messages as the client sends them (for tests that write raw frames).
  static std::string request_payload(std::string_view service, std::string_view method,
                                     std::string_view payload);

 private:
  base::UniqueFd fd_;
  uint32_t next_id_ = 1;
  FrameReader reader_;
};

}  // namespace ttrpc
