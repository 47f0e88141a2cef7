// runc-compatible logging: `--log FILE`, `--log-format text|json`, `--debug`.
//
// containerd reads these lines (json format) to report why a runtime call failed, so the field
// names and levels follow runc's logrus output: {"level":"error","msg":"...","time":"..."}.
// Without --log, messages go to stderr in the text format.
#pragma once

#include <string>
#include <string_view>

namespace base::log {

enum class Level { debug, info, warning, error };
enum class Format { text, json };

// Configures the sink. `path` empty = stderr. The file is opened lazily, on the first message,
// so a container start that logs nothing never touches it.
void configure(std::string path, Format format, bool debug);
// `--log-format`'s value: "text" or "json"; false for anything else.
bool parse_format(std::string_view text, Format& out);
// Opens the log file now, if one is configured and not open yet: before rune starts a process
// that may log from where the path no longer resolves (a container's init after pivot_root).
void open_now();
bool debug_enabled();
// Drops lines below `level` (a service's configured log level); Level::debug enables debug lines.
void set_min_level(Level level);

void write(Level level, std::string_view msg);
inline void debug(std::string_view msg) {
  if (debug_enabled()) write(Level::debug, msg);
}
inline void info(std::string_view msg) {
  write(Level::info, msg);
}
inline void warn(std::string_view msg) {
  write(Level::warning, msg);
}
inline void error(std::string_view msg) {
  write(Level::error, msg);
}

// Formats one line (without the trailing newline); exposed for tests.
std::string format_line(Format format, Level level, std::string_view msg, std::string_view time);
// RFC 3339 UTC time with nanoseconds trimmed like Go's RFC3339Nano.
std::string rfc3339_nano_now();
std::string rfc3339_nano(long sec, long nsec);

}  // namespace base::log
