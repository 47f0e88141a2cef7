// How sgx-tools shows fields: one line each, "offset size name value" for people, or a JSON array
// of {offset, size, name, value} for programs.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "base/json_reader.h"
#include "sgx/structs.h"

namespace sgx_tools {

// Text lines: `  OFFSET  SIZE  NAME  VALUE`, offsets from `base`.
void print_fields(FILE* out, const std::vector<sgx::Shown>& fields, size_t base = 0);
base::Json fields_json(const std::vector<sgx::Shown>& fields, size_t base = 0);

}  // namespace sgx_tools
