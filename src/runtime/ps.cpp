#include "runtime/ps.h"

#include <algorithm>
#include <cstdlib>

#include "base/words.h"

namespace runtime {

base::Result<std::string> ps_table(const std::string& ps_output, const std::vector<pid_t>& pids) {
  std::vector<std::string_view> lines = base::split_lines(ps_output);
  if (ps_output.empty()) return base::invalid("ps printed nothing");
  std::string header(lines[0]);
  int column = -1;
  std::vector<std::string_view> words = base::split_words(header);
  for (size_t i = 0; i < words.size(); ++i)
    if (words[i] == "PID") column = static_cast<int>(i);
  if (column < 0)
    return base::invalid("the ps output has no PID column (header `" + base::clip(header) +
                         "`): keep `pid` in the options");
  std::string out = header + "\n";
  for (size_t k = 1; k < lines.size(); ++k) {
    std::vector<std::string_view> fields = base::split_words(lines[k]);
    if (fields.empty()) continue;
    // The PID column's field, or the line's last one when it is shorter (as before).
    std::string field(fields[std::min(fields.size() - 1, static_cast<size_t>(column))]);
    char* end = nullptr;
    long pid = std::strtol(field.c_str(), &end, 10);
    if (end == field.c_str() || *end != '\0') continue;
    if (std::find(pids.begin(), pids.end(), static_cast<pid_t>(pid)) != pids.end())
      out += std::string(lines[k]) + "\n";
  }
  return out;
}

}  // namespace runtime
