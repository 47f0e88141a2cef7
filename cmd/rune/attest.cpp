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

int cmd_attest(const Args& a, const Globals& g) {
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
