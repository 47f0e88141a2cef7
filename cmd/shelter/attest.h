#pragma once

#include <string>
#include <vector>

namespace shelter {

int attest_command(const std::vector<std::string>& args);

}  // namespace shelter
