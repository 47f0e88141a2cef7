// gen-token, gen-qe-target-info and gen-quote: the AESM calls of sgx-tools.
#include "sgx_tools/tools.h"

#include <cpuid.h>
#include <unistd.h>

#include <strings.h>
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/encoding.h"
#include "rats/formats/intel_quote.h"
#include "sgx/aesm/errors.h"
#include "sgx/structs.h"
#include "sgx_tools/common.h"
#include "sgx_tools/print.h"

namespace sgx_tools {

namespace {

bool has_launch_control(const LaunchControl& lc) {
  uint32_t ecx = 0;
  if (lc.cpuid_7_0_ecx) {
    ecx = *lc.cpuid_7_0_ecx;
  } else {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) != 0) ecx = c;
  }
  return (ecx >> 30 & 1) != 0;
}

std::string default_token_path(const std::string& sig) {
  const std::string suffix = ".sig";
  if (sig.size() > suffix.size() &&
      sig.compare(sig.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return sig.substr(0, sig.size() - suffix.size()) + ".token";
  }
  return sig + ".token";
}

}  // namespace

int check_quote_type(const std::string& command, const std::string& quote_type, bool spid_given) {
  if (quote_type.empty() || strcasecmp(quote_type.c_str(), "ecdsa") == 0) {
    if (spid_given)
      return fail(command,
                  base::invalid("`--spid` is for EPID quotes; EPID is not supported; use ecdsa"));
    return 0;
  }
  if (strcasecmp(quote_type.c_str(), "epidUnlinkable") == 0 ||
      strcasecmp(quote_type.c_str(), "epidLinkable") == 0) {
    return fail(command,
                base::Error(base::Category::unimplemented, "EPID is not supported; use ecdsa"));
  }
  return fail(command, base::invalid("`--quote-type` must be ecdsa (or epidUnlinkable, "
                                     "epidLinkable, which are not supported), not `" +
                                     quote_type + "`"));
}

