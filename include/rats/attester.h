// Attester interface: evidence bound to 64 bytes of report data (docs/attestation.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace rats {

class Attester {
 public:
  virtual ~Attester() = default;
  virtual std::string_view name() const = 0;
  // Evidence whose report data field is `report_data`. The null attester returns no bytes.
  virtual base::Result<std::vector<uint8_t>> collect(
      std::span<const uint8_t, 64> report_data) const = 0;
};

struct AttesterOptions {
  // configfs-tsm report directory (tdx_ecdsa, snp); tests point it at a prepared folder.
  std::string tsm_root = "/sys/kernel/config/tsm/report";
  // The sim TEE's state directory; empty: the default (docs/attestation.md).
  std::string sim_state_dir;
  // sgx_ecdsa through aesmd (outside Gramine). The host cannot make an SGX REPORT: the code that
  // runs the enclave (an enclave runtime behind the PAL) supplies `sgx_report`, which runs
  // EREPORT inside the enclave for the quoting enclave's TARGETINFO (512 bytes) and the report
  // data, and returns the 432-byte REPORT. Without it, sgx_ecdsa uses Gramine's
  // /dev/attestation.
  std::function<base::Result<std::vector<uint8_t>>(std::span<const uint8_t, 512> target_info,
                                                   std::span<const uint8_t, 64> report_data)>
      sgx_report;
  std::string aesm_socket = "/var/run/aesmd/aesm.socket";
};

// Attester names: "nullattester", "sim", "sgx_ecdsa", "tdx_ecdsa", "snp" (short forms "null",
// "sgx", "tdx"). "auto" probes the machine and returns the first TEE found, or an error that says
// why each probe failed.
base::Result<std::unique_ptr<Attester>> make_attester(std::string_view name,
                                                      const AttesterOptions& options = {});
std::vector<std::string> attester_names();

}  // namespace rats
