// sgx-tools' commands (cmd/sgx-tools parses the command line and calls these). Each prints what
// it did and returns the exit status: 0 done, 1 an AESM or system failure (or, for verify-quote,
// a quote not trusted), 2 bad input or usage. Output files are written atomically; none is
// written when the command fails.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sgx/aesm/client.h"

namespace sgx_tools {

struct Global {
  std::string aesm_socket = sgx::aesm::kDefaultSocket;
  std::chrono::milliseconds timeout = sgx::aesm::kDefaultTimeout;
  bool verbose = false;
  bool json = false;
};

// --quote-type: case-insensitive; ecdsa (the default) or an EPID type, which is refused with exit
// 2 ("EPID is not supported; use ecdsa"). Returns 0 when usable, else the exit status (after
// printing the error as `command`).
int check_quote_type(const std::string& command, const std::string& quote_type, bool spid_given);

// Whether the kernel launches enclaves without tokens: SGX flexible launch control (CPUID leaf 7,
// subleaf 0, ECX bit 30) and the in-kernel driver's device. The values come from the machine
// unless a test gives them.
struct LaunchControl {
  std::optional<uint32_t> cpuid_7_0_ecx;  // unset: read with CPUID
  std::string device_root = "/";          // where dev/sgx_enclave is looked for
};

struct GenTokenOptions {
  std::string signature;
  std::string token;  // default: the signature's path with `.sig` replaced by `.token`
  bool force = false;
  LaunchControl launch_control;
};
int gen_token(const Global& g, const GenTokenOptions& o);

struct GenQeTargetInfoOptions {
  std::string targetinfo = "qe_targetinfo.bin";
};
int gen_qe_target_info(const Global& g, const GenQeTargetInfoOptions& o);

struct GenQuoteOptions {
  std::string report;
  std::string quote = "quote.bin";
  std::optional<std::vector<uint8_t>> nonce;  // 16 bytes: ask for the QE's REPORT and check it
};
int gen_quote(const Global& g, const GenQuoteOptions& o);

struct VerifyQuoteOptions {
  std::vector<std::string> quotes;  // --quote, or the lines of --quotes-from
  bool batch = false;               // from --quotes-from: one line per quote
  std::string collateral;
  std::optional<int64_t> at;
  std::optional<std::vector<uint8_t>> report_data;  // up to 64 bytes, zero-padded
  std::string policy;
  std::string trust_sim_root;  // the sim TEE state whose root is trusted
};
int verify_quote(const Global& g, const VerifyQuoteOptions& o);

struct DumpOptions {
  std::string file;
  std::string type = "auto";  // auto|quote|report|targetinfo|sigstruct|token|keyid|qe-report-info
  std::string pck_cert;       // for quotes with certification data types 1-3
};
int dump(const Global& g, const DumpOptions& o);

}  // namespace sgx_tools
