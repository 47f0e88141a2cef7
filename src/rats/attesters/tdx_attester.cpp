// "tdx_ecdsa" attester: a TDX quote from configfs-tsm (provider tdx_guest).
#include <utility>

#include "base/encoding.h"
#include "rats/attesters/attesters.h"
#include "rats/formats/intel_quote.h"

namespace rats::attesters {

namespace {

class TdxAttester final : public Attester {
 public:
  TdxAttester(std::string root, tsm::Hooks hooks)
      : root_(std::move(root)), hooks_(std::move(hooks)) {}
  std::string_view name() const override { return "tdx_ecdsa"; }

  base::Result<std::vector<uint8_t>> collect(
      std::span<const uint8_t, 64> report_data) const override {
    ASSIGN_OR_RETURN(tsm::Blobs blobs,
                     tsm::collect(root_, "tdx_guest", report_data, std::nullopt, hooks_));
    auto quote = formats::parse_intel_quote(blobs.outblob);
    if (!quote.ok()) {
      return std::move(quote).error().wrap("tdx_ecdsa: outblob from `" + root_ +
                                           "` is not a TDX quote");
    }
    const TdReportBody* body = quote->td_body();
    if (body == nullptr) {
      return base::invalid("tdx_ecdsa: outblob from `" + root_ +
                           "` is an SGX quote, not a TDX quote");
    }
    if (!std::equal(report_data.begin(), report_data.end(), body->report_data.begin())) {
      return base::invalid(
          "tdx_ecdsa: the quote's REPORTDATA " + base::hex_encode(body->report_data.data(), 64) +
          " is not the requested " + base::hex_encode(report_data.data(), report_data.size()));
    }
    return std::move(blobs.outblob);
  }

 private:
  std::string root_;
  tsm::Hooks hooks_;
};

}  // namespace

base::Result<std::unique_ptr<Attester>> make_tdx(const AttesterOptions& options, tsm::Hooks hooks) {
  return std::unique_ptr<Attester>(
      std::make_unique<TdxAttester>(options.tsm_root, std::move(hooks)));
}

}  // namespace rats::attesters
