// Rats-TLS contexts and sessions: TLS 1.3 on OpenSSL 3 with the peer's evidence verified in the
// certificate verification callback (include/rats/tls.h).
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <cerrno>
#include <ctime>
#include <limits>

#include "rats/core/cache.h"
#include "rats/crypto/ecdsa.h"
#include "rats/crypto/x509.h"
#include "rats/tls/internal.h"

namespace rats::tls {

struct Context::State {
  ContextOptions options;
  std::shared_ptr<const Attester> attester;  // used: server, or client in mutual mode
  std::shared_ptr<const Verifier> verifier;  // used: client, or server in mutual mode
  PkeyPtr key;
  X509Ptr cert;
  std::vector<uint8_t> cert_der;
  std::vector<uint8_t> evidence;
  SslCtxPtr ssl_ctx;

  bool presents_cert() const { return options.role == Role::server || options.mutual; }
  bool verifies_peer() const { return options.role == Role::client || options.mutual; }
};

struct Session::State {
  const Context::State* ctx = nullptr;
  int fd = -1;
  SslPtr ssl;
  std::optional<Verdict> verdict;
  std::vector<uint8_t> peer_spki;  // the peer certificate's SubjectPublicKeyInfo (DER)
  EvidenceForm form = EvidenceForm::none;
  std::string verify_error;    // set when our verification could not run
  std::string alert_sent;      // the first fatal alert we sent (its description)
  std::string alert_received;  // the first fatal alert the peer sent
  bool negotiated = false;
  bool failed = false;
  bool shut_down = false;
};

namespace {

int session_index() {
  static const int idx = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}

Session::State* session_of(const SSL* ssl) {
  return static_cast<Session::State*>(SSL_get_ex_data(ssl, session_index()));
}

std::string reasons_text(const Verdict& v) {
  std::string out;
  for (const Reason& r : v.reasons) out += (out.empty() ? "" : "; ") + r.check + ": " + r.detail;
  return out.empty() ? "not trusted" : out;
}

// SSL_CTX_set_cert_verify_callback: replaces OpenSSL's chain building. The peer's certificate is
// self-signed; what is verified is its evidence and that evidence's binding to its key (whose
// possession TLS 1.3's CertificateVerify then proves).
int verify_callback(X509_STORE_CTX* store, void*) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  Session::State* s = ssl ? session_of(ssl) : nullptr;
  X509* cert = X509_STORE_CTX_get0_cert(store);
  if (s == nullptr || cert == nullptr) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  const ContextOptions& o = s->ctx->options;
  PeerCheck check;
  check.verifier = s->ctx->verifier.get();
  check.collateral = o.collateral ? &*o.collateral : nullptr;
  check.policy = o.policy ? &*o.policy : nullptr;
  check.at = o.verify_at ? *o.verify_at : static_cast<int64_t>(std::time(nullptr));
  if (auto spki = crypto::spki_der(cert); spki.ok()) s->peer_spki = std::move(spki).value();
  base::Result<Verdict> v = verify_peer_cert(cert, check, &s->form);
  if (!v.ok()) {
    s->verify_error = v.error().message();
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  s->verdict = std::move(v).value();
  if (!s->verdict->trusted) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);  // alert bad_certificate
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

// The description of an alert (the low byte of the info callback's `ret`). OpenSSL 3.0 has no
// names for the TLS 1.3 alerts (RFC 8446 §6), which it calls "unknown".
std::string alert_description(int ret) {
  switch (ret & 0xff) {
    case SSL_AD_MISSING_EXTENSION:
      return "missing extension";
    case SSL_AD_CERTIFICATE_REQUIRED:
      return "certificate required";
    default:
      break;
  }
  std::string name = SSL_alert_desc_string_long(ret);
  return name == "unknown" ? "alert " + std::to_string(ret & 0xff) : name;
}

// Records the first fatal alert in each direction. SSL_CB_READ_ALERT and SSL_CB_WRITE_ALERT
// share the SSL_CB_ALERT bit, so the direction is told by SSL_CB_READ / SSL_CB_WRITE.
void info_callback(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_ALERT) == 0 || (ret >> 8) != SSL3_AL_FATAL) return;
  Session::State* s = session_of(ssl);
  if (s == nullptr) return;
  std::string& slot = (where & SSL_CB_WRITE) != 0 ? s->alert_sent : s->alert_received;
  if (slot.empty()) slot = alert_description(ret);
}

base::Result<SslCtxPtr> make_ssl_ctx(Context::State& c) {
  bool server = c.options.role == Role::server;
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return crypto::internal("SSL_CTX_new failed");
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) != 1)
    return crypto::internal("could not restrict the context to TLS 1.3");
  // Every connection is attested: no resumption.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  if (server) SSL_CTX_set_num_tickets(ctx.get(), 0);
  if (c.presents_cert()) {
    if (SSL_CTX_use_certificate(ctx.get(), c.cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), c.key.get()) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1)
      return crypto::openssl_error(base::Category::internal, "could not install the certificate");
  }
  int mode = SSL_VERIFY_NONE;
  if (c.verifies_peer()) mode = SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
  SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx.get(), verify_callback, nullptr);
  return ctx;
}

