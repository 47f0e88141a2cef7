#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"
#include "base/json.h"
#include "cli.h"
#include "inclavare/pal.h"
#include "inclavare/sim_tee.h"
#include "runtime/lifecycle.h"

namespace rune {

namespace {

// The sim TEE's quoting target: its MRENCLAVE and the attributes of a production enclave.
std::vector<uint8_t> sim_target_info() {
  std::vector<uint8_t> ti(PAL_SGX_TARGET_INFO_SIZE, 0);
  memcpy(ti.data() + SIM_TEE_TI_MRENCLAVE_OFF, SIM_TEE_QE_MRENCLAVE, 32);
  uint64_t flags = SIM_TEE_ATTR_INIT | SIM_TEE_ATTR_MODE64BIT, xfrm = 3;
  memcpy(ti.data() + SIM_TEE_TI_ATTRIBUTES_OFF, &flags, 8);
  memcpy(ti.data() + SIM_TEE_TI_ATTRIBUTES_OFF + 8, &xfrm, 8);
  return ti;
}

template <typename T>
T le(const std::vector<uint8_t>& r, size_t off) {
  T v;
  memcpy(&v, r.data() + off, sizeof v);
  return v;
}

std::string hex(const std::vector<uint8_t>& r, size_t off, size_t n) {
  return "\"" + base::hex_encode(r.data() + off, n) + "\"";
}

// The report's fields as JSON (SGX REPORT layout, integers little-endian).
std::string report_json(const std::string& id, const std::vector<uint8_t>& r) {
  uint64_t flags = le<uint64_t>(r, SIM_TEE_R_ATTRIBUTES_OFF);
  std::string j = "{\n";
  j += "  \"container\": " + base::json_quote(id) + ",\n";
  j += "  \"report_size\": " + std::to_string(r.size()) + ",\n";
  j += "  \"cpu_svn\": " + hex(r, SIM_TEE_R_CPUSVN_OFF, 16) + ",\n";
  j += "  \"misc_select\": " + std::to_string(le<uint32_t>(r, SIM_TEE_R_MISCSELECT_OFF)) + ",\n";
  j += "  \"isv_ext_prod_id\": " + hex(r, SIM_TEE_R_ISVEXTPRODID_OFF, 16) + ",\n";
  j += "  \"attributes\": " + hex(r, SIM_TEE_R_ATTRIBUTES_OFF, 16) + ",\n";
  j += std::string("  \"debug\": ") + ((flags & SIM_TEE_ATTR_DEBUG) ? "true" : "false") + ",\n";
  j += "  \"mrenclave\": " + hex(r, SIM_TEE_R_MRENCLAVE_OFF, 32) + ",\n";
  j += "  \"mrsigner\": " + hex(r, SIM_TEE_R_MRSIGNER_OFF, 32) + ",\n";
  j += "  \"config_id\": " + hex(r, SIM_TEE_R_CONFIGID_OFF, 64) + ",\n";
  j += "  \"isv_prod_id\": " + std::to_string(le<uint16_t>(r, SIM_TEE_R_ISVPRODID_OFF)) + ",\n";
  j += "  \"isv_svn\": " + std::to_string(le<uint16_t>(r, SIM_TEE_R_ISVSVN_OFF)) + ",\n";
  j += "  \"config_svn\": " + std::to_string(le<uint16_t>(r, SIM_TEE_R_CONFIGSVN_OFF)) + ",\n";
  j += "  \"isv_family_id\": " + hex(r, SIM_TEE_R_ISVFAMILYID_OFF, 16) + ",\n";
  j += "  \"report_data\": " + hex(r, SIM_TEE_R_REPORTDATA_OFF, 64) + ",\n";
  j += "  \"key_id\": " + hex(r, SIM_TEE_R_KEYID_OFF, 32) + ",\n";
  j += "  \"mac\": " + hex(r, SIM_TEE_R_MAC_OFF, 16) + ",\n";
  j += "  \"raw\": \"" + base::base64_encode(r.data(), r.size()) + "\"\n}\n";
  return j;
}

}  // namespace

// Evidence: checks the container, then execs the helper rune-attest with what it needs.
int attest_evidence(const Args& a, const Globals& g) {
  for (const char* only_report : {"target-info"})
    if (a.has(only_report))
      return fail(base::invalid(std::string("`--") + only_report + "` goes with `--report`"), g);
  if (a.has("nonce") && a.has("no-nonce"))
    return fail(base::invalid("give `--nonce` or `--no-nonce`, not both"), g);
  const std::string& id = a.positional[0];
  runtime::Runtime rt(g.root);
  auto in = rt.info(id);
  if (!in.ok()) return fail(in.error(), g);
  if (!in->state.enclave)
    return fail(base::Error(base::Category::failed_precondition,
                            "container `" + id + "` is not an enclave container: no evidence"),
                g);
  const auto& e = *in->state.enclave;
  if (e.pal_version < 3)
    return fail(base::Error(base::Category::failed_precondition,
                            "container `" + id + "`: its enclave runtime `" + e.runtime_path +
                                "` implements PAL API v" + std::to_string(e.pal_version) +
                                ", which makes no local report (v3 does)"),
                g);
  auto helper = installed_file("rune-attest");
  if (!helper.ok()) return fail(std::move(helper).error().wrap("rune attest"), g);
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return fail(base::sys_error("readlink /proc/self/exe"), g);
  self[n] = '\0';
  std::vector<std::string> args = {*helper, "--rune", self, "--global=--root=" + g.root};
  if (!g.log.empty()) {
    args.push_back("--global=--log=" + g.log);
    args.push_back("--global=--log-format=" + g.log_format);
  }
  args.insert(args.end(), {"--tee", e.type, "--pal", e.runtime_path, "--pal-version",
                           std::to_string(e.pal_version)});
  for (const char* f : {"nonce", "output", "aesm-socket", "sim-state-dir"}) {
    if (a.has(f)) {
      args.push_back(std::string("--") + f);
      args.push_back(a.get(f));
    }
  }
  if (a.has("no-nonce")) args.push_back("--no-nonce");
  args.push_back("--");
  args.push_back(id);
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  fflush(stdout);
  execv(argv[0], argv.data());
  return fail(base::sys_error("exec the helper `" + *helper + "`"), g);
}

int cmd_attest(const Args& a, const Globals& g) {
  if (!a.has("report")) return attest_evidence(a, g);
  std::vector<uint8_t> ti = sim_target_info();
  if (a.has("target-info")) {
    std::string path = a.get("target-info");
    auto text = base::read_file(path, PAL_SGX_TARGET_INFO_SIZE + 1);
    if (!text.ok()) return fail(std::move(text).error().wrap("`--target-info`"), g);
    if (text->size() != PAL_SGX_TARGET_INFO_SIZE)
      return fail(base::invalid("`--target-info`: `" + path + "` has " +
                                std::to_string(text->size()) + " bytes; an SGX TARGETINFO has " +
                                std::to_string(PAL_SGX_TARGET_INFO_SIZE)),
                  g);
    ti.assign(text->begin(), text->end());
  }
  runtime::Runtime rt(g.root);
  auto report = rt.attest(a.positional[0], ti);
  if (!report.ok()) return fail(report.error(), g);
  if (report->size() != PAL_SGX_REPORT_SIZE)
    return fail(
        base::Error(base::Category::internal, "the enclave runtime returned a report of " +
                                                  std::to_string(report->size()) + " bytes, not " +
                                                  std::to_string(PAL_SGX_REPORT_SIZE)),
        g);
  if (a.has("output")) {
    std::string out(report->begin(), report->end());
    auto s = base::write_file_atomic(a.get("output"), out, 0644);
    if (!s.ok()) return fail(std::move(s).error().wrap("`--output`"), g);
  }
  std::string j = report_json(a.positional[0], *report);
  fwrite(j.data(), 1, j.size(), stdout);
  return 0;
}

}  // namespace rune
