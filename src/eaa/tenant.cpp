#include "eaa/tenant.h"

#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/encoding.h"
#include "eaa/address.h"
#include "eaa/protocol.h"
#include "eaa/workload.h"
#include "rats/core/target_info.h"
#include "rats/tls.h"

namespace eaa {

namespace {

// inclavared's one-line answer to the preamble (read a byte at a time: what follows is TLS).
base::Status exchange_preamble(int fd, const std::string& line) {
  std::string out = line + "\n";
  if (send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
    return base::sys_error("cannot send the preamble");
  std::string answer;
  const int64_t deadline = base::monotonic_ms() + 30000;
  for (;;) {
    pollfd p = {fd, POLLIN, 0};
    int64_t left = deadline - base::monotonic_ms();
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) == 0)
      return base::Error(base::Category::deadline_exceeded,
                         "inclavared did not answer the preamble within 30 s");
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::sys_error("reading inclavared's answer to the preamble");
    if (n == 0)
      return base::Error(base::Category::unavailable,
                         "the connection closed before an answer to the preamble (is this "
                         "inclavared?)");
    if (c == '\n') break;
    answer += c;
    if (answer.size() > kMaxPreamble)
      return base::invalid("inclavared's answer to the preamble is longer than 4 KiB");
  }
  return parse_preamble_answer(answer);
}

struct TenantVerdict {
  TenantResult out;
  base::Json& v = out.verdict;
  explicit TenantVerdict(const TenantOptions& o) {
    v = {{"verdict", "rejected"},
         {"mode", o.broker ? "broker" : "relay"},
         {"address", o.address},
         {"container", o.container.empty() ? base::Json(nullptr) : base::Json(o.container)},
         {"tee", nullptr},
         {"origin", nullptr},
         {"nonce", nullptr},
         {"claims", base::Json::object()},
         {"reasons", base::Json::array()}};
  }
  void reject(const std::string& check, const std::string& detail) {
    v["reasons"].push_back({{"check", check}, {"detail", detail}});
  }
};

// Verifies `evidence` (base64) for `report_data`; its claims, origin and reasons go into `v`.
base::Result<rats::Verdict> verify_evidence(const TenantOptions& o, TenantVerdict& v,
                                            const std::vector<uint8_t>& evidence,
                                            const rats::Bytes<64>& report_data) {
  ASSIGN_OR_RETURN(auto verifier, rats::make_verifier("sim", {.sim_state_dir = o.sim_state_dir}));
  rats::VerifyRequest req;
  req.evidence = evidence;
  req.report_data = report_data;
  req.policy = &o.policy;
  req.collateral = o.collateral ? &*o.collateral : nullptr;
  req.at = o.at ? *o.at : static_cast<int64_t>(time(nullptr));
  ASSIGN_OR_RETURN(rats::Verdict fresh, verifier->verify(req));
  v.v["tee"] = fresh.tee;
  v.v["claims"] = fresh.claims;
  v.v["origin"] = fresh.claims.value("report_origin", "");
  for (const auto& r : fresh.reasons) v.reject(r.check, r.detail);
  return fresh;
}

}  // namespace

