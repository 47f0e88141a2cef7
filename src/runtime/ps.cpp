#include "runtime/ps.h"

#include <algorithm>
#include <sstream>

namespace runtime {

base::Result<std::string> ps_table(const std::string& ps_output, const std::vector<pid_t>& pids) {
  std::istringstream in(ps_output);
  std::string header;
  if (!std::getline(in, header)) return base::invalid("ps printed nothing");
  std::istringstream h(header);
  std::string word;
  int column = -1;
  for (int i = 0; h >> word; ++i)
    if (word == "PID") column = i;
  if (column < 0)
    return base::invalid("the ps output has no PID column (header `" + base::clip(header) +
                         "`): keep `pid` in the options");
  std::string out = header + "\n";
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string field;
    for (int i = 0; i <= column && l >> field; ++i) {
    }
    char* end = nullptr;
    long pid = std::strtol(field.c_str(), &end, 10);
    if (end == field.c_str() || *end != '\0') continue;
    if (std::find(pids.begin(), pids.end(), static_cast<pid_t>(pid)) != pids.end())
      out += line + "\n";
  }
  return out;
}

}  // namespace runtime
