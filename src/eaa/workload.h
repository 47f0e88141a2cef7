// The workload's side of the EAA protocol, as eaa-sample serves it: after the attested TLS
// handshake, hello first, then echo and get_evidence until the client closes. Evidence for
// get_evidence binds the nonce to this session's TLS key (get_evidence_report_data), never to
// bytes the client chose.
#pragma once

#include <functional>
#include <span>
#include <string>

#include <optional>
#include <vector>

#include "base/error.h"
#include "eaa/protocol.h"
#include "rats/attester.h"
#include "rats/tls.h"

namespace eaa {

struct WorkloadIdentity {
  const rats::Attester* attester = nullptr;  // the one the TLS certificate's evidence came from
  std::string tee;                           // as `evidence` names it (sim, sgx, …)
  std::vector<uint8_t> spki_der;             // the TLS key's SubjectPublicKeyInfo
};

// The SubjectPublicKeyInfo (DER) of a certificate (DER): a Context's, for WorkloadIdentity.
base::Result<std::vector<uint8_t>> certificate_spki(std::span<const uint8_t> cert_der);

// Answers a get_evidence message (hello was seen): an evidence or an error message.
using EvidenceHandler = std::function<base::Json(const base::Json& get_evidence)>;

// Serves one negotiated session until the client closes (ok) or the stream breaks (the error):
// hello first, echo, and get_evidence through `get_evidence`; other types get unknown_type.
base::Status serve_messages(rats::tls::Session& session, const EvidenceHandler& get_evidence);

// serve_messages with evidence from the workload's own attester, bound to its TLS key.
base::Status serve_workload(rats::tls::Session& session, const WorkloadIdentity& id);

// Frame I/O over a session: sends one message; reads the next (nullopt: the peer closed).
base::Status send_message(rats::tls::Session& session, const base::Json& message);
base::Result<std::optional<base::Json>> read_message(rats::tls::Session& session,
                                                     FrameReader& reader);

}  // namespace eaa
