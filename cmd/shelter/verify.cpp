#include "verify.h"

#include <cstdio>
#include <ctime>
#include <optional>

#include "base/encoding.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/flags.h"
#include "rats/core/cache.h"
#include "rats/core/target_info.h"
#include "rats/verifier.h"

namespace shelter {

namespace {

struct Options {
  std::string tee;
  std::string evidence;
  std::string collateral;
  std::string policy;
  std::string sim_state_dir;
  std::optional<int64_t> at;
  std::optional<rats::Bytes<64>> report_data;
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "shelter verify: %s\n(run `shelter verify --help`)\n", msg.c_str());
  return base::kExitUsage;
}

// An error that stopped the verification; exit code by its category (base/exit_code.h).
int input_error(const base::Error& e) {
  std::fprintf(stderr, "shelter verify: %s\n", e.what().c_str());
  return base::exit_code(e, base::ExitStyle::tool);
}

const base::flags::Flag kVerifyFlags[] = {
    {"tee", 0, base::flags::Kind::value, "TEE",
     "sgx (DCAP quote v3/v4), tdx (quote v4/v5), snp (SEV-SNP report),\n"
     "sim (the simulated TEE's SGX-shaped quote)"},
    {"evidence", 0, base::flags::Kind::value, "FILE", "the evidence (at most 65536 bytes)"},
    {"collateral", 0, base::flags::Kind::value, "FILE",
     "JSON object mapping roles to files (paths relative to its folder):\n"
     "Intel: root_ca pck_crl pck_crl_issuer_chain root_ca_crl tcb_info\n"
     "tcb_info_issuer_chain qe_identity qe_identity_issuer_chain\n"
     "pck_cert pck_cert_issuer_chain; AMD: ark ask vcek.\n"
     "For sim the default is the sim state's collateral.json."},
    {"at", 0, base::flags::Kind::value, "UNIX_SECONDS", "the time to verify at (default: now)"},
    {"report-data", 0, base::flags::Kind::value, "HEX",
     "expected report data, up to 64 bytes (zero-padded to 64)"},
    {"nonce", 0, base::flags::Kind::value, "HEX",
     "the nonce (1 to 64 bytes) `rune attest --nonce` bound through the\n"
     "TARGETINFO: expected report data SHA-256(TARGETINFO with the nonce) || 0"},
    {"target-info", 0, base::flags::Kind::value, "FILE",
     "the TARGETINFO (512 bytes) the nonce was bound into (default: the sim QE's;\n"
     "rune attest prints the one it used as target_info)"},
    {"policy", 0, base::flags::Kind::value, "FILE",
     "JSON policy (docs/attestation.md); default: the default policy"},
    {"sim-state-dir", 0, base::flags::Kind::value, "DIR",
     "the sim TEE's state (default: /var/lib/inclavare/sim-tee as root)"},
};

}  // namespace

void print_verify_help() {
  std::printf(
      "Usage: shelter verify --tee sgx|tdx|snp|sim --evidence FILE [--collateral FILE]\n"
      "                      [--at UNIX_SECONDS] [--report-data HEX | --nonce HEX\n"
      "                      [--target-info FILE]] [--policy FILE] [--sim-state-dir DIR]\n"
      "\n"
      "Verifies one piece of evidence offline and prints one JSON object on stdout: verdict,\n"
      "tee, tcb_status, advisory_ids, reasons (for a rejection) and claims.\n"
      "\n"
      "%s"
      "\n"
      "Exit status: 0 trusted, 1 not trusted, 2 unusable input or bad usage.\n",
      base::flags::help_lines(kVerifyFlags, 20).c_str());
}

