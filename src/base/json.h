// Small JSON helpers that do not need a JSON library.
#pragma once

#include <string>
#include <string_view>

namespace base {

// `s` as a JSON string literal, quotes included (UTF-8 passes through; control bytes escaped).
std::string json_quote(std::string_view s);

}  // namespace base
