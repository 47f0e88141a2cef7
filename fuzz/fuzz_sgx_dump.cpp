// What sgx-tools reads from files (src/sgx structures, src/sgx_tools dump): the first byte picks
// the parser. Structures are shown only at their exact size; a SIGSTRUCT that parses is checked;
// a quote walk never reports a field beyond the input.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sgx/structs.h"
#include "sgx_tools/dump.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  std::span<const uint8_t> in(data + 1, size - 1);
  if (mode == 0) {
    for (sgx::Struct s : {sgx::Struct::sigstruct, sgx::Struct::token, sgx::Struct::targetinfo,
                          sgx::Struct::report, sgx::Struct::keyid, sgx::Struct::qe_report_info}) {
      auto shown = sgx::show(s, in, "fuzz");
      if (shown.ok() != (in.size() == sgx::struct_size(s))) __builtin_trap();
    }
  } else if (mode == 1) {
    auto css = sgx::parse_sigstruct(in, "fuzz");
    if (css.ok()) (void)sgx::verify_sigstruct(*css, "fuzz");
  } else {
    auto d = sgx_tools::dump_quote(in, sgx_tools::DumpOptions{});
    for (const auto& f : d.fields) {
      if (f.offset + f.size > in.size()) __builtin_trap();
    }
  }
  return 0;
}