int gen_token(const Global& g, const GenTokenOptions& o) {
  const char* cmd = "gen-token";
  if (o.signature.empty()) return fail(cmd, base::invalid("`--signature` is required"));
  ASSIGN_OR_FAIL(cmd, auto bytes, read_exact(o.signature, sgx::kSigStructSize, "SIGSTRUCT"));
  auto css = sgx::parse_sigstruct(bytes, "SIGSTRUCT `" + o.signature + "`");
  if (!css.ok()) return fail(cmd, css.error());
  auto checked = sgx::verify_sigstruct(*css, "SIGSTRUCT `" + o.signature + "`");
  if (!checked.ok()) return fail(cmd, checked.error());
  auto shown = sgx::show(sgx::Struct::sigstruct, bytes, o.signature);
  const auto signer = sgx::mrsigner(css->modulus());
  if (!g.json) {  // under --json, printed at the end with the token
    std::printf("SIGSTRUCT %s: signature, Q1 and Q2 verified; MRSIGNER %s\n", o.signature.c_str(),
                base::hex_encode(signer).c_str());
    print_fields(stdout, *shown);
  }
  const std::string dev = o.launch_control.device_root + "/dev/sgx_enclave";
  if (!o.force && has_launch_control(o.launch_control) && access(dev.c_str(), F_OK) == 0) {
    return fail(cmd,
                base::Error(base::Category::failed_precondition,
                            "this machine has SGX flexible launch control (CPUID.(7,0):ECX[30]) "
                            "and " +
                                dev +
                                ": the kernel launches enclaves without tokens, so "
                                "tokens are unused here (--force asks aesmd anyway)"),
                2);
  }
  sgx::aesm::Client client(g.aesm_socket, g.timeout);
  auto token = client.launch_token(css->enclave_hash(), css->modulus(), css->attributes());
  if (!token.ok()) return fail(cmd, token.error());
  const std::string out = o.token.empty() ? default_token_path(o.signature) : o.token;
  auto w = write_output(out, *token);
  if (!w.ok()) return fail(cmd, w.error());
  auto token_fields = sgx::show(sgx::Struct::token, *token, out);
  if (g.json) {
    base::Json j{{"sigstruct", fields_json(*shown)},
                 {"mrsigner", base::hex_encode(signer)},
                 {"token_file", out},
                 {"token", fields_json(*token_fields)}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("EINITTOKEN written to %s (%zu bytes):\n", out.c_str(), token->size());
    print_fields(stdout, *token_fields);
  }
  return 0;
}

int gen_qe_target_info(const Global& g, const GenQeTargetInfoOptions& o) {
  const char* cmd = "gen-qe-target-info";
  sgx::aesm::Client client(g.aesm_socket, g.timeout);
  auto key = client.ecdsa_key_id();
  if (!key.ok()) return fail(cmd, key.error());
  auto ti = client.qe_target_info(*key);
  if (!ti.ok()) return fail(cmd, ti.error());
  auto w = write_output(o.targetinfo, *ti);
  if (!w.ok()) return fail(cmd, w.error());
  auto fields = sgx::show(sgx::Struct::targetinfo, *ti, o.targetinfo);
  if (g.json) {
    base::Json j{{"targetinfo_file", o.targetinfo}, {"targetinfo", fields_json(*fields)}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("the quoting enclave's TARGETINFO written to %s (512 bytes), MRENCLAVE %s\n",
                o.targetinfo.c_str(), base::hex_encode(ti->data(), 32).c_str());
    if (g.verbose) print_fields(stdout, *fields);
  }
  return 0;
}

int gen_quote(const Global& g, const GenQuoteOptions& o) {
  const char* cmd = "gen-quote";
  if (o.report.empty()) return fail(cmd, base::invalid("`--report` is required"));
  if (o.nonce && o.nonce->size() != 16) {
    return fail(cmd, base::invalid("`--nonce` must be 16 bytes (32 hex digits), not " +
                                   std::to_string(o.nonce->size())));
  }
  ASSIGN_OR_FAIL(cmd, auto report, read_exact(o.report, sgx::kReportSize, "REPORT"));
  const std::span<const uint8_t, sgx::kReportSize> rep(report.data(), sgx::kReportSize);
  sgx::aesm::Client client(g.aesm_socket, g.timeout);
  auto key = client.ecdsa_key_id();
  if (!key.ok()) return fail(cmd, key.error());
  // With a nonce: qe_report_info = nonce, the app's TARGETINFO (from its REPORT), room for the
  // QE's REPORT.
  std::array<uint8_t, sgx::kQeReportInfoSize> info{};
  if (o.nonce) {
    memcpy(info.data(), o.nonce->data(), 16);
    const auto app = sgx::target_info_of(rep);
    memcpy(info.data() + 16, app.data(), app.size());
  }
  sgx::aesm::CallInfo call;
  auto got = client.quote(
      rep, *key, o.nonce ? std::optional<std::span<const uint8_t, 960>>(info) : std::nullopt,
      &call);
  if (!got.ok()) {
    auto e = std::move(got).error();
    if (call.aesm_code == sgx::aesm::kAttKeyNotInitialized) {
      e = std::move(e).wrap("the REPORT in `" + o.report +
                            "` was made for a TARGETINFO that is no longer the quoting enclave's: "
                            "run gen-qe-target-info and make a new REPORT");
    }
    return fail(cmd, e);
  }
  auto parsed = rats::formats::parse_intel_quote(got->quote);
  if (!parsed.ok()) return fail(cmd, std::move(parsed).error().wrap("the quote aesmd returned"), 1);
  std::vector<uint8_t> quote(got->quote.begin(), got->quote.begin() + parsed->quote_len);
  if (o.nonce) {
    // The QE's REPORT must bind nonce and quote, and be the quote's QE.
    const uint8_t* qe = got->qe_report_info->data() + 16 + sgx::kTargetInfoSize;
    const auto want = sgx::qe_report_data(std::span<const uint8_t, 16>(o.nonce->data(), 16), quote);
    if (memcmp(qe + 320, want.data(), want.size()) != 0) {
      return fail(cmd,
                  base::invalid("the QE's REPORT does not bind the nonce and the quote: its "
                                "REPORTDATA is " +
                                base::hex_encode(qe + 320, 64) +
                                ", SHA-256(nonce || quote) || zeros is " + base::hex_encode(want)),
                  1);
    }
    if (memcmp(qe + 64, parsed->sig.qe_report.mr_enclave.data(), 32) != 0 ||
        memcmp(qe + 128, parsed->sig.qe_report.mr_signer.data(), 32) != 0) {
      return fail(cmd,
                  base::invalid("the QE's REPORT (MRENCLAVE " + base::hex_encode(qe + 64, 32) +
                                ") is not from the QE that signed the quote (MRENCLAVE " +
                                base::hex_encode(parsed->sig.qe_report.mr_enclave) + ")"),
                  1);
    }
  }
  auto w = write_output(o.quote, quote);
  if (!w.ok()) return fail(cmd, w.error());
  if (g.json) {
    base::Json j{{"quote_file", o.quote},
                 {"quote_size", quote.size()},
                 {"claims", rats::formats::claims_json(*parsed)},
                 {"nonce_bound", o.nonce.has_value()}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("quote written to %s (%zu bytes of a %zu-byte buffer)%s\n", o.quote.c_str(),
                quote.size(), got->quote.size(),
                o.nonce ? "; the QE's REPORT binds the nonce and the quote" : "");
  }
  return 0;
}

}  // namespace sgx_tools
