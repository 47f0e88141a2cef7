// Small JSON helpers that do not need a JSON library.
#pragma once

#include <string>
#include <string_view>

namespace base {

// `s` as a JSON string literal, quotes included: valid UTF-8 passes through, control bytes are
// escaped, and bytes that are not valid UTF-8 become U+FFFD, so the result is always valid JSON.
std::string json_quote(std::string_view s);

}  // namespace base
