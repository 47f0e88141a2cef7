// The table of verifiers and attesters by name (STYLE.md §9): adding a TEE adds a folder and a
// row here.
#include <array>
#include <functional>

#include "base/file.h"
#include "rats/attester.h"
#include "rats/attesters/attesters.h"
#include "rats/sim/sim_tee.h"
#include "rats/verifier.h"
#include "rats/verifiers/intel/intel_verifier.h"
#include "rats/verifiers/snp/snp_verifier.h"

namespace rats {

namespace {

// nullverifier / nullattester: plain TLS, no evidence. The null verifier trusts everything and
// says so in its verdict.
class NullVerifier final : public Verifier {
 public:
  std::string_view name() const override { return "nullverifier"; }
  base::Result<Verdict> verify(const VerifyRequest& request) const override {
    Verdict v;
    v.tee = "null";
    v.trusted = true;
    v.trailing_bytes = request.evidence.size();
    return v;
  }
};

class NullAttester final : public Attester {
 public:
  std::string_view name() const override { return "nullattester"; }
  base::Result<std::vector<uint8_t>> collect(std::span<const uint8_t, 64>) const override {
    return std::vector<uint8_t>();
  }
};

struct VerifierRow {
  std::string_view name;
  std::string_view alias;
  std::function<base::Result<std::unique_ptr<Verifier>>(const VerifierOptions&)> make;
};

struct AttesterRow {
  std::string_view name;
  std::string_view alias;
  std::function<base::Result<std::unique_ptr<Attester>>(const AttesterOptions&)> make;
};

const std::vector<VerifierRow>& verifier_table() {
  static const std::vector<VerifierRow> rows = {
      {"nullverifier", "null",
       [](const VerifierOptions&) -> base::Result<std::unique_ptr<Verifier>> {
         return std::unique_ptr<Verifier>(new NullVerifier);
       }},
      {"sgx_ecdsa", "sgx", intel::make_sgx_verifier},
      {"tdx_ecdsa", "tdx", intel::make_tdx_verifier},
      {"snp", "", snp::make_verifier},
      {"sim", "", sim::make_sim_verifier},
  };
  return rows;
}

const std::vector<AttesterRow>& attester_table() {
  static const std::vector<AttesterRow> rows = {
      {"nullattester", "null",
       [](const AttesterOptions&) -> base::Result<std::unique_ptr<Attester>> {
         return std::unique_ptr<Attester>(new NullAttester);
       }},
      {"sim", "", sim::make_sim_attester},
      {"sgx_ecdsa", "sgx", [](const AttesterOptions& o) { return attesters::make_sgx(o); }},
      {"tdx_ecdsa", "tdx", [](const AttesterOptions& o) { return attesters::make_tdx(o); }},
      {"snp", "", [](const AttesterOptions& o) { return attesters::make_snp(o); }},
  };
  return rows;
}

template <class Row>
std::string known_names(const std::vector<Row>& rows) {
  std::string out;
  for (const auto& r : rows) out += (out.empty() ? "" : ", ") + std::string(r.name);
  return out;
}

}  // namespace

base::Result<std::unique_ptr<Verifier>> make_verifier(std::string_view name,
                                                      const VerifierOptions& options) {
  for (const auto& row : verifier_table()) {
    if (row.name == name || row.alias == name) return row.make(options);
  }
  return base::invalid("unknown verifier `" + std::string(name) +
                       "` (known: " + known_names(verifier_table()) + ")");
}

std::vector<std::string> verifier_names() {
  std::vector<std::string> out;
  for (const auto& row : verifier_table()) out.emplace_back(row.name);
  return out;
}

namespace {

// "auto": the first TEE this machine offers, by the devices its attesters need; the error says
// what each probe looked for.
base::Result<std::unique_ptr<Attester>> probe_attester(const AttesterOptions& options) {
  struct Probe {
    const char* attester;
    std::vector<std::string> paths;
  };
  const Probe probes[] = {
      {"tdx_ecdsa", {options.tsm_root, "/dev/tdx_guest"}},
      {"snp", {options.tsm_root, "/dev/sev-guest"}},
      {"sgx_ecdsa", options.sgx_report
                        ? std::vector<std::string>{options.aesm_socket, "/dev/sgx_enclave"}
                        : std::vector<std::string>{"/dev/attestation/quote"}},
  };
  std::string why;
  for (const auto& p : probes) {
    std::string missing;
    for (const auto& path : p.paths) {
      if (!base::path_exists(path)) missing += (missing.empty() ? "" : ", ") + ("`" + path + "`");
    }
    if (missing.empty()) return make_attester(p.attester, options);
    why += (why.empty() ? "" : "; ") + std::string(p.attester) + ": no " + missing;
  }
  return base::Error(base::Category::not_found, "no TEE found for attester `auto` (" + why +
                                                    "); use `sim` without TEE hardware");
}

}  // namespace

base::Result<std::unique_ptr<Attester>> make_attester(std::string_view name,
                                                      const AttesterOptions& options) {
  if (name == "auto") return probe_attester(options);
  for (const auto& row : attester_table()) {
    if (row.name == name || row.alias == name) return row.make(options);
  }
  return base::invalid("unknown attester `" + std::string(name) +
                       "` (known: " + known_names(attester_table()) + ")");
}

std::vector<std::string> attester_names() {
  std::vector<std::string> out;
  for (const auto& row : attester_table()) out.emplace_back(row.name);
  return out;
}

}  // namespace rats
