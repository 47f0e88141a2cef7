#include "linux/cgroup_files.h"

#include "base/file.h"
#include "base/words.h"

namespace kernel::cgroup_files {

std::string v1_dir(const CgroupSet& cg, const char* controller) {
  for (size_t i = 0; i < cg.hierarchies.size() && i < cg.dirs.size(); ++i)
    if (!cg.hierarchies[i].v2 && cg.hierarchies[i].has(controller)) return cg.dirs[i];
  return "";
}

std::string v2_dir(const CgroupSet& cg) {
  for (size_t i = 0; i < cg.hierarchies.size() && i < cg.dirs.size(); ++i)
    if (cg.hierarchies[i].v2) return cg.dirs[i];
  return "";
}

bool pure_v2(const CgroupSet& cg) {
  for (const auto& h : cg.hierarchies)
    if (!h.v2) return false;
  return !cg.hierarchies.empty();
}

base::Result<std::optional<std::string>> read(const std::string& dir, const std::string& file) {
  if (dir.empty()) return std::optional<std::string>();
  auto t = base::read_file(dir + "/" + file, 1 << 20);
  if (t.ok()) return std::optional<std::string>(std::move(t).value());
  if (t.error().err() == ENOENT || t.error().err() == ENOTDIR) return std::optional<std::string>();
  return std::move(t).error();
}

std::optional<uint64_t> parse_u64(std::string_view word) {
  bool negative = !word.empty() && word[0] == '-';
  if (negative) word.remove_prefix(1);
  if (word.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : word) {
    if (c < '0' || c > '9') return std::nullopt;
    unsigned d = static_cast<unsigned>(c - '0');
    if (!negative && v > (UINT64_MAX - d) / 10) return std::nullopt;
    if (!negative) v = v * 10 + d;
  }
  return v;
}

std::optional<uint64_t> parse_single(std::string_view text, uint64_t max_value) {
  auto w = base::split_words(text);
  if (w.size() != 1) return std::nullopt;
  if (w[0] == "max") return max_value;
  return parse_u64(w[0]);
}

namespace {

// Notes the first bad piece of a text.
void note_bad(std::string_view piece, bool& ok, std::string_view* bad) {
  if (ok && bad) *bad = piece;
  ok = false;
}

}  // namespace

bool parse_flat_keyed(std::string_view text, KeyedValues& out, std::string_view* bad) {
  bool ok = true;
  for (auto line : base::split_lines(text)) {
    auto w = base::split_words(line);
    if (w.empty()) continue;
    if (w.size() != 2) {
      note_bad(line, ok, bad);
      continue;
    }
    auto v = parse_u64(w[1]);
    if (!v) note_bad(line, ok, bad);
    out.insert_or_assign(std::string(w[0]), v.value_or(0));
  }
  return ok;
}

bool parse_numbers(std::string_view text, std::vector<uint64_t>& out, std::string_view* bad) {
  bool ok = true;
  for (auto w : base::split_words(text)) {
    auto v = parse_u64(w);
    if (!v) note_bad(w, ok, bad);
    out.push_back(v.value_or(0));
  }
  return ok;
}

std::vector<std::string> hugetlb_sizes(const std::string& dir, const std::string& suffix) {
  const std::string prefix = "hugetlb.";
  std::vector<std::string> sizes;
  if (dir.empty()) return sizes;
  for (const auto& name : base::list_dir(dir)) {
    if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string size = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (size.find('.') == std::string::npos) sizes.push_back(size);
  }
  return sizes;
}

}  // namespace kernel::cgroup_files
