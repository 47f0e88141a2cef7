// Rats-TLS: attested TLS 1.3 on OpenSSL 3 (attestation-formats.md §7).
//
// The shape is that of Inclavare's rats-tls (init, negotiate, transmit, receive, cleanup) with
// Result errors:
//
//   auto ctx = rats::tls::Context::create({.role = Role::server, .attester = "sim", ...});
//   auto s = rats::tls::Session::create(*ctx, fd);   // per connection, over a connected fd
//   s->negotiate();                                  // handshake + attestation of the peer
//   s->transmit(bytes); s->receive(buffer);          // application data
//   s->peer_verdict();                               // the peer's rats::Verdict (claims JSON)
//
// A Context is made once per configuration: it generates an ephemeral ECDSA P-256 key and a
// self-signed certificate that carries evidence bound to that key, and reuses both for every
// connection. Evidence is emitted in the TCG DICE form (extension 2.23.133.5.4.9, CBOR tag 60000
// over [bstr evidence, bstr claims], claims = {"pubkey-hash": bstr([1, SHA-256(SPKI)])}, report
// data = SHA-256(claims) || 32 zero bytes). Peer certificates are accepted in that form or in the
// Intel/Gramine RA-TLS form (extension 1.2.840.113741.1337.6, also with Gramine's malformed OID
// encoding; raw quote whose report data = SHA-256(SPKI) || 32 zero bytes).
//
// With the null attester no evidence extension is emitted; the null verifier accepts a peer
// without one, every other verifier rejects it ("no evidence extension").
//
// Fail closed: the verifying side sends a `bad certificate` alert and its negotiate() fails saying
// so and why ("TLS handshake: we sent TLS alert `bad certificate` because peer evidence rejected:
// quote_signature: ..."); the rejected side's call fails with "peer sent TLS alert `bad
// certificate`". Every alert is reported by its direction: one we sent with what made us send it
// (our rejection of the peer, else OpenSSL's reasons), one we received as the peer's. A client
// never sends application data before it has verified the server. In mutual mode, a TLS 1.3
// client's negotiate() may succeed before the server has rejected its certificate; its first
// receive() then fails, while the server's negotiate() fails, so the server application never reads
// the client's data.
//
// Sessions do not resume (no tickets, no session cache): every connection is attested. Writes to
// a closed peer may raise SIGPIPE; programs that do not want it ignore SIGPIPE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "base/error.h"
#include "rats/attester.h"
#include "rats/policy.h"
#include "rats/verifier.h"

namespace rats::tls {

enum class Role { client, server };

struct ContextOptions {
  Role role = Role::client;
  // The attester: an object, or else a registry name (make_attester). A client uses it only in
  // mutual mode.
  std::shared_ptr<const Attester> attester_object;
  std::string attester = "nullattester";
  // The verifier of the peer's evidence: an object, or else a registry name (make_verifier). A
  // server uses it only in mutual mode.
  std::shared_ptr<const Verifier> verifier_object;
  std::string verifier = "nullverifier";
  // Server: request and verify a client certificate with evidence. Client: present one.
  bool mutual = false;
  std::optional<Policy> policy;          // none: the default policy
  std::optional<Collateral> collateral;  // none: the verifier's own (the sim one finds its own)
  std::optional<int64_t> verify_at;      // Unix time to verify at; none: the current time
  std::string sim_state_dir;             // passed to the sim attester and verifier
  // Verified-collateral cache shared by the verifier made by name; none: one per Context.
  std::shared_ptr<CollateralCache> cache;
};

class Context;

// Decoded evidence extension of a peer certificate.
enum class EvidenceForm { none, dice, intel_quote };

class Session {
 public:
  // A session over the connected stream socket `fd` (blocking or not; not owned: the caller
  // closes it after cleanup()). The Context must outlive the Session.
  static base::Result<std::unique_ptr<Session>> create(const Context& context, int fd);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // TLS 1.3 handshake with attestation of the peer (server: only in mutual mode).
  base::Status negotiate();
  // Writes all of `data`.
  base::Status transmit(std::span<const uint8_t> data);
  // Reads up to `buffer.size()` bytes; 0 means the peer closed the connection cleanly.
  base::Result<size_t> receive(std::span<uint8_t> buffer);
  // Sends close_notify (once); the destructor does it too. The fd stays open.
  void cleanup();

