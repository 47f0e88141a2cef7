#include "eaa/rune_attest.h"

#include <sys/random.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/encoding.h"
#include "base/file.h"
#include "base/flags.h"
#include "base/process.h"
#include "inclavare/sim_tee.h"
#include "rats/core/target_info.h"
#include "rats/formats/intel_quote.h"
#include "rats/sim/sim_tee.h"
#include "sgx/aesm/client.h"

namespace eaa {

namespace {

constexpr base::flags::Flag kFlags[] = {
    {"rune", 0, base::flags::Kind::value, "PATH", "rune"},
    {"global", 0, base::flags::Kind::value, "FLAG", "a global flag of rune (repeatable)"},
    {"tee", 0, base::flags::Kind::value, "TYPE", "the container's enclave type"},
    {"pal", 0, base::flags::Kind::value, "PATH", "its enclave runtime"},
    {"pal-version", 0, base::flags::Kind::value, "N", "its PAL API version"},
    {"nonce", 0, base::flags::Kind::value, "HEX", "1 to 64 bytes"},
    {"no-nonce", 0, base::flags::Kind::boolean, "", "bind no nonce"},
    {"output", 'o', base::flags::Kind::value, "FILE", "the raw evidence"},
    {"aesm-socket", 0, base::flags::Kind::value, "PATH", "quote through aesmd"},
    {"sim-state-dir", 0, base::flags::Kind::value, "DIR", "the sim TEE's state"},
};

using TargetInfo = rats::Bytes<rats::kTargetInfoSize>;

struct Made {
  TargetInfo target_info{};
  std::vector<uint8_t> report;
};

// The container's REPORT for `ti`, from `rune attest --report`.
base::Result<std::vector<uint8_t>> report_for(const RuneAttestOptions& o, const TargetInfo& ti) {
  char dir[] = "/tmp/rune-attest-XXXXXX";
  if (!mkdtemp(dir)) return base::sys_error("cannot make a temporary directory");
  const std::string ti_file = std::string(dir) + "/target_info", out = std::string(dir) + "/report";
  auto cleanup = [&] {
    unlink(ti_file.c_str());
    unlink(out.c_str());
    rmdir(dir);
  };
  auto w = base::write_file_atomic(ti_file, std::string(ti.begin(), ti.end()), 0600);
  if (!w.ok()) {
    cleanup();
    return std::move(w).error();
  }
  std::vector<std::string> argv = {o.rune};
  argv.insert(argv.end(), o.global.begin(), o.global.end());
  for (const char* a : {"attest", "--report", "--target-info"}) argv.push_back(a);
  argv.push_back(ti_file);
  argv.push_back("--output");
  argv.push_back(out);
  argv.push_back(o.id);
  auto ran = base::capture_output(argv);
  base::Result<std::string> report =
      ran.ok() ? base::read_file(out, 1 << 16) : base::Result<std::string>(ran.error());
  cleanup();
  if (!report.ok()) return std::move(report).error().wrap("the container's local REPORT");
  if (report->size() != sgx::aesm::kReportSize)
    return base::invalid("the enclave runtime gave a REPORT of " + std::to_string(report->size()) +
                         " bytes, not 432");
  return std::vector<uint8_t>(report->begin(), report->end());
}

}  // namespace

base::Result<RuneAttestOptions> parse_rune_attest_args(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(
      base::flags::Args a,
      base::flags::parse(kFlags, args, base::flags::Order::interspersed, "rune-attest"));
  if (a.positional.size() != 1) return base::invalid("rune-attest takes one container id");
  RuneAttestOptions o;
  o.id = a.positional[0];
  o.rune = a.get("rune");
  o.global = a.all("global");
  o.tee = a.get("tee");
  o.pal = a.get("pal");
  o.pal_version = std::atoi(a.get("pal-version", "0").c_str());
  o.output = a.get("output");
  o.aesm_socket = a.get("aesm-socket");
  o.sim_state_dir = a.get("sim-state-dir");
  if (o.rune.empty()) return base::invalid("rune-attest: `--rune` is required");
  if (a.has("nonce") && a.has("no-nonce"))
    return base::invalid("give `--nonce` or `--no-nonce`, not both");
  if (a.has("nonce")) {
    std::string v = a.get("nonce");
    auto n = base::hex_decode(v);
    if (!n || n->empty() || n->size() > rats::kMaxNonceSize)
      return base::invalid("`--nonce` must be 1 to 64 bytes of hex, not `" + base::clip(v) + "`");
    o.nonce = std::move(*n);
  } else if (!a.has("no-nonce")) {
    std::vector<uint8_t> n(32);
    if (getrandom(n.data(), n.size(), 0) != static_cast<ssize_t>(n.size()))
      return base::sys_error("getrandom");
    o.nonce = std::move(n);
  }
  return o;
}

int rune_attest(const RuneAttestOptions& o) {
  auto fail = [&](const base::Error& e) {
    std::fprintf(stderr, "rune attest: %s\n", e.what().c_str());
    return 1;
  };
  const bool aesmd = o.tee == "intelSgx" || !o.aesm_socket.empty();
  Made made;
  // The REPORT for the quoting enclave's target, with the nonce in it.
  auto make = [&](std::span<const uint8_t, rats::kTargetInfoSize> qe_ti)
      -> base::Result<std::vector<uint8_t>> {
    TargetInfo ti;
    std::copy(qe_ti.begin(), qe_ti.end(), ti.begin());
    if (o.nonce) {
      ASSIGN_OR_RETURN(ti, rats::bind_nonce(ti, *o.nonce));
    }
    ASSIGN_OR_RETURN(made.report, report_for(o, ti));
    made.target_info = ti;
    return made.report;
  };
  base::Result<std::vector<uint8_t>> evidence = base::invalid("no evidence");
  if (aesmd) {
    sgx::aesm::Client client(o.aesm_socket.empty() ? sgx::aesm::kDefaultSocket : o.aesm_socket);
    evidence = client.quote_for(make);
  } else {
    auto report = make(rats::sim_qe_target_info());
    if (!report.ok()) return fail(report.error());
  }
  if (made.report.size() != sgx::aesm::kReportSize)
    return fail(evidence.ok() ? base::invalid("no REPORT was made") : evidence.error());
  // Bound only when the runtime hashed the TARGETINFO into REPORTDATA (liberpal-sim does).
  auto want = rats::target_info_report_data(made.target_info);
  if (!want.ok()) return fail(want.error());
  const uint8_t* rd = made.report.data() + SIM_TEE_R_REPORTDATA_OFF;
  const bool hashed = std::memcmp(rd, want->data(), 64) == 0;
  if (o.nonce && !hashed)
    return fail(base::Error(
        base::Category::failed_precondition,
        "container `" + o.id + "`: its enclave runtime `" + o.pal + "` (PAL API v" +
            std::to_string(o.pal_version) + ") returned REPORTDATA " + base::hex_encode(rd, 64) +
            ", not SHA-256 of the TARGETINFO: it cannot bind a nonce (--no-nonce gives evidence "
            "without one)"));
  if (!aesmd) {
    auto tee = rats::sim::SimTee::open(
        o.sim_state_dir.empty() ? rats::sim::default_state_dir() : o.sim_state_dir,
        static_cast<int64_t>(time(nullptr)));
    if (!tee.ok()) return fail(tee.error());
    rats::Bytes<432> r;
    std::copy(made.report.begin(), made.report.end(), r.begin());
    evidence = tee->quote_report(r);
  }
  if (!evidence.ok()) return fail(evidence.error());
  nlohmann::ordered_json j;
  j["container"] = o.id;
  j["tee"] = aesmd ? "sgx" : "sim";
  j["pal_version"] = o.pal_version;
  j["nonce"] = o.nonce ? nlohmann::ordered_json(base::hex_encode(o.nonce->data(), o.nonce->size()))
                       : nlohmann::ordered_json(nullptr);
  j["target_info"] = base::base64_encode(made.target_info.data(), made.target_info.size());
  j["report_data"] = base::hex_encode(rd, 64);
  j["nonce_bound"] = o.nonce.has_value() && hashed;
  j["evidence"] = base::base64_encode(evidence->data(), evidence->size());
  auto quote = rats::formats::parse_intel_quote(*evidence);
  j["claims"] = quote.ok() ? nlohmann::ordered_json(rats::formats::claims_json(*quote))
                           : nlohmann::ordered_json::object();
  j["verified"] = false;
  if (!o.output.empty()) {
    auto w =
        base::write_file_atomic(o.output, std::string(evidence->begin(), evidence->end()), 0644);
    if (!w.ok()) return fail(std::move(w).error().wrap("`--output`"));
  }
  std::string text = j.dump(2) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace eaa
