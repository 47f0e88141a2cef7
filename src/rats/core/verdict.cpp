#include <array>

#include "rats/verifier.h"

namespace rats {

namespace {
constexpr std::array<std::string_view, 9> kTcbStatusNames = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
    "TDRelaunchAdvised",
    "TDRelaunchAdvisedConfigurationNeeded",
    "Revoked",
};
}  // namespace

std::string_view tcb_status_name(TcbStatus s) {
  auto i = static_cast<size_t>(s);
  return i < kTcbStatusNames.size() ? kTcbStatusNames[i] : "Unknown";
}

std::optional<TcbStatus> parse_tcb_status(std::string_view name) {
  for (size_t i = 0; i < kTcbStatusNames.size(); ++i) {
    if (kTcbStatusNames[i] == name) return static_cast<TcbStatus>(i);
  }
  return std::nullopt;
}

nlohmann::json Verdict::to_json() const {
  nlohmann::json j;
  j["verdict"] = trusted ? "trusted" : "rejected";
  j["tee"] = tee;
  j["tcb_status"] = tcb_status ? nlohmann::json(std::string(tcb_status_name(*tcb_status)))
                               : nlohmann::json(nullptr);
  j["advisory_ids"] = advisory_ids;
  nlohmann::json rs = nlohmann::json::array();
  for (const auto& r : reasons) rs.push_back({{"check", r.check}, {"detail", r.detail}});
  j["reasons"] = std::move(rs);
  j["claims"] = claims;
  j["trailing_bytes"] = trailing_bytes;
  return j;
}

}  // namespace rats
