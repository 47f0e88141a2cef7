// shelter attest: flags and output only; the protocol is src/eaa/tenant.
#include "attest.h"

#include <csignal>
#include <cstdio>

#include "base/encoding.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/flags.h"
#include "eaa/tenant.h"
#include "rats/verifier.h"

namespace shelter {

namespace {

const base::flags::Flag kFlags[] = {
    {"addr", 0, base::flags::Kind::value, "ADDR",
     "the workload, or inclavared with --container:\ntcp://HOST:PORT or unix:///PATH"},
    {"policy", 0, base::flags::Kind::value, "FILE", "JSON policy the evidence must pass"},
    {"collateral", 0, base::flags::Kind::value, "FILE",
     "collateral JSON (default: the verifier's)"},
    {"at", 0, base::flags::Kind::value, "UNIX_SECONDS", "the time to verify at (default: now)"},
    {"sim-state-dir", 0, base::flags::Kind::value, "DIR", "the sim TEE's state"},
    {"container", 0, base::flags::Kind::value, "ID",
     "the container (or route) inclavared at --addr leads to"},
    {"mode", 0, base::flags::Kind::value, "relay|broker",
     "relay: TLS ends in the workload (the default);\nbroker: inclavared hands out rune attest "
     "evidence"},
    {"mutual", 0, base::flags::Kind::boolean, "", "present evidence too (relay; needs --attester)"},
    {"attester", 0, base::flags::Kind::value, "NAME", "the attester of --mutual (e.g. sim)"},
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "shelter attest: %s\n(run `shelter attest --help`)\n", msg.c_str());
  return base::kExitUsage;
}

void help() {
  std::printf(
      "Usage: shelter attest --addr ADDR [--container ID] [--mode relay|broker] --policy FILE\n"
      "                      [--collateral FILE] [--at T] [--sim-state-dir DIR]\n"
      "                      [--mutual --attester NAME]\n"
      "\n"
      "Attests a workload from outside the cloud (docs/eaa.md). Relay: an attested TLS session\n"
      "to it, directly or through inclavared (--container), whose certificate's evidence must\n"
      "pass the policy, then evidence for a fresh nonce over that session, bound to the\n"
      "session's key. Broker (--container): inclavared returns `rune attest` evidence whose\n"
      "TARGETINFO carries a fresh nonce. Prints one JSON verdict.\n"
      "\n%s\n"
      "Exit status: 0 trusted, 1 rejected, 2 bad usage, unusable input, transport or TLS "
      "failure.\n",
      base::flags::help_lines(kFlags, 20).c_str());
}

}  // namespace

int attest_command(const std::vector<std::string>& args) {
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed =
      base::flags::parse(kFlags, args, base::flags::Order::interspersed, "shelter attest");
  if (!parsed.ok()) return usage_error(parsed.error().message());
  const base::flags::Args& a = *parsed;
  if (a.help) {
    help();
    return base::kExitOk;
  }
  if (!a.positional.empty()) return usage_error("unexpected argument `" + a.positional[0] + "`");
  const std::string mode = a.get("mode", "relay");
  if (mode != "relay" && mode != "broker")
    return usage_error("`--mode` must be relay or broker, not `" + mode + "`");
  if (mode == "broker" && !a.has("container"))
    return usage_error("`--mode broker` needs `--container`");
  if (a.has("mutual") != a.has("attester"))
    return usage_error("`--mutual` and `--attester NAME` go together");
  if (mode == "broker" && a.has("mutual"))
    return usage_error("`--mutual` is for relay mode (the broker's TLS proves nothing)");
  if (!a.has("addr")) return usage_error("`--addr` is required");
  if (!a.has("policy")) return usage_error("`--policy` is required");
  eaa::TenantOptions o;
  o.address = a.get("addr");
  o.container = a.get("container");
  o.broker = mode == "broker";
  o.attester = a.get("attester");
  o.sim_state_dir = a.get("sim-state-dir");
  auto fail = [](const base::Error& e) {
    std::fprintf(stderr, "shelter attest: %s\n", e.what().c_str());
    return base::kExitUsage;
  };
  auto text = base::read_file(a.get("policy"), 1 << 20);
  if (!text.ok()) return fail(text.error());
  auto policy = rats::parse_policy_json(*text);
  if (!policy.ok()) return fail(std::move(policy).error().wrap("policy `" + a.get("policy") + "`"));
  o.policy = std::move(policy).value();
  if (a.has("collateral")) {
    auto c = rats::load_collateral_json(a.get("collateral"));
    if (!c.ok()) return fail(c.error());
    o.collateral = std::move(c).value();
  }
  if (a.has("at")) {
    auto t = base::parse_nonnegative(a.get("at"));
    if (!t) return usage_error("`--at` must be Unix seconds, not `" + a.get("at") + "`");
    o.at = *t;
  }
  auto r = eaa::attest(o);
  if (!r.ok()) return fail(r.error());
  std::printf("%s\n", r->verdict.dump().c_str());
  return r->trusted ? base::kExitOk : base::kExitFailure;
}

}  // namespace shelter
