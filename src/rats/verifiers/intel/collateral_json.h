// Intel TCB info and QE identity documents (attestation-formats.md §5 steps 6 and 9).
//
// Both are JSON objects {"tcbInfo"|"enclaveIdentity": {...}, "signature": "<hex r||s>"} whose
// signature covers the exact bytes of the inner value as served; the parsers keep those bytes
// (never a re-serialisation) for the signature check.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "rats/evidence.h"
#include "rats/verifier.h"

namespace rats::intel {

struct TcbLevel {
  std::array<uint8_t, 16> sgx_svn{};
  uint16_t pce_svn = 0;
  std::optional<std::array<uint8_t, 16>> tdx_svn;  // TDX TCB info only
  TcbStatus status = TcbStatus::Revoked;
  std::string tcb_date;
  std::vector<std::string> advisory_ids;
};

// A level of an enclave identity or a TDX module identity: status applies from `isv_svn` up.
struct IsvLevel {
  uint16_t isv_svn = 0;
  TcbStatus status = TcbStatus::Revoked;
  std::vector<std::string> advisory_ids;
};

struct TdxModule {
  std::string id;  // "TDX_01" ... (empty for the top-level tdxModule)
  Bytes<48> mrsigner{};
  Bytes<8> attributes{};
  Bytes<8> attributes_mask{};
  std::vector<IsvLevel> levels;
};

struct TcbInfo {
  int version = 0;  // 2 or 3
  std::string id;   // "SGX" / "TDX" (v3); empty in v2
  int64_t issue_date = 0;
  int64_t next_update = 0;
  Bytes<6> fmspc{};
  Bytes<2> pce_id{};
  int tcb_type = 0;
  uint32_t tcb_evaluation_data_number = 0;
  std::vector<TcbLevel> levels;
  std::optional<TdxModule> tdx_module;
  std::vector<TdxModule> tdx_module_identities;
};

struct QeIdentity {
  std::string id;  // "QE" (SGX), "TD_QE" (TDX)
  int version = 0;
  int64_t issue_date = 0;
  int64_t next_update = 0;
  uint32_t tcb_evaluation_data_number = 0;
  Bytes<4> miscselect{};
  Bytes<4> miscselect_mask{};
  Bytes<16> attributes{};
  Bytes<16> attributes_mask{};
  Bytes<32> mrsigner{};
  uint16_t isv_prod_id = 0;
  std::vector<IsvLevel> levels;
};

template <class T>
struct SignedDocument {
  T body;
  std::string signed_bytes;  // the exact bytes of the inner JSON value
  Bytes<64> signature{};     // r || s
};

// Parsers; errors name the document ("tcb_info"/"qe_identity") and the JSON path.
base::Result<SignedDocument<TcbInfo>> parse_tcb_info(std::string_view text);
base::Result<SignedDocument<QeIdentity>> parse_qe_identity(std::string_view text);

// "2026-07-30T16:11:16Z" (optionally with fractional seconds) to Unix seconds.
std::optional<int64_t> parse_iso8601(std::string_view s);

// The exact text of the value of top-level member `key` of the JSON object `text`, or nullopt.
// Only the top level is searched; strings and nesting are skipped correctly.
std::optional<std::string_view> raw_member(std::string_view text, std::string_view key);

}  // namespace rats::intel
