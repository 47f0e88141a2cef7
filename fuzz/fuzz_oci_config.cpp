// config.json and process.json (runtime-spec) as rune parses them on every create and exec.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = oci::parse_config(text, "config.json");
  if (config.ok() && config->process.args.empty()) __builtin_trap();  // parse_config's promise
  (void)oci::parse_process_json(text, "process.json");
  return 0;
}
