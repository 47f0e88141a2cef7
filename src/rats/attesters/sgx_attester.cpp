// "sgx_ecdsa" attester: an SGX DCAP quote through Gramine's /dev/attestation pseudo-files
// (attestation-formats.md §8, last paragraph).
#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "base/encoding.h"
#include "base/file.h"
#include "rats/attesters/attesters.h"
#include "rats/formats/intel_quote.h"

namespace rats::attesters {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

class SgxAttester final : public Attester {
 public:
  explicit SgxAttester(std::string dir) : dir_(std::move(dir)) {}
  std::string_view name() const override { return "sgx_ecdsa"; }

  base::Result<std::vector<uint8_t>> collect(
      std::span<const uint8_t, 64> report_data) const override {
    struct stat st;
    if (stat(dir_.c_str(), &st) != 0) {
      return base::sys_error("sgx_ecdsa: `" + dir_ +
                             "` is not available (needs an SGX enclave run by Gramine with "
                             "remote attestation enabled)");
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
    std::vector<uint8_t> quote_bytes(raw->begin(), raw->end());
    auto quote = formats::parse_intel_quote(quote_bytes);
    if (!quote.ok()) {
      return std::move(quote).error().wrap("sgx_ecdsa: `" + dir_ + "/quote` is not a quote");
    }
    const SgxReportBody* body = quote->sgx_body();
    if (body == nullptr) {
      return base::invalid("sgx_ecdsa: `" + dir_ + "/quote` is a TDX quote, not an SGX quote");
    }
    if (!std::equal(report_data.begin(), report_data.end(), body->report_data.begin())) {
      return base::invalid(
          "sgx_ecdsa: the quote's REPORTDATA " + base::hex_encode(body->report_data.data(), 64) +
          " is not the requested " + base::hex_encode(report_data.data(), report_data.size()));
    }
    return quote_bytes;
  }

 private:
  std::string dir_;
};

}  // namespace

base::Result<std::unique_ptr<Attester>> make_sgx(const AttesterOptions&, std::string dir) {
  return std::unique_ptr<Attester>(std::make_unique<SgxAttester>(std::move(dir)));
}

}  // namespace rats::attesters
