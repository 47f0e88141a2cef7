// dump's quote walk, for dump itself, its unit test and the fuzz target.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "sgx/structs.h"
#include "sgx_tools/tools.h"

namespace sgx_tools {

struct QuoteDump {
  std::vector<sgx::Shown> fields;    // every field read, in order, offsets into the input
  std::vector<std::string> notes;    // trailing bytes, a missing PCK certificate, ...
  std::optional<base::Error> error;  // where the walk stopped: the field and its offset
};
// Walks an Intel DCAP quote (SGX v3, SGX/TDX v4, TDX v5) field by field; `o.pck_cert` is read
// for certification data types 1-3.
QuoteDump dump_quote(std::span<const uint8_t> data, const DumpOptions& o);

}  // namespace sgx_tools