int verify_command(const std::vector<std::string>& args) {
  auto parsed =
      base::flags::parse(kVerifyFlags, args, base::flags::Order::interspersed, "shelter verify");
  if (!parsed.ok()) return usage_error(parsed.error().message());
  const base::flags::Args& a = *parsed;
  if (a.help) {
    print_verify_help();
    return base::kExitOk;
  }
  if (!a.positional.empty()) return usage_error("unexpected argument `" + a.positional[0] + "`");
  Options o;
  o.tee = a.get("tee");
  o.evidence = a.get("evidence");
  o.collateral = a.get("collateral");
  o.policy = a.get("policy");
  o.sim_state_dir = a.get("sim-state-dir");
  if (a.has("at")) {
    std::string v = a.get("at");
    auto t = base::parse_nonnegative(v);
    if (!t) return usage_error("`--at` must be Unix seconds, not `" + v + "`");
    o.at = *t;
  }
  if (a.has("report-data")) {
    std::string v = a.get("report-data");
    auto bytes = base::hex_decode(v);
    if (!bytes || bytes->empty() || bytes->size() > 64)
      return usage_error("`--report-data` must be 1 to 64 bytes of hex, not `" + v + "`");
    rats::Bytes<64> rd{};
    std::copy(bytes->begin(), bytes->end(), rd.begin());
    o.report_data = rd;
  }
  if (a.has("target-info") && !a.has("nonce"))
    return usage_error("`--target-info` goes with `--nonce`");
  if (a.has("nonce")) {
    if (a.has("report-data")) return usage_error("give `--report-data` or `--nonce`, not both");
    std::string v = a.get("nonce");
    auto nonce = base::hex_decode(v);
    if (!nonce || nonce->empty() || nonce->size() > rats::kMaxNonceSize)
      return usage_error("`--nonce` must be 1 to 64 bytes of hex, not `" + v + "`");
    rats::Bytes<rats::kTargetInfoSize> ti = rats::sim_qe_target_info();
    if (a.has("target-info")) {
      std::string path = a.get("target-info");
      auto text = base::read_file(path, rats::kTargetInfoSize + 1);
      if (!text.ok()) return input_error(std::move(text).error().wrap("`--target-info`"));
      if (text->size() != rats::kTargetInfoSize)
        return input_error(base::invalid("`--target-info` `" + path + "` has " +
                                         std::to_string(text->size()) +
                                         " bytes; a TARGETINFO has 512"));
      std::copy(text->begin(), text->end(), ti.begin());
    }
    auto bound = rats::bind_nonce(ti, *nonce);
    if (!bound.ok()) return usage_error(bound.error().message());
    auto rd = rats::target_info_report_data(*bound);
    if (!rd.ok()) return input_error(rd.error());
    o.report_data = *rd;
  }
  if (o.tee.empty()) return usage_error("`--tee` is required (sgx, tdx, snp or sim)");
  if (o.evidence.empty()) return usage_error("`--evidence` is required");
  std::string verifier_name;
  if (o.tee == "sgx")
    verifier_name = "sgx_ecdsa";
  else if (o.tee == "tdx")
    verifier_name = "tdx_ecdsa";
  else if (o.tee == "snp" || o.tee == "sim")
    verifier_name = o.tee;
  else
    return usage_error("`--tee` must be sgx, tdx, snp or sim, not `" + o.tee + "`");

  auto evidence = base::read_file(o.evidence);
  if (!evidence.ok()) return input_error(evidence.error());
  if (evidence->size() > rats::kMaxEvidenceSize) {
    return input_error(base::invalid("evidence `" + o.evidence + "` is larger than " +
                                     std::to_string(rats::kMaxEvidenceSize) + " bytes"));
  }
  rats::Collateral collateral;
  if (!o.collateral.empty()) {
    auto c = rats::load_collateral_json(o.collateral);
    if (!c.ok()) return input_error(c.error());
    collateral = std::move(c).value();
  }
  std::optional<rats::Policy> policy;
  if (!o.policy.empty()) {
    auto text = base::read_file(o.policy, 1 << 20);
    if (!text.ok()) return input_error(text.error());
    auto p = rats::parse_policy_json(*text);
    if (!p.ok()) return input_error(std::move(p).error().wrap("policy `" + o.policy + "`"));
    policy = std::move(p).value();
  }
  rats::VerifierOptions vo;
  vo.sim_state_dir = o.sim_state_dir;
  auto verifier = rats::make_verifier(verifier_name, vo);
  if (!verifier.ok()) return input_error(verifier.error());

  rats::VerifyRequest req;
  req.evidence = std::span(reinterpret_cast<const uint8_t*>(evidence->data()), evidence->size());
  req.collateral = o.collateral.empty() ? nullptr : &collateral;
  req.at = o.at ? *o.at : static_cast<int64_t>(std::time(nullptr));
  req.report_data = o.report_data;
  req.policy = policy ? &*policy : nullptr;
  auto verdict = (*verifier)->verify(req);
  if (!verdict.ok()) {
    return input_error(std::move(verdict).error().wrap("evidence `" + o.evidence + "`"));
  }
  std::printf("%s\n", verdict->to_json().dump(2).c_str());
  return verdict->trusted ? base::kExitOk : base::kExitFailure;
}

}  // namespace shelter
