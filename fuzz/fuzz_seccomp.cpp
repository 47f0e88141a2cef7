// linux.seccomp: the section as a config carries it, parsed and then compiled by libseccomp as
// `rune create` does (the program is not loaded).
#include <cstddef>
#include <cstdint>
#include <string>

#include "linux/seccomp_program.h"
#include "oci/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text =
      R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},)"
      R"("linux":{"namespaces":[{"type":"mount"}],"seccomp":)";
  text.append(reinterpret_cast<const char*>(data), size);
  text += "}}";
  auto config = oci::parse_config(text, "config.json");
  if (!config.ok() || !config->linux.seccomp) return 0;
  auto program = kernel::compile_seccomp(*config->linux.seccomp);
  if (program.ok() && program->filter.empty()) __builtin_trap();  // a program always returns
  return 0;
}