// Key, evidence bound to it (DICE form), certificate.
base::Status make_identity(Context::State& c) {
  ASSIGN_OR_RETURN(c.key, generate_p256_key());
  std::vector<RawExtension> extensions;
  if (c.presents_cert()) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> spki, spki_of(c.key.get()));
    ASSIGN_OR_RETURN(Bytes<32> spki_hash, crypto::sha256(spki));
    std::vector<uint8_t> claims = encode_claims(spki_hash);
    if (claims.empty()) return crypto::internal("could not encode the evidence claims");
    ASSIGN_OR_RETURN(Bytes<64> report_data, report_data_for(claims));
    base::Result<std::vector<uint8_t>> ev = c.attester->collect(report_data);
    if (!ev.ok())
      return std::move(ev).error().wrap("attester `" + std::string(c.attester->name()) + "`");
    c.evidence = std::move(ev).value();
    if (!c.evidence.empty()) {
      std::vector<uint8_t> value = encode_dice_evidence({c.evidence, claims});
      if (value.empty()) return crypto::internal("could not encode the evidence extension");
      ASSIGN_OR_RETURN(std::vector<uint8_t> oid, oid_content_bytes(kDiceEvidenceOid));
      extensions.push_back({std::move(oid), std::move(value)});
    }
  }
  ASSIGN_OR_RETURN(c.cert, self_signed_cert(c.key.get(), extensions));
  ASSIGN_OR_RETURN(c.cert_der, der_of(c.cert.get()));
  return base::ok();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Context

Context::Context(std::unique_ptr<State> state) : s_(std::move(state)) {}
Context::~Context() = default;

base::Result<std::unique_ptr<Context>> Context::create(ContextOptions options) {
  auto s = std::make_unique<State>();
  s->options = std::move(options);
  ContextOptions& o = s->options;
  if (s->presents_cert()) {
    if (o.attester_object) {
      s->attester = o.attester_object;
    } else {
      AttesterOptions ao;
      ao.sim_state_dir = o.sim_state_dir;
      ASSIGN_OR_RETURN(std::unique_ptr<Attester> a, make_attester(o.attester, ao));
      s->attester = std::move(a);
    }
  }
  if (s->verifies_peer()) {
    if (o.verifier_object) {
      s->verifier = o.verifier_object;
    } else {
      VerifierOptions vo;
      vo.cache = o.cache ? o.cache : std::make_shared<CollateralCache>();
      vo.sim_state_dir = o.sim_state_dir;
      ASSIGN_OR_RETURN(std::unique_ptr<Verifier> v, make_verifier(o.verifier, vo));
      s->verifier = std::move(v);
    }
  }
  TRY(make_identity(*s));
  ASSIGN_OR_RETURN(s->ssl_ctx, make_ssl_ctx(*s));
  return std::unique_ptr<Context>(new Context(std::move(s)));
}

Role Context::role() const {
  return s_->options.role;
}
bool Context::mutual() const {
  return s_->options.mutual;
}
const std::vector<uint8_t>& Context::certificate_der() const {
  return s_->cert_der;
}
const std::vector<uint8_t>& Context::evidence() const {
  return s_->evidence;
}

// ---------------------------------------------------------------------------------------------
// Session

namespace {

// Waits until `fd` is ready for what OpenSSL wants.
base::Status wait_for(int fd, int ssl_error) {
  pollfd p{fd, static_cast<short>(ssl_error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
  while (poll(&p, 1, -1) < 0) {
    if (errno != EINTR) return base::sys_error("poll");
  }
  return base::ok();
}

// " (the peer ...)" after a received alert whose usual cause we know.
std::string received_alert_hint(const std::string& alert) {
  return alert == "bad certificate" ? " (the peer did not accept our certificate or evidence)" : "";
}

// The error of a failed SSL call, with what we know about why. An alert we sent is reported as
// ours, with what made us send it: our rejection of the peer, else OpenSSL's reasons. An alert
// the peer sent is reported as the peer's.
base::Error failure(Session::State& s, int ssl_error, std::string_view what) {
  s.failed = true;
  int saved_errno = errno;
  std::string queue = crypto::drain_openssl_errors();
  std::string rejection;
  if (s.verdict && !s.verdict->trusted) {
    rejection = "peer evidence rejected: " + reasons_text(*s.verdict);
  } else if (!s.verify_error.empty()) {
    rejection = "peer certificate rejected: " + s.verify_error;
  }
  if (!s.alert_sent.empty()) {
    std::string because = !rejection.empty() ? rejection
                          : !queue.empty()   ? queue
                                             : "of an error OpenSSL did not name";
    std::string also =
        s.alert_received.empty() ? "" : "; the peer sent TLS alert `" + s.alert_received + "`";
    return base::Error(
        rejection.empty() ? base::Category::unavailable : base::Category::failed_precondition,
        std::string(what) + ": we sent TLS alert `" + s.alert_sent + "` because " + because + also);
  }
  // Rejected, but no alert went out (the peer may have gone already).
  if (!rejection.empty()) return base::Error(base::Category::failed_precondition, rejection);
  if (!s.alert_received.empty()) {
    return base::Error(base::Category::unavailable, std::string(what) + ": peer sent TLS alert `" +
                                                        s.alert_received + "`" +
                                                        received_alert_hint(s.alert_received));
  }
  if (ssl_error == SSL_ERROR_SYSCALL) {
    if (saved_errno != 0 && queue.empty())
      return base::sys_error(std::string(what) + ": connection error", saved_errno);
    return base::Error(base::Category::unavailable, std::string(what) +
                                                        ": connection closed by the peer" +
                                                        (queue.empty() ? "" : " (" + queue + ")"));
  }
  return base::Error(base::Category::unavailable,
                     std::string(what) + " failed" + (queue.empty() ? "" : ": " + queue));
}

// Runs `call` until it makes progress: > 0 its result, 0 a clean close by the peer.
template <class F>
base::Result<int> drive(Session::State& s, std::string_view what, F call) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = call();
    if (r > 0) return r;
    int e = SSL_get_error(s.ssl.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      TRY(wait_for(s.fd, e));
      continue;
    }
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    return failure(s, e, what);
  }
}

}  // namespace

