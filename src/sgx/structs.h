// SGX's architectural structures as files and sockets carry them: SIGSTRUCT (1808 bytes),
// EINITTOKEN (304), TARGETINFO (512), REPORT (432), attestation key id (256) and qe_report_info
// (960). Layouts from Intel's arch.h, sgx_report.h and sgx_quote.h (linux-sgx 90873a0c; the
// offsets are listed in docs/sgx-tools.md). Parsing is by exact size: each structure is fixed.
//
// Printing: each field with its offset, size, name and value; ATTRIBUTES, XFRM and MISCSELECT
// bits by name, SIGSTRUCT's DATE as BCD. SIGSTRUCT checking: the header constants, exponent 3,
// the RSA-3072 PKCS#1 v1.5 SHA-256 signature over bytes 0-127 and 900-1027, and Q1/Q2 (Intel's
// sign_tool: Q1 = floor(S^2 / M), Q2 = floor((S^3 - Q1*S*M) / M); all integers little-endian).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json_reader.h"
#include "sgx/sizes.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace sgx {

enum class Struct { sigstruct, token, targetinfo, report, keyid, qe_report_info };

size_t struct_size(Struct s);
// "sigstruct", "token", "targetinfo", "report", "keyid", "qe-report-info".
const char* struct_name(Struct s);
std::optional<Struct> struct_by_name(std::string_view name);
// The structure a file of this size holds, if any size matches one.
std::optional<Struct> struct_by_size(size_t size);

// How a field's bytes read.
enum class Format {
  hex,  // bytes as hex
  u16,  // little-endian integers
  u32,
  u64,
  flags,       // ATTRIBUTES.FLAGS (u64), bits by name
  xfrm,        // ATTRIBUTES.XFRM (u64), features by name
  miscselect,  // u32, bits by name
  bcd_date,    // SIGSTRUCT DATE: 0xYYYYMMDD in BCD
  integer_le,  // a 384-byte little-endian integer (modulus, signature, Q1, Q2): shown as hex
  reserved,    // must be zero: shown as "zero" or as hex
};
struct FieldDef {
  size_t offset;
  size_t size;
  std::string name;
  Format format;
};
// Every field of `s`, in order, covering all of its bytes (nested structures flattened with a
// dotted prefix: "qe_report.body.mr_enclave").
const std::vector<FieldDef>& layout(Struct s);

struct Shown {
  size_t offset;
  size_t size;
  std::string name;
  std::string value;  // text for people: "0x0000000000000004 (MODE64BIT)"
  base::Json json;    // the same for programs: numbers, hex strings, {"value","names"}
};
// The value of one field as text and JSON.
Shown show_field(const FieldDef& f, std::span<const uint8_t> whole);
// All fields of `data`; `data` must be exactly struct_size(s) (else an error naming `what`,
// the size found and the size wanted).
base::Result<std::vector<Shown>> show(Struct s, std::span<const uint8_t> data,
                                      std::string_view what);

// Bit names.
std::vector<std::string> attribute_flag_names(uint64_t flags);  // INIT, DEBUG, MODE64BIT, ...
std::vector<std::string> xfrm_names(uint64_t xfrm);             // X87, SSE, AVX, ...
std::vector<std::string> miscselect_names(uint32_t misc);       // EXINFO, CPINFO, ...

inline constexpr uint64_t kFlagInit = 0x01;
inline constexpr uint64_t kFlagDebug = 0x02;
inline constexpr uint64_t kFlagMode64 = 0x04;
inline constexpr uint64_t kFlagProvisionKey = 0x10;
inline constexpr uint64_t kFlagEinitTokenKey = 0x20;
inline constexpr uint64_t kFlagKss = 0x80;

// ---- SIGSTRUCT --------------------------------------------------------------------------------
struct SigStruct {
  std::array<uint8_t, kSigStructSize> raw;
  uint32_t type() const;    // bit 31: debug-signed
  uint32_t vendor() const;  // 0x8086 for Intel
  uint32_t date() const;    // BCD 0xYYYYMMDD
  uint32_t exponent() const;
  std::span<const uint8_t, kModulusSize> modulus() const;  // little-endian
  std::span<const uint8_t, kModulusSize> signature() const;
  std::span<const uint8_t, kModulusSize> q1() const;
  std::span<const uint8_t, kModulusSize> q2() const;
  std::span<const uint8_t, 32> enclave_hash() const;  // MRENCLAVE
  std::span<const uint8_t, 16> attributes() const;
  std::span<const uint8_t, 16> attribute_mask() const;
  uint32_t misc_select() const;
  uint16_t isv_prod_id() const;
  uint16_t isv_svn() const;
};
// A SIGSTRUCT of exactly 1808 bytes whose HEADER, HEADER2 and EXPONENT are Intel's constants and
// whose reserved fields are zero; errors name the field and its offset.
base::Result<SigStruct> parse_sigstruct(std::span<const uint8_t> data, std::string_view what);
// The signature (over bytes 0-127 and 900-1027 with the modulus and e = 3), then Q1, then Q2;
// the first that fails is named ("signature", "Q1", "Q2").
base::Status verify_sigstruct(const SigStruct& s, std::string_view what);
// MRSIGNER: SHA-256 of the little-endian modulus.
std::array<uint8_t, 32> mrsigner(std::span<const uint8_t, kModulusSize> modulus);
// Signs `css` in place with an RSA-3072 key whose public exponent is 3: fills MODULUS,
// EXPONENT, SIGNATURE, Q1 and Q2 (the rest, header and body, as given).
base::Status sign_sigstruct(std::span<uint8_t, kSigStructSize> css, EVP_PKEY* key);

// ---- REPORT and TARGETINFO --------------------------------------------------------------------
// The TARGETINFO that targets the enclave which made `report`: its MRENCLAVE, ATTRIBUTES,
// CONFIGSVN, MISCSELECT and CONFIGID, zero elsewhere.
std::array<uint8_t, kTargetInfoSize> target_info_of(std::span<const uint8_t, kReportSize> report);
// The REPORTDATA of the quoting enclave's REPORT returned in qe_report_info: SHA-256(nonce ||
// the quote at its own length), then 32 zero bytes.
std::array<uint8_t, 64> qe_report_data(std::span<const uint8_t, 16> nonce,
                                       std::span<const uint8_t> quote);

}  // namespace sgx
