#include "ttrpc/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "base/clock.h"
#include "base/socket.h"
#include "ttrpc/status.h"
#include "ttrpc/ttrpc.pb.h"

namespace ttrpc {
base::Result<Client> Client::connect(const std::string& path) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::connect_unix(path, "ttrpc address"));
  return Client(std::move(fd));
}

std::string Client::request_payload(std::string_view service, std::string_view method,
                                    std::string_view payload) {
  ::ttrpc::Request req;
  req.set_service(std::string(service));
  req.set_method(std::string(method));
  req.set_payload(std::string(payload));
  return req.SerializeAsString();
}

base::Result<std::string> Client::call(std::string_view service, std::string_view method,
                                       std::string_view payload, int timeout_ms) {
  std::string body = request_payload(service, method, payload);
  if (body.size() > kMaxMessage)
    return base::Error(
        base::Category::resource_exhausted,
        "a request of " + std::to_string(body.size()) + " bytes is over the maximum");
  uint32_t id = next_id_;
  next_id_ += 2;
  std::string frame = encode_frame(id, kRequest, body);
  for (size_t off = 0; off < frame.size();) {
    ssize_t n = send(fd_.get(), frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return base::Error(base::Category::unavailable, "ttrpc: cannot send the request", errno);
    off += size_t(n);
  }
  int64_t deadline = timeout_ms < 0 ? -1 : base::monotonic_ms() + timeout_ms;
  for (;;) {
    FrameReader::Item item = reader_.next();
    if (item.kind == FrameReader::Kind::frame && item.header.stream_id == id &&
        item.header.type == kResponse) {
      ::ttrpc::Response resp;
      if (!resp.ParseFromString(item.payload))
        return base::Error(base::Category::internal, "ttrpc: cannot decode the response");
      if (resp.has_status() && resp.status().code() != kOk)
        return base::Error(category_of(resp.status().code()), resp.status().message());
      return std::move(*resp.mutable_payload());
    }
    if (item.kind == FrameReader::Kind::oversized && item.header.stream_id == id)
      return base::Error(base::Category::resource_exhausted,
                         "ttrpc: the response is over the maximum");
    if (item.kind != FrameReader::Kind::need_more) continue;
    int wait = -1;
    if (deadline >= 0) {
      wait = int(deadline - base::monotonic_ms());
      if (wait <= 0)
        return base::Error(base::Category::deadline_exceeded, "ttrpc: no response in time");
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int rc = poll(&p, 1, wait);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return base::sys_error("ttrpc: poll");
    if (rc == 0) continue;
    char buf[16 << 10];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::Error(base::Category::unavailable, "ttrpc: connection failed", errno);
    if (n == 0)
      return base::Error(base::Category::unavailable, "ttrpc: connection closed by the server");
    reader_.feed(buf, size_t(n));
  }
}

}  // namespace ttrpc
