// "sgx_ecdsa" attester: an SGX DCAP quote, either through aesmd (the enclave runtime makes the
// REPORT, aesmd's quoting enclave turns it into a quote) or through Gramine's /dev/attestation
// pseudo-files (attestation-formats.md §8, last paragraph).
#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "base/encoding.h"
#include "base/file.h"
#include "sgx/aesm/client.h"
#include "rats/attesters/attesters.h"
#include "rats/formats/intel_quote.h"

namespace rats::attesters {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

// The quote in `raw` (from `source`), cut to the length its own fields give (aesmd returns its
// whole buffer), checked to be an SGX quote carrying `report_data`. `report_body`, when given, is
// the enclave's REPORT body the quote must carry unchanged.
base::Result<std::vector<uint8_t>> checked_quote(std::vector<uint8_t> raw,
                                                 std::span<const uint8_t, 64> report_data,
                                                 const std::string& source,
                                                 std::span<const uint8_t> report_body = {}) {
  auto quote = formats::parse_intel_quote(raw);
  if (!quote.ok()) return std::move(quote).error().wrap("sgx_ecdsa: " + source + " is not a quote");
  const SgxReportBody* body = quote->sgx_body();
  if (body == nullptr) {
    return base::invalid("sgx_ecdsa: " + source + " is a TDX quote, not an SGX quote");
  }
  if (!std::equal(report_data.begin(), report_data.end(), body->report_data.begin())) {
    return base::invalid("sgx_ecdsa: the quote's REPORTDATA " +
                         base::hex_encode(body->report_data.data(), 64) + " is not the requested " +
                         base::hex_encode(report_data.data(), report_data.size()));
  }
  if (!report_body.empty() &&
      !std::equal(report_body.begin(), report_body.end(), raw.begin() + quote->body_offset)) {
    return base::invalid("sgx_ecdsa: the report body in the quote from " + source +
                         " differs from the enclave's REPORT");
  }
  raw.resize(quote->quote_len);
  return raw;
}

class GramineSgxAttester final : public Attester {
 public:
  explicit GramineSgxAttester(std::string dir) : dir_(std::move(dir)) {}
  std::string_view name() const override { return "sgx_ecdsa"; }

  base::Result<std::vector<uint8_t>> collect(
      std::span<const uint8_t, 64> report_data) const override {
    struct stat st;
    if (stat(dir_.c_str(), &st) != 0) {
      return base::sys_error("sgx_ecdsa: `" + dir_ +
                             "` is not available (needs an SGX enclave run by Gramine with "
                             "remote attestation enabled, or an enclave runtime that makes the "
                             "REPORT for aesmd)");
    }
    std::string type_path = dir_ + "/attestation_type";
    if (base::path_exists(type_path)) {
      auto type = base::read_file(type_path, 64);
      if (!type.ok()) return std::move(type).error().wrap("sgx_ecdsa: reading attestation_type");
      if (trimmed(*type) != "dcap") {
        return base::invalid("sgx_ecdsa: `" + type_path + "` is `" + trimmed(*type) +
                             "`, expected `dcap`");
      }
    }
    TRY_WRAP(base::write_file(dir_ + "/user_report_data",
                              std::string_view(reinterpret_cast<const char*>(report_data.data()),
                                               report_data.size())),
             "sgx_ecdsa: writing the report data");
    auto raw = base::read_file(dir_ + "/quote", kMaxEvidenceSize);
    if (!raw.ok()) return std::move(raw).error().wrap("sgx_ecdsa: reading the quote");
    return checked_quote(std::vector<uint8_t>(raw->begin(), raw->end()), report_data,
                         "`" + dir_ + "/quote`");
  }

 private:
  std::string dir_;
};

class AesmSgxAttester final : public Attester {
 public:
  AesmSgxAttester(std::string socket, decltype(AttesterOptions::sgx_report) report)
      : client_(std::move(socket)), report_(std::move(report)) {}
  std::string_view name() const override { return "sgx_ecdsa"; }

  base::Result<std::vector<uint8_t>> collect(
      std::span<const uint8_t, 64> report_data) const override {
    std::vector<uint8_t> last_report;
    auto raw = client_.quote_for([&](std::span<const uint8_t, sgx::aesm::kTargetInfoSize> ti)
                                     -> base::Result<std::vector<uint8_t>> {
      auto r = report_(ti, report_data);
      if (r.ok()) last_report = *r;
      return r;
    });
    if (!raw.ok()) return std::move(raw).error().wrap("sgx_ecdsa");
    return checked_quote(std::move(*raw), report_data, "aesmd at `" + client_.socket_path() + "`",
                         std::span<const uint8_t>(last_report.data(), kSgxReportBodySize));
  }

 private:
  sgx::aesm::Client client_;
  decltype(AttesterOptions::sgx_report) report_;
};

}  // namespace

base::Result<std::unique_ptr<Attester>> make_sgx(const AttesterOptions& options, std::string dir) {
  if (options.sgx_report) {
    return std::unique_ptr<Attester>(
        std::make_unique<AesmSgxAttester>(options.aesm_socket, options.sgx_report));
  }
  return std::unique_ptr<Attester>(std::make_unique<GramineSgxAttester>(std::move(dir)));
}

}  // namespace rats::attesters