base::Result<TenantResult> attest(const TenantOptions& o) {
  if (o.broker && o.container.empty()) return base::invalid("broker mode needs a container");
  ASSIGN_OR_RETURN(Address addr, parse_address(o.address));
  TenantVerdict verdict(o);
  auto& v = verdict.v;
  auto wrap = [&](base::Error e) { return std::move(e).wrap("`" + o.address + "`"); };
  rats::tls::ContextOptions co;
  co.role = rats::tls::Role::client;
  if (!o.broker) {
    co.verifier = "sim";  // the SGX verifier, and the sim root only when the policy trusts it
    co.policy = o.policy;
    co.collateral = o.collateral;
    co.verify_at = o.at;
  }  // broker: inclavared's certificate proves nothing; the evidence it hands out does
  co.sim_state_dir = o.sim_state_dir;
  if (!o.attester.empty()) {
    co.mutual = true;
    co.attester = o.attester;
  }
  ASSIGN_OR_RETURN(auto ctx, rats::tls::Context::create(co));
  ASSIGN_OR_RETURN(base::UniqueFd fd, connect_to(addr));
  if (!o.container.empty()) {
    base::Json pre = o.broker ? base::Json{{"broker", true}} : base::Json{{"connect", o.container}};
    base::Status st = exchange_preamble(fd.get(), pre.dump());
    if (!st.ok()) return wrap(std::move(st).error());
  }
  ASSIGN_OR_RETURN(auto session, rats::tls::Session::create(*ctx, fd.get()));
  base::Status st = session->negotiate();
  const auto& hv = session->peer_verdict();
  if (!o.broker && hv) {
    v["tee"] = hv->tee;
    v["claims"] = hv->claims;
  }
  if (!st.ok()) {
    // The workload's certificate was rejected: a verdict, not a transport failure.
    if (!o.broker && hv && !hv->trusted) {
      v["reasons"] = hv->to_json()["reasons"];
      return std::move(verdict.out);
    }
    return wrap(std::move(st).error());
  }
  // hello, then evidence for a fresh nonce over this session.
  FrameReader reader;
  auto call = [&](const base::Json& m) -> base::Result<base::Json> {
    TRY(send_message(*session, m));
    ASSIGN_OR_RETURN(std::optional<base::Json> r, read_message(*session, reader));
    if (!r) return base::Error(base::Category::unavailable, "the peer closed the session");
    return std::move(*r);
  };
  auto hello = call({{"type", "hello"}, {"version", kProtocolVersion}});
  if (!hello.ok()) return wrap(std::move(hello).error());
  if ((*hello)["type"] != "hello")
    return wrap(base::Error(base::Category::unavailable, "hello was answered " + hello->dump()));
  std::vector<uint8_t> nonce(32);
  if (getrandom(nonce.data(), nonce.size(), 0) != 32) return base::sys_error("getrandom");
  const std::string nonce_hex = base::hex_encode(nonce.data(), nonce.size());
  v["nonce"] = nonce_hex;
  base::Json req = {{"type", "get_evidence"}, {"nonce", nonce_hex}};
  if (o.broker) req["container"] = o.container;
  auto ev = call(req);
  if (!ev.ok()) return wrap(std::move(ev).error());
  session->cleanup();
  if ((*ev)["type"] == "error")
    return wrap(base::Error(base::Category::unavailable, "get_evidence was refused (" +
                                                             (*ev).value("code", "") +
                                                             "): " + (*ev).value("message", "")));
  if ((*ev)["type"] != "evidence" || !(*ev)["evidence"].is_string()) {
    verdict.reject("evidence", "no evidence was given: " + base::clip(ev->dump(), 300));
    return std::move(verdict.out);
  }
  auto bytes = base::base64_decode((*ev)["evidence"].get<std::string>());
  if (!bytes) {
    verdict.reject("evidence", "the evidence is not base64");
    return std::move(verdict.out);
  }
  rats::Bytes<64> want{};
  if (o.broker) {
    // The nonce reaches the evidence only through the TARGETINFO the REPORT was made for.
    std::optional<std::vector<uint8_t>> ti;
    if ((*ev)["target_info"].is_string())
      ti = base::base64_decode((*ev)["target_info"].get<std::string>());
    if (!ti || ti->size() != rats::kTargetInfoSize) {
      verdict.reject("target_info", "the broker gave no 512-byte TARGETINFO");
      return std::move(verdict.out);
    }
    const size_t at = rats::kTargetInfoNonceOffset;
    size_t len = (*ti)[at];
    std::string carried = len >= 1 && len <= rats::kMaxNonceSize
                              ? base::hex_encode(ti->data() + at + 1, len)
                              : "(length " + std::to_string(len) + ")";
    if (carried != nonce_hex)
      verdict.reject("nonce", "the evidence's TARGETINFO carries nonce " + carried +
                                  ", not this session's " + nonce_hex +
                                  " (replayed or stale evidence)");
    if ((*ev)["tee"] == "sim") {
      auto expect = rats::bind_nonce(rats::sim_qe_target_info(), nonce);
      if (!expect.ok() || !std::equal(expect->begin(), expect->end(), ti->begin()))
        verdict.reject("target_info",
                       "the TARGETINFO is not the sim quoting enclave's with this nonce");
    }
    rats::Bytes<rats::kTargetInfoSize> tib;
    std::copy(ti->begin(), ti->end(), tib.begin());
    ASSIGN_OR_RETURN(want, rats::target_info_report_data(tib));
  } else {
    ASSIGN_OR_RETURN(std::vector<uint8_t> rd,
                     get_evidence_report_data(nonce, session->peer_spki_der()));
    std::copy(rd.begin(), rd.end(), want.begin());
  }
  ASSIGN_OR_RETURN(rats::Verdict fresh, verify_evidence(o, verdict, *bytes, want));
  if (!o.broker) {
    // The fresh evidence is of the enclave the certificate was: the same measurement.
    for (const char* claim : {"mrenclave", "mrsigner"}) {
      std::string a = hv->claims.value(claim, ""), b = fresh.claims.value(claim, "");
      if (a != b)
        verdict.reject("measurement", std::string(claim) + " of the certificate's evidence " + a +
                                          " differs from the fresh evidence's " + b);
    }
  }
  const std::string want_origin = o.broker ? "host" : "enclave";
  if (v["tee"] == "sim" && v["origin"] != want_origin)
    verdict.reject("report_origin", "the sim evidence's origin is `" +
                                        v["origin"].get<std::string>() + "`, not `" + want_origin +
                                        "`");
  verdict.out.trusted = fresh.trusted && v["reasons"].empty();
  v["verdict"] = verdict.out.trusted ? "trusted" : "rejected";
  return std::move(verdict.out);
}

}  // namespace eaa
