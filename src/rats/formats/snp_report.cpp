#include "rats/formats/snp_report.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "base/encoding.h"
#include "rats/formats/reader.h"

namespace rats::formats {
namespace {

struct Field {
  size_t offset;
  const char* name;
};

// Fields in order (attestation-formats.md §6), used to name the first field a short input cuts.
constexpr Field kFields[] = {
    {0x000, "version"},
    {0x004, "guest_svn"},
    {0x008, "policy"},
    {0x010, "family_id"},
    {0x020, "image_id"},
    {0x030, "vmpl"},
    {0x034, "signature_algo"},
    {0x038, "current_tcb"},
    {0x040, "platform_info"},
    {0x048, "signer_info"},
    {0x04C, "reserved"},
    {0x050, "report_data"},
    {0x090, "measurement"},
    {0x0C0, "host_data"},
    {0x0E0, "id_key_digest"},
    {0x110, "author_key_digest"},
    {0x140, "report_id"},
    {0x160, "report_id_ma"},
    {0x180, "reported_tcb"},
    {0x188, "cpuid"},
    {0x18B, "reserved"},
    {0x1A0, "chip_id"},
    {0x1E0, "committed_tcb"},
    {0x1E8, "current_version"},
    {0x1EC, "committed_version"},
    {0x1F0, "launch_tcb"},
    {0x1F8, "launch_mit_vector"},
    {0x200, "current_mit_vector"},
    {0x208, "reserved"},
    {0x2A0, "signature_r"},
    {0x2E8, "signature_s"},
    {0x330, "reserved"},
};

std::string hex_offset(size_t off) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%03zX", off);
  return buf;
}

// The field that contains byte `off` (off < kSnpReportSize).
const Field& field_at(size_t off) {
  const Field* f = &kFields[0];
  for (const Field& g : kFields) {
    if (g.offset <= off) f = &g;
  }
  return *f;
}

template <size_t N>
Bytes<N> copy_at(const uint8_t* p, size_t off) {
  Bytes<N> out;
  std::memcpy(out.data(), p + off, N);
  return out;
}

// Ranges that must be zero for `version` (half-open).
std::optional<size_t> first_nonzero_reserved(const uint8_t* p, uint32_t version) {
  struct Range {
    size_t begin, end;
  };
  const Range ranges[] = {
      {0x04C, 0x050},
      {version >= 3 ? size_t{0x18B} : size_t{0x188}, 0x1A0},  // v2: CPUID bytes reserved too
      {0x1EB, 0x1EC},
      {0x1EF, 0x1F0},
      {version >= 5 ? size_t{0x208} : size_t{0x1F8}, kSnpSignedLen},  // before v5: no MIT vectors
      {0x330, kSnpReportSize},
  };
  if ((load_le32(p + 0x048) >> 5) != 0) return 0x048;  // signer_info bits 5..31
  for (const Range& r : ranges) {
    for (size_t i = r.begin; i < r.end; ++i) {
      if (p[i] != 0) return i;
    }
  }
  return std::nullopt;
}

}  // namespace

