#include "ttrpc/service.h"

#include "ttrpc/status.h"
#include "ttrpc/ttrpc.pb.h"

namespace ttrpc {

void Services::add(std::string service, std::string method, Handler h) {
  services_[std::move(service)][std::move(method)] = std::move(h);
}

base::Result<const Handler*> Services::find(std::string_view service,
                                            std::string_view method) const {
  auto s = services_.find(service);
  if (s == services_.end())
    return base::Error(base::Category::unimplemented,
                       "service `" + base::clip(service) + "` is not served here");
  auto m = s->second.find(method);
  if (m == s->second.end())
    return base::Error(base::Category::unimplemented, "method `" + base::clip(method) +
                                                          "` of service `" + std::string(service) +
                                                          "` is not served here");
  return &m->second;
}

namespace {

std::string encode_response(const base::Result<std::string>& r) {
  ::ttrpc::Response resp;
  if (r.ok()) {
    resp.set_payload(*r);
  } else {
    resp.mutable_status()->set_code(code_of(r.error().category()));
    resp.mutable_status()->set_message(r.error().what());
  }
  return resp.SerializeAsString();
}

}  // namespace

std::string response_frame(uint32_t stream_id, const base::Result<std::string>& r) {
  std::string body = encode_response(r);
  if (body.size() > kMaxMessage)
    body = encode_response(base::Error(base::Category::resource_exhausted,
                                       "the response of " + std::to_string(body.size()) +
                                           " bytes exceeds the maximum of " +
                                           std::to_string(kMaxMessage)));
  return encode_frame(stream_id, kResponse, body);
}

void Session::feed(const void* data, size_t len) {
  reader_.feed(data, len);
  for (;;) {
    FrameReader::Item item = reader_.next();
    if (item.kind == FrameReader::Kind::need_more) return;
    handle(item);
  }
}

void Session::handle(const FrameReader::Item& item) {
  uint32_t id = item.header.stream_id;
  if (item.kind == FrameReader::Kind::oversized) {
    send_(response_frame(
        id, base::Error(base::Category::resource_exhausted,
                        "a message of " + std::to_string(item.header.length) +
                            " bytes exceeds the maximum of " + std::to_string(kMaxMessage))));
    return;
  }
  if (item.header.type != kRequest) return;  // stream frames of later ttrpc versions
  auto req = std::make_shared<::ttrpc::Request>();
  if (!req->ParseFromString(item.payload)) {
    send_(response_frame(id, base::invalid("cannot decode the request frame")));
    return;
  }
  if (id % 2 != 1) {
    send_(response_frame(id, base::invalid("stream id " + std::to_string(id) +
                                           " is even: a client's stream ids are odd")));
    return;
  }
  auto h = services_.find(req->service(), req->method());
  if (!h.ok()) {
    send_(response_frame(id, h.error()));
    return;
  }
  const Handler* handler = *h;
  Send send = send_;
  run_([handler, req, id, send] {
    (*handler)(std::move(*req->mutable_payload()),
               [id, send](base::Result<std::string> r) { send(response_frame(id, r)); });
  });
}

}  // namespace ttrpc
