// What sgx-tools' commands share: one-line errors with their exit status, and reading inputs of
// a fixed size.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"

namespace sgx_tools {

// Prints "sgx-tools COMMAND: message" on stderr; returns `code` when given, else the exit status
// of the error's category (2 for bad input, 1 for failures).
int fail(const std::string& command, const base::Error& e, std::optional<int> code = std::nullopt);

// The file at `path`, which must be exactly `size` bytes (a `what`: "REPORT", "SIGSTRUCT").
base::Result<std::vector<uint8_t>> read_exact(const std::string& path, size_t size,
                                              const std::string& what);
// Writes `bytes` to `path` atomically (a temporary name, then renamed): an output of a command.
base::Status write_output(const std::string& path, std::span<const uint8_t> bytes);
// The file at `path`, at most `max` bytes.
base::Result<std::vector<uint8_t>> read_bytes(const std::string& path, size_t max);

}  // namespace sgx_tools

#define ASSIGN_OR_FAIL(command, lhs, expr) \
  ASSIGN_OR_FAIL_IMPL(BASE_CONCAT(sgx_tools_aof_, __LINE__), command, lhs, expr)
#define ASSIGN_OR_FAIL_IMPL(tmp, command, lhs, expr)             \
  auto tmp = (expr);                                             \
  if (!tmp.ok()) return ::sgx_tools::fail(command, tmp.error()); \
  lhs = std::move(tmp).value()
