// Evidence types of the attestation library: parsed views of Intel SGX/TDX DCAP quotes and AMD
// SEV-SNP attestation reports.
//
// These are plain copies of the fields, decoded from little-endian where the field is an integer;
// byte strings (hashes, report data, ECDSA values) are kept in their on-wire order. Offsets in the
// comments are byte offsets within the structure named in the section heading. The layouts are
// those of ../shared/design/attestation-formats.md §1-4 (Intel) and §6 (AMD), checked against the
// real vectors in ../shared/vectors. Parsing lives in src/rats/formats/; nothing here is verified:
// a parsed quote is only well-formed, not trusted.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "base/le_load.h"

namespace rats {

enum class Tee { sim, sgx, tdx, snp };

constexpr std::string_view tee_name(Tee tee) {
  switch (tee) {
    case Tee::sim:
      return "sim";
    case Tee::sgx:
      return "sgx";
    case Tee::tdx:
      return "tdx";
    case Tee::snp:
      return "snp";
  }
  return "unknown";
}

template <size_t N>
using Bytes = std::array<uint8_t, N>;

// Little-endian u64 from 8 bytes.
constexpr uint64_t le64(const uint8_t* p) {
  return base::load_le64(p);
}

// Evidence larger than this is rejected before parsing: real quotes are about 5 KiB and SNP
// reports 1184 bytes; configfs-tsm caps its outblob at 32 KiB.
inline constexpr size_t kMaxEvidenceSize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Intel DCAP quotes (SGX v3, SGX/TDX v4, TDX v5)

inline constexpr uint16_t kAttKeyTypeEcdsaP256 = 2;
inline constexpr uint32_t kTeeTypeSgx = 0x00000000;
inline constexpr uint32_t kTeeTypeTdx = 0x00000081;
// QE vendor id of Intel's quoting enclaves. The parser records the quote's value; the verifier
// decides whether anything else is acceptable.
inline constexpr Bytes<16> kIntelQeVendorId = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                               0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

// Quote v5 body descriptor types; v3 and v4 quotes get the type their TEE type implies.
inline constexpr uint16_t kBodyTypeSgx = 1;   // SGX report body, 384 bytes
inline constexpr uint16_t kBodyTypeTd10 = 2;  // TD report body (TDX 1.0), 584 bytes
inline constexpr uint16_t kBodyTypeTd15 = 3;  // TD report body (TDX 1.5), 648 bytes
inline constexpr size_t kSgxReportBodySize = 384;
inline constexpr size_t kTdReportBody10Size = 584;
inline constexpr size_t kTdReportBody15Size = 648;

// Certification data types (quote signature data).
inline constexpr uint16_t kCertDataPpidClear = 1;
inline constexpr uint16_t kCertDataPpidRsa2048 = 2;
inline constexpr uint16_t kCertDataPpidRsa3072 = 3;
inline constexpr uint16_t kCertDataPckLeaf = 4;
inline constexpr uint16_t kCertDataPckChain = 5;  // PEM: leaf, intermediate, root
inline constexpr uint16_t kCertDataQeReport = 6;  // v4/v5 wrapper around QE report + type 5
inline constexpr uint16_t kCertDataPlatformManifest = 7;

// Quote header: 48 bytes at offset 0 of every quote version.
inline constexpr size_t kQuoteHeaderSize = 48;
struct IntelQuoteHeader {
  uint16_t version = 0;       // 0: 3, 4 or 5
  uint16_t att_key_type = 0;  // 2: 2 = ECDSA-256-with-P-256 (the only one accepted)
  uint32_t tee_type = 0;      // 4: v4/v5 0x00 SGX, 0x81 TDX; v3 reserved (must be 0)
  uint16_t qe_svn = 0;        // 8
  uint16_t pce_svn = 0;       // 10
  Bytes<16> qe_vendor_id{};   // 12: Intel QE = kIntelQeVendorId (not checked by the parser)
  Bytes<20> user_data{};      // 28: first 16 bytes = platform QE id
};

// SGX report body: 384 bytes. The enclave's body in SGX quotes and the QE report in all versions.
struct SgxReportBody {
  Bytes<16> cpu_svn{};          // 0
  uint32_t misc_select = 0;     // 16 (reserved 12 bytes at 20)
  Bytes<16> isv_ext_prod_id{};  // 32
  Bytes<16> attributes{};       // 48: flags u64 (bit1 DEBUG) then XFRM u64, as on the wire
  Bytes<32> mr_enclave{};       // 64 (reserved 32 bytes at 96)
  Bytes<32> mr_signer{};        // 128 (reserved 32 bytes at 160)
  Bytes<64> config_id{};        // 192
  uint16_t isv_prod_id = 0;     // 256
  uint16_t isv_svn = 0;         // 258
  uint16_t config_svn = 0;      // 260 (reserved 42 bytes at 262)
  Bytes<16> isv_family_id{};    // 304
  Bytes<64> report_data{};      // 320

