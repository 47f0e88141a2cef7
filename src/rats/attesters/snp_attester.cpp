// "snp" attester: an SEV-SNP attestation report from configfs-tsm (provider sev_guest).
#include <algorithm>
#include <utility>

#include "base/encoding.h"
#include "rats/attesters/attesters.h"
#include "rats/formats/snp_report.h"

namespace rats::attesters {

namespace {

class SnpAttester final : public Attester {
 public:
  SnpAttester(std::string root, tsm::Hooks hooks, std::optional<uint32_t> privlevel)
      : root_(std::move(root)), hooks_(std::move(hooks)), privlevel_(privlevel) {}
  std::string_view name() const override { return "snp"; }

  base::Result<std::vector<uint8_t>> collect(
      std::span<const uint8_t, 64> report_data) const override {
    ASSIGN_OR_RETURN(tsm::Blobs blobs,
                     tsm::collect(root_, "sev_guest", report_data, privlevel_, hooks_));
    auto report = formats::parse_snp_report(blobs.outblob);
    if (!report.ok()) {
      return std::move(report).error().wrap("snp: outblob from `" + root_ +
                                            "` is not an SNP report");
    }
    if (!std::equal(report_data.begin(), report_data.end(), report->report_data.begin())) {
      return base::invalid(
          "snp: the report's REPORT_DATA " + base::hex_encode(report->report_data.data(), 64) +
          " is not the requested " + base::hex_encode(report_data.data(), report_data.size()));
    }
    if (privlevel_ && report->vmpl != *privlevel_) {
      return base::invalid("snp: the report's VMPL " + std::to_string(report->vmpl) +
                           " is not the requested privlevel " + std::to_string(*privlevel_));
    }
    // The certificate table (auxblob) is not part of the evidence: the verifier takes the
    // VCEK/VLEK, ASK and ARK as collateral.
    return std::move(blobs.outblob);
  }

 private:
  std::string root_;
  tsm::Hooks hooks_;
  std::optional<uint32_t> privlevel_;
};

}  // namespace

base::Result<std::unique_ptr<Attester>> make_snp(const AttesterOptions& options, tsm::Hooks hooks,
                                                 std::optional<uint32_t> privlevel) {
  return std::unique_ptr<Attester>(
      std::make_unique<SnpAttester>(options.tsm_root, std::move(hooks), privlevel));
}

}  // namespace rats::attesters
