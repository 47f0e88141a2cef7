// sgx-tools: the command line only; the commands are src/sgx_tools.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/flags.h"
#include "base/log.h"
#include "sgx_tools/tools.h"

namespace {

using base::flags::Flag;
using base::flags::Kind;

// Accepted before the command and after it.
const Flag kCommon[] = {
    {"aesm-socket", 0, Kind::value, "PATH", "aesmd's socket (/var/run/aesmd/aesm.socket)"},
    {"timeout", 0, Kind::value, "SECONDS",
     "for each exchange with aesmd: connect, send, answer (60)"},
    {"verbose", 0, Kind::boolean, "", "print every field"},
    {"json", 0, Kind::boolean, "", "print JSON"},
    {"log", 0, Kind::value, "FILE", "log here (default: stderr)"},
    {"log-format", 0, Kind::value, "text|json", "the log's format (text)"},
    {"version", 0, Kind::boolean, "", "print the version"},
};

struct Command {
  const char* name;
  std::vector<Flag> flags;
  const char* usage;
};

std::vector<Flag> with_common(std::vector<Flag> own) {
  own.insert(own.end(), std::begin(kCommon), std::end(kCommon));
  return own;
}

const Flag kQuoteType = {"quote-type", 0, Kind::value, "TYPE",
                         "ecdsa (the default; EPID types are refused)"};
const Flag kSpid = {"spid", 0, Kind::value, "HEX", "EPID only: refused"};

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"gen-token",
       with_common({{"signature", 0, Kind::value, "FILE", "the enclave's SIGSTRUCT (1808 bytes)"},
                    {"token", 0, Kind::value, "FILE", "output (default: FILE.sig -> FILE.token)"},
                    {"force", 0, Kind::boolean, "", "ask aesmd even where tokens are unused"},
                    {"cpuid-7-0-ecx", 0, Kind::value, "HEX", "", true},
                    {"device-root", 0, Kind::value, "DIR", "", true}}),
       "gen-token --signature FILE [--token FILE] [--force]\n"
       "  Checks the SIGSTRUCT (header, signature, Q1, Q2), prints it, and asks aesmd for an\n"
       "  EINITTOKEN (GetLaunchToken). With SGX flexible launch control and /dev/sgx_enclave\n"
       "  tokens are unused: exit 2 unless --force."},
      {"gen-qe-target-info",
       with_common(
           {kQuoteType, {"targetinfo", 0, Kind::value, "FILE", "output (qe_targetinfo.bin)"}}),
       "gen-qe-target-info [--targetinfo FILE]\n"
       "  The quoting enclave's TARGETINFO (512 bytes) for the ECDSA-P256 key aesmd selects."},
      {"gen-quote",
       with_common({kQuoteType,
                    kSpid,
                    {"report", 0, Kind::value, "FILE", "the enclave's REPORT (432 bytes)"},
                    {"nonce", 0, Kind::value, "HEX",
                     "16 bytes: also get the QE's REPORT and check that it\nbinds the nonce and "
                     "the quote"},
                    {"quote", 0, Kind::value, "FILE", "output (quote.bin)"}}),
       "gen-quote --report FILE [--nonce HEX] [--quote FILE]\n"
       "  An ECDSA quote (GetQuoteSizeEx, GetQuoteEx) for a REPORT made for the quoting\n"
       "  enclave's TARGETINFO, written at its own length."},
      {"verify-quote",
       with_common({kQuoteType,
                    {"quote", 0, Kind::value, "FILE", "the quote"},
                    {"quotes-from", 0, Kind::value, "LIST", "a file naming one quote per line"},
                    {"collateral", 0, Kind::value, "FILE",
                     "collateral JSON (roles -> files), as shelter verify"},
                    {"at", 0, Kind::value, "UNIX_SECONDS", "verify at this time (now)"},
                    {"report-data", 0, Kind::value, "HEX", "expected report data (<= 64 bytes)"},
                    {"policy", 0, Kind::value, "FILE", "JSON policy (docs/attestation.md)"},
                    {"trust-sim-root", 0, Kind::value, "DIR",
                     "verify a sim TEE quote, trusting the root of this state"}}),
       "verify-quote (--quote FILE | --quotes-from LIST) (--collateral FILE | --trust-sim-root "
       "DIR)\n"
       "             [--at UNIX_SECONDS] [--report-data HEX] [--policy FILE] [--json]\n"
       "  Offline: no socket is opened. Exit 0 trusted, 1 not trusted, 2 unusable input; a\n"
       "  batch prints one line per quote and exits with the worst."},
      {"dump",
       with_common(
           {{"type", 0, Kind::value, "TYPE",
             "auto|quote|report|targetinfo|sigstruct|token|keyid|\nqe-report-info (auto: by "
             "size, else a quote)"},
            {"pck-cert", 0, Kind::value, "FILE",
             "the PCK certificate, for quotes whose certification\ndata holds none "
             "(types 1-3)"}}),
       "dump FILE [--type TYPE] [--pck-cert FILE] [--json]\n"
       "  Every field with its offset, size, name and value."},
  };
  return kCommands;
}

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: sgx-tools [--aesm-socket PATH] [--timeout S] [--verbose] COMMAND [FLAGS]\n"
               "\n"
               "Talks to Intel's AESM service (aesmd, or aesm-sim), makes and verifies SGX ECDSA\n"
               "quotes offline, and prints SGX structures. Commands:\n\n");
  for (const auto& c : commands()) std::fprintf(out, "%s\n\n", c.usage);
  std::fprintf(out,
               "Flags of every command:\n%s\nExit status: 0 done, 1 an AESM or system "
               "failure (verify-quote: not trusted), 2 bad input or usage.\n",
               base::flags::help_lines(kCommon, 26).c_str());
}

