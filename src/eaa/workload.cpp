#include "eaa/workload.h"

#include <openssl/x509.h>

#include "base/encoding.h"
#include "eaa/protocol.h"
#include "rats/crypto/x509.h"

namespace eaa {

base::Result<std::vector<uint8_t>> certificate_spki(std::span<const uint8_t> cert_der) {
  const unsigned char* p = cert_der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(cert_der.size()));
  if (cert == nullptr) return base::invalid("not a DER certificate");
  auto spki = rats::crypto::spki_der(cert);
  X509_free(cert);
  return spki;
}

base::Status send_message(rats::tls::Session& session, const base::Json& message) {
  std::string frame = encode_frame(message);
  return session.transmit(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(frame.data()), frame.size()));
}

base::Result<std::optional<base::Json>> read_message(rats::tls::Session& session,
                                                     FrameReader& reader) {
  for (;;) {
    if (auto m = reader.next()) {
      if (!m->ok()) return std::move(*m).error();
      return std::optional<base::Json>(std::move(**m));
    }
    uint8_t buf[16384];
    ASSIGN_OR_RETURN(size_t n, session.receive(buf));
    if (n == 0) {
      if (reader.pending() > 0) return base::invalid("the peer closed in the middle of a frame");
      return std::optional<base::Json>();
    }
    TRY(reader.feed(std::string_view(reinterpret_cast<const char*>(buf), n)));
  }
}

base::Status serve_messages(rats::tls::Session& session, const EvidenceHandler& get_evidence) {
  FrameReader reader;
  bool greeted = false;
  for (;;) {
    auto m = read_message(session, reader);
    if (!m.ok()) {
      // A frame over the limit or not a message: say so, then end the session (the stream
      // cannot be trusted to be in step after an oversized frame).
      (void)send_message(session, error_message(code::bad_frame, m.error().message()));
      return std::move(m).error();
    }
    if (!*m) return base::ok();
    const base::Json& msg = **m;
    const std::string type = msg["type"].get<std::string>();
    base::Json reply;
    if (type == "hello") {
      auto v = msg.find("version");
      if (v == msg.end() || !v->is_number_integer() || v->get<int64_t>() != kProtocolVersion) {
        reply = error_message(code::unsupported_version,
                              "this workload speaks version " + std::to_string(kProtocolVersion));
      } else {
        greeted = true;
        reply = {{"type", "hello"}, {"version", kProtocolVersion}};
      }
    } else if (!greeted) {
      reply = error_message(code::hello_first, "send hello first");
    } else if (type == "echo") {
      auto d = msg.find("data");
      if (d == msg.end() || !d->is_string())
        reply = error_message(code::bad_message, "echo needs a string `data`");
      else
        reply = {{"type", "echo"}, {"data", *d}};
    } else if (type == "get_evidence") {
      reply = get_evidence(msg);
    } else {
      reply = error_message(code::unknown_type, "unknown message type `" + base::clip(type) + "`");
    }
    TRY(send_message(session, reply));
  }
}

base::Status serve_workload(rats::tls::Session& session, const WorkloadIdentity& id) {
  return serve_messages(session, [&id](const base::Json& msg) -> base::Json {
    auto nonce = parse_nonce(msg);
    if (!nonce.ok()) return error_message(code::bad_nonce, nonce.error().message());
    auto rd = get_evidence_report_data(*nonce, id.spki_der);
    if (!rd.ok()) return error_message(code::no_evidence, rd.error().message());
    rats::Bytes<64> report_data;
    std::copy(rd->begin(), rd->end(), report_data.begin());
    auto ev = id.attester->collect(report_data);
    if (!ev.ok()) return error_message(code::no_evidence, ev.error().message());
    return {{"type", "evidence"},
            {"tee", id.tee},
            {"evidence", base::base64_encode(ev->data(), ev->size())}};
  });
}

}  // namespace eaa
