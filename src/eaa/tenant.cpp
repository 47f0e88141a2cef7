#include "eaa/tenant.h"

#include <sys/random.h>

#include "base/encoding.h"
#include "eaa/address.h"
#include "eaa/protocol.h"
#include "eaa/workload.h"
#include "rats/tls.h"

namespace eaa {

base::Result<TenantResult> attest_relay(const TenantOptions& o) {
  ASSIGN_OR_RETURN(Address addr, parse_address(o.address));
  TenantResult out;
  base::Json& v = out.verdict;
  v = {{"verdict", "rejected"},
       {"mode", "relay"},
       {"address", o.address},
       {"container", nullptr},
       {"tee", nullptr},
       {"origin", nullptr},
       {"nonce", nullptr},
       {"claims", base::Json::object()},
       {"reasons", base::Json::array()}};
  auto reject = [&](const std::string& check, const std::string& detail) {
    v["reasons"].push_back({{"check", check}, {"detail", detail}});
  };
  rats::tls::ContextOptions co;
  co.role = rats::tls::Role::client;
  co.verifier = "sim";  // the SGX verifier, and the sim root only when the policy trusts it
  co.policy = o.policy;
  co.collateral = o.collateral;
  co.verify_at = o.at;
  co.sim_state_dir = o.sim_state_dir;
  ASSIGN_OR_RETURN(auto ctx, rats::tls::Context::create(co));
  ASSIGN_OR_RETURN(base::UniqueFd fd, connect_to(addr));
  ASSIGN_OR_RETURN(auto session, rats::tls::Session::create(*ctx, fd.get()));
  base::Status st = session->negotiate();
  const auto& hv = session->peer_verdict();
  if (hv) {
    v["tee"] = hv->tee;
    v["claims"] = hv->claims;
  }
  if (!st.ok()) {
    // The workload's certificate was rejected: a verdict, not a transport failure.
    if (hv && !hv->trusted) {
      v["reasons"] = hv->to_json()["reasons"];
      return out;
    }
    return std::move(st).error().wrap("`" + o.address + "`");
  }
  // hello, then evidence for a fresh nonce over this session.
  FrameReader reader;
  auto call = [&](const base::Json& m) -> base::Result<base::Json> {
    TRY(send_message(*session, m));
    ASSIGN_OR_RETURN(std::optional<base::Json> r, read_message(*session, reader));
    if (!r) return base::Error(base::Category::unavailable, "the workload closed the session");
    return std::move(*r);
  };
  auto hello = call({{"type", "hello"}, {"version", kProtocolVersion}});
  if (!hello.ok()) return std::move(hello).error().wrap("`" + o.address + "`");
  if ((*hello)["type"] != "hello")
    return base::Error(base::Category::unavailable,
                       "`" + o.address + "`: the workload answered hello with " + hello->dump());
  std::vector<uint8_t> nonce(32);
  if (getrandom(nonce.data(), nonce.size(), 0) != 32) return base::sys_error("getrandom");
  v["nonce"] = base::hex_encode(nonce.data(), nonce.size());
  auto ev = call({{"type", "get_evidence"}, {"nonce", v["nonce"]}});
  if (!ev.ok()) return std::move(ev).error().wrap("`" + o.address + "`");
  session->cleanup();
  if ((*ev)["type"] != "evidence" || !(*ev)["evidence"].is_string()) {
    reject("evidence", "the workload gave no evidence: " + base::clip(ev->dump(), 200));
    return out;
  }
  auto bytes = base::base64_decode((*ev)["evidence"].get<std::string>());
  if (!bytes) {
    reject("evidence", "the workload's evidence is not base64");
    return out;
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> rd,
                   get_evidence_report_data(nonce, session->peer_spki_der()));
  ASSIGN_OR_RETURN(auto verifier, rats::make_verifier("sim", {.sim_state_dir = o.sim_state_dir}));
  rats::VerifyRequest req;
  req.evidence = *bytes;
  rats::Bytes<64> want;
  std::copy(rd.begin(), rd.end(), want.begin());
  req.report_data = want;
  req.policy = &o.policy;
  req.collateral = o.collateral ? &*o.collateral : nullptr;
  req.at = o.at ? *o.at : static_cast<int64_t>(time(nullptr));
  ASSIGN_OR_RETURN(rats::Verdict fresh, verifier->verify(req));
  v["claims"] = fresh.claims;
  v["origin"] = fresh.claims.value("report_origin", "");
  for (const auto& r : fresh.reasons) reject(r.check, r.detail);
  // The fresh evidence is of the enclave the certificate was: the same measurement.
  for (const char* claim : {"mrenclave", "mrsigner"}) {
    std::string a = hv->claims.value(claim, ""), b = fresh.claims.value(claim, "");
    if (a != b)
      reject("measurement", std::string(claim) + " of the certificate's evidence " + a +
                                " differs from the fresh evidence's " + b);
  }
  if (v["tee"] == "sim" && v["origin"] != "enclave")
    reject("report_origin", "the fresh sim evidence's origin is `" +
                                v["origin"].get<std::string>() + "`, not `enclave`");
  out.trusted = fresh.trusted && v["reasons"].empty();
  v["verdict"] = out.trusted ? "trusted" : "rejected";
  return out;
}

}  // namespace eaa