  // ATTRIBUTES bytes 0..7 as a little-endian integer.
  uint64_t attribute_flags() const { return le64(attributes.data()); }
  bool debug() const { return (attribute_flags() & 0x2) != 0; }
};

// TD report body: 584 bytes (TDX 1.0) or 648 bytes (TDX 1.5, quote v5 body type 3).
struct TdReportBody {
  Bytes<16> tee_tcb_svn{};          // 0: [0] module minor SVN, [1] module major version, ...
  Bytes<48> mr_seam{};              // 16
  Bytes<48> mr_signer_seam{};       // 64
  Bytes<8> seam_attributes{};       // 112
  Bytes<8> td_attributes{};         // 120: bit0 DEBUG, bit28 SEPT_VE_DISABLE, ... (wire order)
  Bytes<8> xfam{};                  // 128
  Bytes<48> mr_td{};                // 136
  Bytes<48> mr_config_id{};         // 184
  Bytes<48> mr_owner{};             // 232
  Bytes<48> mr_owner_config{};      // 280
  std::array<Bytes<48>, 4> rtmr{};  // 328, 376, 424, 472
  Bytes<64> report_data{};          // 520
  bool td15 = false;                // true for the 648-byte TDX 1.5 body; then:
  Bytes<16> tee_tcb_svn2{};         // 584 (TDX 1.5): SVN of the running module
  Bytes<48> mr_service_td{};        // 600 (TDX 1.5)

  // TDATTRIBUTES as a little-endian integer.
  uint64_t td_attribute_flags() const { return le64(td_attributes.data()); }
  bool debug() const { return (td_attribute_flags() & 0x1) != 0; }
};

// ECDSA-256 quote signature data, with certification data unwrapped. For v4/v5 the outer
// certification data (type 6) is opened and its QE report, QE report signature, QE auth data and
// inner certification data (normally type 5, the PCK chain) are stored here; for v3 these are at
// the top level of the signature data.
struct IntelQuoteSignatureData {
  Bytes<64> quote_signature{};        // sig_data+0: r || s, big-endian, over the signed region
  Bytes<64> attestation_key{};        // sig_data+64: X || Y, big-endian (P-256 point without 0x04)
  uint16_t outer_cert_data_type = 0;  // v4/v5: 6; v3: equal to cert_data_type
  SgxReportBody qe_report;            // 384 bytes, decoded
  Bytes<384> qe_report_raw{};         // the same 384 bytes as signed by the PCK key
  Bytes<64> qe_report_signature{};    // r || s, big-endian
  std::vector<uint8_t> qe_auth_data;  // u16 length-prefixed; normally 32 bytes 00..1f
  uint16_t cert_data_type = 0;        // innermost certification data type (5 = PCK chain PEM)
  std::vector<uint8_t> cert_data;     // its bytes as the u32 size gives (PEM may end in NUL)
};

struct IntelQuote {
  IntelQuoteHeader header;
  Tee tee = Tee::sgx;      // from tee_type: sgx or tdx
  uint16_t body_type = 0;  // kBodyType*: v5 descriptor, or implied for v3/v4
  std::variant<SgxReportBody, TdReportBody> body;
  IntelQuoteSignatureData sig;

  // Offsets into the parsed input, for verifiers and tamper tests.
  size_t body_offset = 0;      // 48 (v3/v4) or 54 (v5)
  size_t signed_len = 0;       // the quote signature covers bytes [0, signed_len)
  size_t sig_data_offset = 0;  // first byte after the u32 sig_data_len
  size_t sig_data_len = 0;
  size_t qe_report_offset = 0;
  size_t qe_auth_data_offset = 0;  // first byte of the auth data (after its u16 length)
  size_t cert_data_offset = 0;     // first byte of the innermost certification data
  size_t quote_len = 0;            // end given by the length fields = sig_data_offset + len
  size_t trailing_bytes = 0;       // input bytes after quote_len (ignored)