Session::Session(std::unique_ptr<State> state) : s_(std::move(state)) {}

Session::~Session() {
  cleanup();
}

base::Result<std::unique_ptr<Session>> Session::create(const Context& context, int fd) {
  if (fd < 0) return base::invalid("session needs a connected fd, got " + std::to_string(fd));
  auto s = std::make_unique<State>();
  s->ctx = context.s_.get();
  s->fd = fd;
  s->ssl.reset(SSL_new(s->ctx->ssl_ctx.get()));
  if (!s->ssl) return crypto::internal("SSL_new failed");
  if (SSL_set_fd(s->ssl.get(), fd) != 1) return crypto::internal("SSL_set_fd failed");
  if (SSL_set_ex_data(s->ssl.get(), session_index(), s.get()) != 1)
    return crypto::internal("SSL_set_ex_data failed");
  SSL_set_info_callback(s->ssl.get(), info_callback);
  return std::unique_ptr<Session>(new Session(std::move(s)));
}

base::Status Session::negotiate() {
  State& s = *s_;
  if (s.negotiated) return base::Error(base::Category::failed_precondition, "already negotiated");
  if (s.failed) return base::Error(base::Category::failed_precondition, "session has failed");
  bool server = s.ctx->options.role == Role::server;
  ASSIGN_OR_RETURN(int r, drive(s, "TLS handshake", [&] {
                     return server ? SSL_accept(s.ssl.get()) : SSL_connect(s.ssl.get());
                   }));
  if (r == 0) {
    s.failed = true;
    return base::Error(base::Category::unavailable, "TLS handshake: peer closed the connection");
  }
  // Belt and braces: a verifying side has a trusted verdict here, or the handshake had failed.
  if (s.ctx->verifies_peer() && (!s.verdict || !s.verdict->trusted)) {
    s.failed = true;
    return base::Error(base::Category::internal, "handshake completed without a verified peer");
  }
  s.negotiated = true;
  return base::ok();
}

base::Status Session::transmit(std::span<const uint8_t> data) {
  State& s = *s_;
  if (!s.negotiated || s.failed)
    return base::Error(base::Category::failed_precondition, "transmit before a negotiated session");
  while (!data.empty()) {
    int n = static_cast<int>(std::min<size_t>(data.size(), std::numeric_limits<int>::max()));
    ASSIGN_OR_RETURN(int w,
                     drive(s, "transmit", [&] { return SSL_write(s.ssl.get(), data.data(), n); }));
    if (w == 0)
      return base::Error(base::Category::unavailable, "transmit: peer closed the connection");
    data = data.subspan(static_cast<size_t>(w));
  }
  return base::ok();
}

base::Result<size_t> Session::receive(std::span<uint8_t> buffer) {
  State& s = *s_;
  if (!s.negotiated || s.failed)
    return base::Error(base::Category::failed_precondition, "receive before a negotiated session");
  if (buffer.empty()) return size_t{0};
  int n = static_cast<int>(std::min<size_t>(buffer.size(), std::numeric_limits<int>::max()));
  ASSIGN_OR_RETURN(int r,
                   drive(s, "receive", [&] { return SSL_read(s.ssl.get(), buffer.data(), n); }));
  return static_cast<size_t>(r);
}

void Session::cleanup() {
  State& s = *s_;
  if (s.shut_down) return;
  s.shut_down = true;
  if (s.negotiated && !s.failed) {
    // One close_notify, not waiting for the peer's (the fd belongs to the caller).
    (void)SSL_shutdown(s.ssl.get());
  }
  ERR_clear_error();
}

const std::optional<Verdict>& Session::peer_verdict() const {
  return s_->verdict;
}
const std::vector<uint8_t>& Session::peer_spki_der() const {
  return s_->peer_spki;
}
EvidenceForm Session::peer_evidence_form() const {
  return s_->form;
}

}  // namespace rats::tls
