// `shelter verify`: offline verification of one piece of evidence (docs/attestation.md).
#pragma once

#include <string>
#include <vector>

namespace shelter {

// Exit codes: 0 trusted, 1 not trusted, 2 unusable input or bad usage.
int verify_command(const std::vector<std::string>& args);
void print_verify_help();

}  // namespace shelter
