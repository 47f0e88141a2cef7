// Splitting text into lines, words and fields without iostreams: a stream would initialise the C++
// locale (every facet of the classic locale), and linking one pulls in the whole locale library.
#pragma once

#include <string_view>
#include <vector>

namespace base {

// Lines as std::getline reads them: split at '\n'; a final '\n' ends the last line.
inline std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Words as `stream >> std::string` reads them: runs of characters other than " \t\n\v\f\r".
inline std::vector<std::string_view> split_words(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  std::vector<std::string_view> out;
  size_t i = text.find_first_not_of(kSpace);
  while (i != std::string_view::npos) {
    size_t j = text.find_first_of(kSpace, i);
    if (j == std::string_view::npos) j = text.size();
    out.push_back(text.substr(i, j - i));
    i = text.find_first_not_of(kSpace, j);
  }
  return out;
}

// Fields between each `sep`, as Go's strings.Split: "" gives one empty field, "a:" two.
inline std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (size_t i = 0;;) {
    size_t j = text.find(sep, i);
    if (j == std::string_view::npos) {
      out.push_back(text.substr(i));
      return out;
    }
    out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
}

}  // namespace base
