#include "rats/verifiers/intel/tcb_status.h"

namespace rats::intel {

const TcbLevel* match_platform_level(const TcbInfo& info, const PckExtensions& pck,
                                     const Bytes<16>* tee_tcb_svn) {
  for (const TcbLevel& level : info.levels) {
    bool ok = level.pce_svn <= pck.pce_svn;
    for (size_t i = 0; ok && i < 16; ++i) ok = level.sgx_svn[i] <= pck.comp_svn[i];
    if (ok && tee_tcb_svn != nullptr) {
      if (!level.tdx_svn) continue;
      size_t first = (*tee_tcb_svn)[1] > 0 ? 2 : 0;
      for (size_t i = first; ok && i < 16; ++i) ok = (*level.tdx_svn)[i] <= (*tee_tcb_svn)[i];
    }
    if (ok) return &level;
  }
  return nullptr;
}

const IsvLevel* match_isv_level(const std::vector<IsvLevel>& levels, uint16_t isv_svn) {
  for (const IsvLevel& level : levels) {
    if (level.isv_svn <= isv_svn) return &level;
  }
  return nullptr;
}

TcbStatus converge(TcbStatus platform, TcbStatus other) {
  if (other == TcbStatus::Revoked) return TcbStatus::Revoked;
  if (other == TcbStatus::OutOfDate) {
    switch (platform) {
      case TcbStatus::UpToDate:
      case TcbStatus::SWHardeningNeeded:
        return TcbStatus::OutOfDate;
      case TcbStatus::ConfigurationNeeded:
      case TcbStatus::ConfigurationAndSWHardeningNeeded:
        return TcbStatus::OutOfDateConfigurationNeeded;
      default:
        break;
    }
  }
  return platform;
}

}  // namespace rats::intel