base::Result<SnpReport> parse_snp_report(std::span<const uint8_t> data) {
  Reader r(data, "snp report");
  if (data.size() > kMaxEvidenceSize) {
    return r.error(std::to_string(data.size()) + " bytes is over the " +
                   std::to_string(kMaxEvidenceSize) + "-byte limit for evidence");
  }
  if (data.size() < kSnpReportSize) {
    const Field& f = field_at(data.size());
    return r.error("truncated at `" + std::string(f.name) + "` (offset " + hex_offset(f.offset) +
                   "): the report is " + std::to_string(kSnpReportSize) + " bytes but only " +
                   std::to_string(data.size()) + " were given");
  }
  const uint8_t* p = data.data();
  SnpReport s;
  s.version = load_le32(p + 0x000);
  if (s.version < 2 || s.version > 5) {
    return r.error("unsupported `version` " + std::to_string(s.version) +
                   " at offset 0x000 (expected 2, 3, 4 or 5)");
  }
  s.signature_algo = load_le32(p + 0x034);
  if (s.signature_algo != kSnpSigAlgoEcdsaP384Sha384) {
    return r.error("unsupported `signature_algo` " + std::to_string(s.signature_algo) +
                   " at offset 0x034 (only 1, ECDSA P-384 with SHA-384)");
  }
  s.signer_info = load_le32(p + 0x048);
  unsigned key = (s.signer_info >> 2) & 7;
  if (key != 0 && key != 1 && key != 7) {
    return r.error("unsupported SIGNING_KEY " + std::to_string(key) +
                   " in `signer_info` at offset 0x048 (expected 0 VCEK, 1 VLEK or 7 none)");
  }
  s.guest_svn = load_le32(p + 0x004);
  s.policy = load_le64(p + 0x008);
  s.family_id = copy_at<16>(p, 0x010);
  s.image_id = copy_at<16>(p, 0x020);
  s.vmpl = load_le32(p + 0x030);
  s.current_tcb = load_le64(p + 0x038);
  s.platform_info = load_le64(p + 0x040);
  s.report_data = copy_at<64>(p, 0x050);
  s.measurement = copy_at<48>(p, 0x090);
  s.host_data = copy_at<32>(p, 0x0C0);
  s.id_key_digest = copy_at<48>(p, 0x0E0);
  s.author_key_digest = copy_at<48>(p, 0x110);
  s.report_id = copy_at<32>(p, 0x140);
  s.report_id_ma = copy_at<32>(p, 0x160);
  s.reported_tcb = load_le64(p + 0x180);
  if (s.version >= 3) {
    s.cpuid_fam_id = p[0x188];
    s.cpuid_mod_id = p[0x189];
    s.cpuid_step = p[0x18A];
  }
  s.chip_id = copy_at<64>(p, 0x1A0);
  s.committed_tcb = load_le64(p + 0x1E0);
  s.current_build = p[0x1E8];
  s.current_minor = p[0x1E9];
  s.current_major = p[0x1EA];
  s.committed_build = p[0x1EC];
  s.committed_minor = p[0x1ED];
  s.committed_major = p[0x1EE];
  s.launch_tcb = load_le64(p + 0x1F0);
  if (s.version >= 5) {
    s.launch_mit_vector = load_le64(p + 0x1F8);
    s.current_mit_vector = load_le64(p + 0x200);
  }
  s.signature_r = copy_at<72>(p, 0x2A0);
  s.signature_s = copy_at<72>(p, 0x2E8);
  s.nonzero_reserved_offset = first_nonzero_reserved(p, s.version);
  s.trailing_bytes = data.size() - kSnpReportSize;
  return s;
}

nlohmann::json claims_json(const SnpReport& s) {
  auto hex = [](const auto& b) { return base::hex_encode(b.data(), b.size()); };
  nlohmann::json j = nlohmann::json::object();
  j["tee"] = "snp";
  j["report_version"] = s.version;
  j["measurement"] = hex(s.measurement);
  j["report_data"] = hex(s.report_data);
  j["host_data"] = hex(s.host_data);
  j["policy"] = s.policy;
  j["debug"] = s.debug_allowed();
  j["smt_allowed"] = s.smt_allowed();
  j["migrate_ma"] = s.migrate_ma_allowed();
  j["guest_svn"] = s.guest_svn;
  j["vmpl"] = s.vmpl;
  j["family_id"] = hex(s.family_id);
  j["image_id"] = hex(s.image_id);
  j["id_key_digest"] = hex(s.id_key_digest);
  j["author_key_digest"] = hex(s.author_key_digest);
  j["report_id"] = hex(s.report_id);
  j["report_id_ma"] = hex(s.report_id_ma);
  j["chip_id"] = hex(s.chip_id);
  j["platform_info"] = s.platform_info;
  switch (s.signing_key()) {
    case SnpSigningKey::vcek:
      j["signing_key"] = "vcek";
      break;
    case SnpSigningKey::vlek:
      j["signing_key"] = "vlek";
      break;
    case SnpSigningKey::none:
      j["signing_key"] = "none";
      break;
  }
  j["current_tcb"] = s.current_tcb;
  j["reported_tcb"] = s.reported_tcb;
  j["committed_tcb"] = s.committed_tcb;
  j["launch_tcb"] = s.launch_tcb;
  j["firmware_version"] = std::to_string(s.current_major) + "." + std::to_string(s.current_minor) +
                          "." + std::to_string(s.current_build);
  if (s.version >= 3) {
    j["cpuid_fam_id"] = s.cpuid_fam_id;
    j["cpuid_mod_id"] = s.cpuid_mod_id;
    j["cpuid_step"] = s.cpuid_step;
  }
  return j;
}

}  // namespace rats::formats
