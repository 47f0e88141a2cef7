// verify-quote: shelter's verifier, policy and collateral, offline, for one quote or a batch that
// shares one CollateralCache. No socket is opened.
#include <cstdio>
#include <ctime>
#include <memory>

#include "base/encoding.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/json_reader.h"
#include "rats/core/cache.h"
#include "rats/formats/intel_quote.h"
#include "rats/verifier.h"
#include "sgx_tools/common.h"
#include "sgx_tools/tools.h"

namespace sgx_tools {

namespace {

const char* kCmd = "verify-quote";

struct Outcome {
  int code = 0;
  std::string line;   // text output
  std::string error;  // what stopped the verification, if something did
  base::Json json;
};

Outcome error_outcome(const std::string& quote, const base::Error& e, bool batch) {
  Outcome o;
  o.code = base::exit_code(e, base::ExitStyle::tool);
  o.error = e.what();
  o.line = (batch ? quote + ": " : std::string()) + "error: " + o.error;
  o.json = {{"quote", quote}, {"verdict", "error"}, {"error", o.error}};
  return o;
}

}  // namespace

int verify_quote(const Global& g, const VerifyQuoteOptions& o) {
  if (o.quotes.empty())
    return fail(kCmd, base::invalid("`--quote` or `--quotes-from` is required"));
  if (o.collateral.empty() && o.trust_sim_root.empty()) {
    return fail(kCmd, base::invalid("`--collateral FILE` is required (or `--trust-sim-root DIR` "
                                    "for quotes of the sim TEE)"));
  }
  rats::Collateral collateral;
  const bool have_collateral = !o.collateral.empty();
  if (have_collateral) {
    auto c = rats::load_collateral_json(o.collateral);
    if (!c.ok()) return fail(kCmd, std::move(c).error().wrap("`--collateral`"));
    collateral = std::move(c).value();
  }
  std::optional<rats::Policy> policy;
  if (!o.policy.empty()) {
    auto text = base::read_file(o.policy, 1 << 20);
    if (!text.ok()) return fail(kCmd, text.error());
    auto p = rats::parse_policy_json(*text);
    if (!p.ok()) return fail(kCmd, std::move(p).error().wrap("policy `" + o.policy + "`"));
    policy = std::move(p).value();
  }
  // --trust-sim-root: the sim verifier over that state, with its root trusted (the only way
  // sgx-tools trusts it; a policy file's "trust_sim_root" alone is not enough without the flag).
  if (!o.trust_sim_root.empty()) {
    if (!policy) policy.emplace();
    policy->trust_sim_root(rats::TrustSimRoot{});
  }
  std::optional<rats::Bytes<64>> report_data;
  if (o.report_data) {
    rats::Bytes<64> rd{};
    std::copy(o.report_data->begin(), o.report_data->end(), rd.begin());
    report_data = rd;
  }
  rats::VerifierOptions vo;
  vo.cache = std::make_shared<rats::CollateralCache>();
  vo.sim_state_dir = o.trust_sim_root;
  auto verifier = rats::make_verifier(o.trust_sim_root.empty() ? "sgx_ecdsa" : "sim", vo);
  if (!verifier.ok()) return fail(kCmd, verifier.error());
  const int64_t at = o.at ? *o.at : static_cast<int64_t>(std::time(nullptr));

  auto one = [&](const std::string& path) -> Outcome {
    auto bytes = read_bytes(path, rats::kMaxEvidenceSize);
    if (!bytes.ok()) return error_outcome(path, bytes.error(), o.batch);
    // TDX quotes have their own verifier in shelter.
    if (bytes->size() >= 8 && (*bytes)[0] >= 4 && (*bytes)[4] == 0x81) {
      return error_outcome(path,
                           base::invalid("`" + path +
                                         "` is a TDX quote: use `shelter verify --tee "
                                         "tdx --evidence " +
                                         path + "`"),
                           o.batch);
    }
    rats::VerifyRequest req;
    req.evidence = *bytes;
    req.collateral = have_collateral ? &collateral : nullptr;
    req.at = at;
    req.report_data = report_data;
    req.policy = policy ? &*policy : nullptr;
    auto v = (*verifier)->verify(req);
    if (!v.ok())
      return error_outcome(path, std::move(v).error().wrap("quote `" + path + "`"), o.batch);
    Outcome out;
    out.code = v->trusted ? 0 : 1;
    if (g.json) {  // built only when printed: the batch is measured against the library
      out.json = v->to_json();
      if (o.batch) out.json["quote"] = path;
    }
    std::string tcb = v->tcb_status ? std::string(rats::tcb_status_name(*v->tcb_status)) : "-";
    out.line = (o.batch ? path + ": " : std::string()) + (v->trusted ? "trusted" : "not trusted") +
               " (tcb_status " + tcb + ")";
    for (const auto& r : v->reasons) out.line += "; " + r.check + ": " + r.detail;
    return out;
  };

  int worst = 0;
  for (const std::string& path : o.quotes) {
    Outcome out = one(path);
    if (g.json) {
      std::fputs((o.batch ? out.json.dump() : out.json.dump(2)).c_str(), stdout);
      std::fputc('\n', stdout);
    } else if (out.code == 2 && !o.batch) {
      std::fprintf(stderr, "sgx-tools %s: %s\n", kCmd, out.error.c_str());
    } else {
      std::puts(out.line.c_str());
    }
    worst = std::max(worst, out.code);
  }
  return worst;
}

}  // namespace sgx_tools
