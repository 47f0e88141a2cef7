#include "sgx_tools/common.h"

#include <cstdio>

#include "base/exit_code.h"
#include "base/file.h"

namespace sgx_tools {

int fail(const std::string& command, const base::Error& e, std::optional<int> code) {
  std::fprintf(stderr, "sgx-tools %s: %s\n", command.c_str(), e.what().c_str());
  return code ? *code : base::exit_code(e, base::ExitStyle::tool);
}

base::Result<std::vector<uint8_t>> read_bytes(const std::string& path, size_t max) {
  ASSIGN_OR_RETURN(std::string text, base::read_file(path, max + 1));
  if (text.size() > max) {
    return base::invalid("`" + path + "` is larger than " + std::to_string(max) + " bytes");
  }
  return std::vector<uint8_t>(text.begin(), text.end());
}

base::Status write_output(const std::string& path, std::span<const uint8_t> bytes) {
  return base::write_file_atomic(
      path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

base::Result<std::vector<uint8_t>> read_exact(const std::string& path, size_t size,
                                              const std::string& what) {
  ASSIGN_OR_RETURN(std::string text, base::read_file(path, size + 1));
  if (text.size() != size) {
    return base::invalid("`" + path + "` has " + (text.size() > size ? "more than " : "") +
                         std::to_string(text.size() > size ? size : text.size()) + " bytes; a " +
                         what + " has " + std::to_string(size));
  }
  return std::vector<uint8_t>(text.begin(), text.end());
}

}  // namespace sgx_tools