int usage_error(const std::string& cmd, const std::string& msg) {
  std::fprintf(stderr, "sgx-tools%s%s: %s\n(run `sgx-tools --help`)\n", cmd.empty() ? "" : " ",
               cmd.c_str(), msg.c_str());
  return base::kExitUsage;
}

// Applies the common flags of `a` to `g`; 0 or an exit status.
int common(const base::flags::Args& a, const std::string& cmd, sgx_tools::Global& g) {
  if (a.has("aesm-socket")) g.aesm_socket = a.get("aesm-socket");
  if (a.has("timeout")) {
    auto v = base::parse_nonnegative(a.get("timeout"));
    if (!v || *v < 1 || *v > 3600) {
      return usage_error(cmd,
                         "`--timeout` must be 1 to 3600 seconds, not `" + a.get("timeout") + "`");
    }
    g.timeout = std::chrono::seconds(*v);
  }
  if (a.has("verbose")) g.verbose = true;
  if (a.has("json")) g.json = true;
  if (a.has("log") || a.has("log-format")) {
    base::log::Format format;
    if (!base::log::parse_format(a.get("log-format", "text"), format)) {
      return usage_error(cmd,
                         "`--log-format` must be text or json, not `" + a.get("log-format") + "`");
    }
    base::log::configure(a.get("log"), format, g.verbose);
  }
  return 0;
}