  // The verdict on the peer after negotiate(): the server's for a client, the client's for a
  // server in mutual mode (nullopt for a server that did not request one).
  const std::optional<Verdict>& peer_verdict() const;
  // The peer certificate's SubjectPublicKeyInfo (DER), once it was verified (empty before).
  const std::vector<uint8_t>& peer_spki_der() const;
  // Which evidence extension the peer's certificate carried.
  EvidenceForm peer_evidence_form() const;

  struct State;

 private:
  explicit Session(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

class Context {
 public:
  // Makes the attester/verifier, the key, the evidence and the certificate.
  static base::Result<std::unique_ptr<Context>> create(ContextOptions options);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Role role() const;
  bool mutual() const;
  // Our certificate (DER) with its evidence extension, if one was made.
  const std::vector<uint8_t>& certificate_der() const;
  // The evidence in our certificate (empty with the null attester).
  const std::vector<uint8_t>& evidence() const;

  struct State;

 private:
  friend class Session;
  explicit Context(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

// ---------------------------------------------------------------------------------------------
// Certificate evidence encoding (exposed for tests and tools).

inline constexpr std::string_view kDiceEvidenceOid = "2.23.133.5.4.9";
inline constexpr std::string_view kIntelRaTlsQuoteOid = "1.2.840.113741.1337.6";
inline constexpr uint64_t kCborTagTeeQuote = 60000;

// The DICE conceptual-message-wrapper value: tag 60000 over [bstr evidence, bstr claims].
struct DiceEvidence {
  std::vector<uint8_t> evidence;
  std::vector<uint8_t> claims;  // the serialized CBOR claims map, as signed over
};
std::vector<uint8_t> encode_dice_evidence(const DiceEvidence& value);
base::Result<DiceEvidence> decode_dice_evidence(std::span<const uint8_t> cbor);

// The serialized claims map {"pubkey-hash": bstr(serialized [1, bstr sha256])}, and its inverse
// (hash algorithm id per IANA Named Information: 1 sha-256, 7 sha-384, 8 sha-512).
std::vector<uint8_t> encode_claims(std::span<const uint8_t, 32> spki_sha256);
struct Claims {
  int64_t hash_alg = 0;
  std::vector<uint8_t> pubkey_hash;
  std::optional<std::vector<uint8_t>> nonce;
};
base::Result<Claims> decode_claims(std::span<const uint8_t> cbor);

// Report data: SHA-256(claims) || 32 zero bytes (DICE) or SHA-256(SPKI) || 32 zero bytes (Intel).
base::Result<Bytes<64>> report_data_for(std::span<const uint8_t> hashed);

// The peer certificate's evidence extension, found by its OID bytes.
struct CertEvidence {
  EvidenceForm form = EvidenceForm::none;
  std::vector<uint8_t> value;  // the extension's OCTET STRING contents
};
// `der` is one DER certificate. Errors: unparsable certificate, an evidence extension twice.
base::Result<CertEvidence> find_cert_evidence(std::span<const uint8_t> der);
// The same on a parsed certificate (the handshake's peer certificate: no second parse).
base::Result<CertEvidence> find_cert_evidence(const X509* cert);

// Verifies the evidence of a peer certificate (DER): the binding to its key and the evidence
// itself. The Verdict's reasons say why it is not trusted ("no evidence extension",
// "report_data", "evidence", and the verifier's own).
struct PeerCheck {
  const Verifier* verifier = nullptr;
  const Collateral* collateral = nullptr;
  const Policy* policy = nullptr;
  int64_t at = 0;
};
base::Result<Verdict> verify_peer_certificate(std::span<const uint8_t> der, const PeerCheck& check,
                                              EvidenceForm* form = nullptr);

// A self-signed certificate for `key_der` (PKCS#8 DER private key, P-256) carrying `extensions`
// (OID text or raw OID content bytes → value): for tests that build peers by hand.
struct RawExtension {
  std::vector<uint8_t> oid_content;  // the OID's DER content bytes (no tag/length)
  std::vector<uint8_t> value;
};
struct CertKey {
  std::vector<uint8_t> cert_der;
  std::vector<uint8_t> key_der;   // PKCS#8
  std::vector<uint8_t> spki_der;  // the certificate's SubjectPublicKeyInfo
};
base::Result<CertKey> make_self_signed(const std::vector<RawExtension>& extensions,
                                       const std::vector<uint8_t>& key_der = {});
base::Result<std::vector<uint8_t>> oid_content_bytes(std::string_view dotted);

}  // namespace rats::tls
