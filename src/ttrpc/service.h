// ttrpc services without a socket: the registry of methods, and a Session that turns the bytes
// of one connection into calls and the calls' results into response frames.
//
// Behaviour (ttrpc 1.1's server, with messages that name the input):
//   frame over kMaxMessage     -> ResourceExhausted, its payload skipped, the connection kept
//   frame of another type      -> ignored (future stream frames); flags ignored
//   undecodable Request        -> InvalidArgument
//   even stream id             -> InvalidArgument (clients use odd ids)
//   unknown service or method  -> Unimplemented naming it
//   undecodable payload        -> InvalidArgument naming the method
//   response over kMaxMessage  -> ResourceExhausted instead
// Requests' timeout_nano and metadata are ignored. Calls run where `Run` puts them (the server:
// each on its own thread), so a call that waits (Wait) holds nothing up, and replies go out in
// whatever order calls finish.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "ttrpc/frame.h"

namespace ttrpc {

// A call's result: the response message's bytes, or an error (its category is the status code).
// Called exactly once, from any thread.
using Reply = std::function<void(base::Result<std::string>)>;
using Handler = std::function<void(std::string payload, Reply reply)>;

class Services {
 public:
  void add(std::string service, std::string method, Handler h);

  // A method answered by `f(const Req&) -> base::Result<Resp>`.
  template <class Req, class Resp, class F>
  void unary(const std::string& service, const std::string& method, F f) {
    std::string name = service + "/" + method;
    add(service, method, [f = std::move(f), name](std::string payload, Reply reply) {
      Req req;
      if (!req.ParseFromString(payload))
        return reply(base::invalid("cannot decode the request of `" + name + "`"));
      base::Result<Resp> r = f(req);
      if (!r.ok()) return reply(std::move(r).error());
      reply(r->SerializeAsString());
    });
  }
  // A method that answers later: `f(const Req&, std::function<void(base::Result<Resp>)>)`.
  template <class Req, class Resp, class F>
  void later(const std::string& service, const std::string& method, F f) {
    std::string name = service + "/" + method;
    add(service, method, [f = std::move(f), name](std::string payload, Reply reply) {
      Req req;
      if (!req.ParseFromString(payload))
        return reply(base::invalid("cannot decode the request of `" + name + "`"));
      f(req, [reply = std::move(reply)](base::Result<Resp> r) {
        if (!r.ok()) return reply(std::move(r).error());
        reply(r->SerializeAsString());
      });
    });
  }

  // The handler of service/method, or Unimplemented naming what is unknown.
  base::Result<const Handler*> find(std::string_view service, std::string_view method) const;

 private:
  std::map<std::string, std::map<std::string, Handler, std::less<>>, std::less<>> services_;
};

// A response frame for `stream_id`: the payload, or the error as its status.
std::string response_frame(uint32_t stream_id, const base::Result<std::string>& r);

class Session {
 public:
  using Send = std::function<void(std::string frame)>;     // thread-safe, one frame at a time
  using Run = std::function<void(std::function<void()>)>;  // where a call runs
  Session(const Services& services, Send send, Run run)
      : services_(services), send_(std::move(send)), run_(std::move(run)) {}

  // Bytes read from the peer: every complete frame is handled before it returns.
  void feed(const void* data, size_t len);
  bool mid_frame() const { return reader_.mid_frame(); }

 private:
  void handle(const FrameReader::Item& item);

  const Services& services_;
  Send send_;
  Run run_;
  FrameReader reader_;
};

}  // namespace ttrpc
