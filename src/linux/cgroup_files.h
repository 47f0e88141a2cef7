// Reading a container's cgroup statistics files, for `rune events` (cgroup_stats.cpp) and the
// shim's Stats (src/shim/stats.cpp): which directory of a CgroupSet holds a controller's files,
// reading one file, and the kernel's formats (a single value, "key value" lines, a list of
// numbers). The parsers say when a text is malformed; each caller decides whether that is an
// error (the shim's, as containerd's) or a zero (runc's events, best effort).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "linux/cgroup.h"

namespace kernel::cgroup_files {

// The directory of the v1 hierarchy of `cg` that has `controller`; empty when none has it.
std::string v1_dir(const CgroupSet& cg, const char* controller);
// The cgroup2 directory of `cg`; empty when it has none.
std::string v2_dir(const CgroupSet& cg);
// Whether every hierarchy of `cg` is cgroup2 (a host with /sys/fs/cgroup a cgroup2 mount alone).
bool pure_v2(const CgroupSet& cg);

// The text of `dir`/`file` (at most 1 MiB). nullopt when it is not there: `dir` empty, or the
// file, the cgroup or the controller missing (ENOENT, ENOTDIR). An error naming the file for any
// other failure.
base::Result<std::optional<std::string>> read(const std::string& dir, const std::string& file);

// A number word as cgroup files write it: decimal digits. A negative number reads as 0 (as
// containerd's parseUint does). nullopt for anything else, or past UINT64_MAX.
std::optional<uint64_t> parse_u64(std::string_view word);

// A one-value file's text ("4096\n"), "max" reading as `max_value`; nullopt when it is not one
// number.
std::optional<uint64_t> parse_single(std::string_view text, uint64_t max_value);

// A flat-keyed file ("key value" lines: memory.stat, cpu.stat, memory.events): its values by key,
// a later line replacing an earlier one.
using KeyedValues = std::map<std::string, uint64_t, std::less<>>;
// Puts the lines of `text` into `out`; false when a line is not two words or its value is not a
// number (that line's value reads as 0 when it has two words, else it is left out), with the
// first such line in `bad` if given. Empty lines are skipped.
bool parse_flat_keyed(std::string_view text, KeyedValues& out, std::string_view* bad = nullptr);

// The words of `text` as numbers, appended to `out`; false when one is not a number (it reads as
// 0), with the first such word in `bad` if given.
bool parse_numbers(std::string_view text, std::vector<uint64_t>& out,
                   std::string_view* bad = nullptr);

// The huge page sizes ("2MB") of the files `hugetlb.<size><suffix>` in `dir` (not cgroup2's
// `hugetlb.<size>.rsvd.*`), in directory order.
std::vector<std::string> hugetlb_sizes(const std::string& dir, const std::string& suffix);

}  // namespace kernel::cgroup_files
