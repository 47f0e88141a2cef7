#include "sgx_tools/print.h"

namespace sgx_tools {

void print_fields(FILE* out, const std::vector<sgx::Shown>& fields, size_t base) {
  for (const auto& f : fields) {
    std::fprintf(out, "  %6zu %5zu  %-40s %s\n", base + f.offset, f.size, f.name.c_str(),
                 f.value.c_str());
  }
}

base::Json fields_json(const std::vector<sgx::Shown>& fields, size_t base) {
  base::Json out = base::Json::array();
  for (const auto& f : fields) {
    out.push_back(
        {{"offset", base + f.offset}, {"size", f.size}, {"name", f.name}, {"value", f.json}});
  }
  return out;
}

}  // namespace sgx_tools
