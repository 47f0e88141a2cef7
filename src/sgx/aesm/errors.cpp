#include "sgx/aesm/errors.h"

#include <array>

namespace sgx::aesm {

namespace {

// Indexed by value; 27 has no name.
constexpr std::array<const char*, 52> kNames = {
    "AESM_SUCCESS",
    "AESM_UNEXPECTED_ERROR",
    "AESM_NO_DEVICE_ERROR",
    "AESM_PARAMETER_ERROR",
    "AESM_EPIDBLOB_ERROR",
    "AESM_EPID_REVOKED_ERROR",
    "AESM_GET_LICENSETOKEN_ERROR",
    "AESM_SESSION_INVALID",
    "AESM_MAX_NUM_SESSION_REACHED",
    "AESM_PSDA_UNAVAILABLE",
    "AESM_EPH_SESSION_FAILED",
    "AESM_LONG_TERM_PAIRING_FAILED",
    "AESM_NETWORK_ERROR",
    "AESM_NETWORK_BUSY_ERROR",
    "AESM_PROXY_SETTING_ASSIST",
    "AESM_FILE_ACCESS_ERROR",
    "AESM_SGX_PROVISION_FAILED",
    "AESM_SERVICE_STOPPED",
    "AESM_BUSY",
    "AESM_BACKEND_SERVER_BUSY",
    "AESM_UPDATE_AVAILABLE",
    "AESM_OUT_OF_MEMORY_ERROR",
    "AESM_MSG_ERROR",
    "AESM_THREAD_ERROR",
    "AESM_SGX_DEVICE_NOT_AVAILABLE",
    "AESM_ENABLE_SGX_DEVICE_FAILED",
    "AESM_PLATFORM_INFO_BLOB_INVALID_SIG",
    nullptr,
    "AESM_KDF_MISMATCH",
    "AESM_OUT_OF_EPC",
    "AESM_SERVICE_UNAVAILABLE",
    "AESM_UNRECOGNIZED_PLATFORM",
    "AESM_ECDSA_ID_MISMATCH",
    "AESM_PATHNAME_BUFFER_OVERFLOW_ERROR",
    "AESM_ERROR_STORED_KEY",
    "AESM_PUB_KEY_ID_MISMATCH",
    "AESM_INVALID_PCE_SIG_SCHEME",
    "AESM_ATT_KEY_BLOB_ERROR",
    "AESM_UNSUPPORTED_ATT_KEY_ID",
    "AESM_UNSUPPORTED_LOADING_POLICY",
    "AESM_INTERFACE_UNAVAILABLE",
    "AESM_PLATFORM_LIB_UNAVAILABLE",
    "AESM_ATT_KEY_NOT_INITIALIZED",
    "AESM_ATT_KEY_CERT_DATA_INVALID",
    "AESM_NO_PLATFORM_CERT_DATA",
    "AESM_ERROR_REPORT",
    "AESM_ENCLAVE_LOST",
    "AESM_INVALID_REPORT",
    "AESM_ENCLAVE_LOAD_ERROR",
    "AESM_UNABLE_TO_GENERATE_QE_REPORT",
    "AESM_KEY_CERTIFICATION_ERROR",
    "AESM_CONFIG_UNSUPPORTED",
};

}  // namespace

const char* error_name(uint32_t code) {
  return code < kNames.size() ? kNames[code] : nullptr;
}

const char* error_hint(uint32_t code) {
  switch (code) {
    case 2:
      return "aesmd found no SGX device: is SGX enabled in the firmware and /dev/sgx_enclave "
             "present?";
    case 24:
      return "SGX is not available on this machine: enable it in the firmware setup (or "
             "software-enable it) and reboot";
    case 30:
      return "aesmd has no service for this request: install its plugin (libsgx-aesm-ecdsa-plugin "
             "for quotes, libsgx-aesm-launch-plugin for launch tokens) and restart aesmd";
    case kUnsupportedAttKeyId:
      return "aesmd has no quoting enclave for this attestation key id: install "
             "libsgx-aesm-ecdsa-plugin, or use a key id GetSupportedAttKeyIDs lists";
    case kAttKeyNotInitialized:
      return "the quoting enclave's attestation key must be made again: call InitQuoteEx and make "
             "a new REPORT for the TARGETINFO it returns";
    case 44:
      return "no PCK certificate data for this platform: configure the DCAP quote provider "
             "(/etc/sgx_default_qcnl.conf) and its caching service";
    case kInvalidReport:
      return "the quoting enclave refused the REPORT: it was not made for the quoting enclave's "
             "current TARGETINFO, or it was altered; make a new one";
    default:
      return nullptr;
  }
}

std::string describe_error(uint32_t code) {
  std::string out = std::to_string(code);
  const char* name = error_name(code);
  out += name != nullptr ? std::string(" ") + name : std::string(" (not an aesm_error_t value)");
  if (const char* hint = error_hint(code)) out += std::string(" (") + hint + ")";
  return out;
}

}  // namespace sgx::aesm