  const SgxReportBody* sgx_body() const { return std::get_if<SgxReportBody>(&body); }
  const TdReportBody* td_body() const { return std::get_if<TdReportBody>(&body); }
  bool qe_vendor_is_intel() const { return header.qe_vendor_id == kIntelQeVendorId; }
};

// ---------------------------------------------------------------------------------------------
// AMD SEV-SNP ATTESTATION_REPORT (0x4A0 = 1184 bytes)

inline constexpr size_t kSnpReportSize = 0x4A0;
inline constexpr size_t kSnpSignedLen = 0x2A0;  // signature covers [0, 0x2A0)
inline constexpr uint32_t kSnpSigAlgoEcdsaP384Sha384 = 1;

enum class SnpSigningKey : uint8_t { vcek = 0, vlek = 1, none = 7 };

struct SnpReport {
  uint32_t version = 0;             // 0x000: 2, 3, 4 (layout of 3) or 5
  uint32_t guest_svn = 0;           // 0x004
  uint64_t policy = 0;              // 0x008: bit16 SMT, bit18 MIGRATE_MA, bit19 DEBUG
  Bytes<16> family_id{};            // 0x010
  Bytes<16> image_id{};             // 0x020
  uint32_t vmpl = 0;                // 0x030
  uint32_t signature_algo = 0;      // 0x034: 1 = ECDSA P-384 with SHA-384 (the only one accepted)
  uint64_t current_tcb = 0;         // 0x038: TCB_VERSION
  uint64_t platform_info = 0;       // 0x040: bit0 SMT_EN, bit1 TSME_EN, ...
  uint32_t signer_info = 0;         // 0x048: bit0 AUTHOR_KEY_EN, bit1 MASK_CHIP_KEY, bits4:2 key
                                    // (0x04C: 4 reserved bytes)
  Bytes<64> report_data{};          // 0x050
  Bytes<48> measurement{};          // 0x090
  Bytes<32> host_data{};            // 0x0C0
  Bytes<48> id_key_digest{};        // 0x0E0
  Bytes<48> author_key_digest{};    // 0x110
  Bytes<32> report_id{};            // 0x140
  Bytes<32> report_id_ma{};         // 0x160
  uint64_t reported_tcb = 0;        // 0x180: the TCB the VCEK/VLEK is issued for
  uint8_t cpuid_fam_id = 0;         // 0x188 (v3+; zero in v2)
  uint8_t cpuid_mod_id = 0;         // 0x189 (v3+)
  uint8_t cpuid_step = 0;           // 0x18A (v3+)   (0x18B..0x19F reserved)
  Bytes<64> chip_id{};              // 0x1A0: zero when MASK_CHIP_ID (VLEK reports)
  uint64_t committed_tcb = 0;       // 0x1E0
  uint8_t current_build = 0;        // 0x1E8
  uint8_t current_minor = 0;        // 0x1E9
  uint8_t current_major = 0;        // 0x1EA   (0x1EB reserved)
  uint8_t committed_build = 0;      // 0x1EC
  uint8_t committed_minor = 0;      // 0x1ED
  uint8_t committed_major = 0;      // 0x1EE   (0x1EF reserved)
  uint64_t launch_tcb = 0;          // 0x1F0
  uint64_t launch_mit_vector = 0;   // 0x1F8 (v5; reserved before)
  uint64_t current_mit_vector = 0;  // 0x200 (v5; reserved before)   (0x208..0x29F reserved)
  Bytes<72> signature_r{};          // 0x2A0: little-endian, zero-extended from 48 bytes
  Bytes<72> signature_s{};          // 0x2E8: little-endian   (0x330..0x49F reserved)

  // First offset inside a must-be-zero range (reserved fields, signer_info bits 5..31, CPUID
  // bytes of a v2 report) that holds a non-zero byte; the verifier decides what to do with it.
  std::optional<size_t> nonzero_reserved_offset;
  size_t signed_len = kSnpSignedLen;
  size_t trailing_bytes = 0;  // input bytes after the 1184-byte report (ignored)

  bool debug_allowed() const { return (policy >> 19) & 1; }
  bool smt_allowed() const { return (policy >> 16) & 1; }
  bool migrate_ma_allowed() const { return (policy >> 18) & 1; }
  bool author_key_en() const { return signer_info & 1; }
  bool mask_chip_key() const { return (signer_info >> 1) & 1; }
  SnpSigningKey signing_key() const { return static_cast<SnpSigningKey>((signer_info >> 2) & 7); }
};

}  // namespace rats
