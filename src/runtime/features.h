// `rune features`: the runtime-spec's features document (features.md), built from the tables the
// config parser and the kernel set-up check against, so that it lists exactly what this build
// accepts.
#pragma once

#include <string>

namespace runtime {

// The document, as JSON indented by four spaces (as runc prints it).
std::string features_json();

}  // namespace runtime
