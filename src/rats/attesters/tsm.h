// Linux configfs-tsm report interface (attestation-formats.md §8): TDX quotes and SNP reports
// from the kernel, bound to 64 bytes of report data.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace rats::tsm {

struct Blobs {
  std::vector<uint8_t> outblob;  // the evidence: TDX quote or SNP report
  std::vector<uint8_t> auxblob;  // SNP: certificate table, may be empty; TDX: absent (empty)
};

// Test seams: called with the entry's path at the named points of the sequence. In production
// they are empty and the sequence is the kernel's own; tests use them to play the kernel's part
// on an ordinary folder (create the attribute files after mkdir, remove them before rmdir).
struct Hooks {
  std::function<void(const std::string& entry)> after_mkdir;
  std::function<void(const std::string& entry)> after_outblob;
  std::function<void(const std::string& entry)> before_rmdir;
};

// Collects evidence through a fresh report entry under `root`:
//   mkdir → (privlevel) → write inblob (64 bytes) → read generation → read outblob (+auxblob
//   when present) → re-read generation (retried, up to 3 attempts in all, when another writer
//   changed it) → check provider == expected_provider → rmdir.
// The entry is removed on every path, failures included. Errors name the path and the step.
base::Result<Blobs> collect(const std::string& root, std::string_view expected_provider,
                            std::span<const uint8_t, 64> report_data,
                            std::optional<uint32_t> privlevel = std::nullopt,
                            const Hooks& hooks = {});

}  // namespace rats::tsm