std::optional<std::vector<uint8_t>> hex_flag(const base::flags::Args& a, const char* name) {
  return base::hex_decode(a.get(name));
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> words(argv + 1, argv + argc);
  auto global = base::flags::parse(kCommon, words, base::flags::Order::flags_first, "sgx-tools");
  if (!global.ok()) return usage_error("", global.error().message());
  if (global->help) {
    usage(stdout);
    return 0;
  }
  if (global->has("version")) {
    std::printf("sgx-tools version %s\n", SGX_TOOLS_VERSION);
    return 0;
  }
  if (global->positional.empty()) return usage_error("", "a command is required");
  sgx_tools::Global g;
  if (int rc = common(*global, "", g); rc != 0) return rc;
  const std::string name = global->positional[0];
  const Command* cmd = nullptr;
  for (const auto& c : commands()) {
    if (name == c.name) cmd = &c;
  }
  if (cmd == nullptr) {
    return usage_error("", "unknown command `" + name +
                               "` (gen-token, gen-qe-target-info, gen-quote, verify-quote, dump)");
  }
  std::vector<std::string> rest(global->positional.begin() + 1, global->positional.end());
  auto parsed =
      base::flags::parse(cmd->flags, rest, base::flags::Order::interspersed, "sgx-tools " + name);
  if (!parsed.ok()) return usage_error(name, parsed.error().message());
  const base::flags::Args& a = *parsed;
  if (a.help) {
    std::printf("Usage: sgx-tools %s\n\n%s", cmd->usage,
                base::flags::help_lines(cmd->flags, 26).c_str());
    return 0;
  }
  if (a.has("version")) {
    std::printf("sgx-tools version %s\n", SGX_TOOLS_VERSION);
    return 0;
  }
  if (int rc = common(a, name, g); rc != 0) return rc;
  if (name != "dump" && !a.positional.empty()) {
    return usage_error(name, "unexpected argument `" + a.positional[0] + "`");
  }
  if (a.has("quote-type") || a.has("spid")) {
    if (int rc = sgx_tools::check_quote_type(name, a.get("quote-type"), a.has("spid")); rc != 0)
      return rc;
  }

  if (name == "gen-token") {
    sgx_tools::GenTokenOptions o;
    o.signature = a.get("signature");
    o.token = a.get("token");
    o.force = a.has("force");
    if (a.has("cpuid-7-0-ecx")) {
      auto v = base::hex_decode(a.get("cpuid-7-0-ecx"));
      if (!v || v->size() != 4) {
        return usage_error(
            name, "`--cpuid-7-0-ecx` wants 8 hex digits, not `" + a.get("cpuid-7-0-ecx") + "`");
      }
      o.launch_control.cpuid_7_0_ecx =
          uint32_t{(*v)[0]} << 24 | uint32_t{(*v)[1]} << 16 | uint32_t{(*v)[2]} << 8 | (*v)[3];
    }
    if (a.has("device-root")) o.launch_control.device_root = a.get("device-root");
    return sgx_tools::gen_token(g, o);
  }
  if (name == "gen-qe-target-info") {
    sgx_tools::GenQeTargetInfoOptions o;
    if (a.has("targetinfo")) o.targetinfo = a.get("targetinfo");
    return sgx_tools::gen_qe_target_info(g, o);
  }
  if (name == "gen-quote") {
    sgx_tools::GenQuoteOptions o;
    o.report = a.get("report");
    if (a.has("quote")) o.quote = a.get("quote");
    if (a.has("nonce")) {
      auto n = hex_flag(a, "nonce");
      if (!n || n->size() != 16) {
        return usage_error(
            name, "`--nonce` must be 16 bytes (32 hex digits), not `" + a.get("nonce") + "`");
      }
      o.nonce = *n;
    }
    return sgx_tools::gen_quote(g, o);
  }
  if (name == "verify-quote") {
    sgx_tools::VerifyQuoteOptions o;
    if (a.has("quote") == a.has("quotes-from")) {
      return usage_error(name, "give `--quote FILE` or `--quotes-from LIST` (one of them)");
    }
    if (a.has("quote")) {
      o.quotes.push_back(a.get("quote"));
    } else {
      auto list = base::read_file(a.get("quotes-from"), 64 << 20);
      if (!list.ok()) return usage_error(name, list.error().message());
      size_t start = 0;
      while (start < list->size()) {
        size_t end = list->find('\n', start);
        if (end == std::string::npos) end = list->size();
        std::string line = list->substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) o.quotes.push_back(line);
        start = end + 1;
      }
      if (o.quotes.empty())
        return usage_error(name, "`" + a.get("quotes-from") + "` names no quote");
      o.batch = true;
    }
    o.collateral = a.get("collateral");
    o.policy = a.get("policy");
    o.trust_sim_root = a.get("trust-sim-root");
    if (a.has("at")) {
      auto t = base::parse_nonnegative(a.get("at"));
      if (!t) return usage_error(name, "`--at` must be Unix seconds, not `" + a.get("at") + "`");
      o.at = *t;
    }
    if (a.has("report-data")) {
      auto rd = hex_flag(a, "report-data");
      if (!rd || rd->empty() || rd->size() > 64) {
        return usage_error(name, "`--report-data` must be 1 to 64 bytes of hex, not `" +
                                     a.get("report-data") + "`");
      }
      o.report_data = *rd;
    }
    return sgx_tools::verify_quote(g, o);
  }
  // dump
  sgx_tools::DumpOptions o;
  if (a.positional.size() != 1) return usage_error(name, "give one FILE to dump");
  o.file = a.positional[0];
  if (a.has("type")) o.type = a.get("type");
  o.pck_cert = a.get("pck-cert");
  return sgx_tools::dump(g, o);
}
