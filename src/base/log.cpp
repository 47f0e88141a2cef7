#include "base/log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "base/json.h"

namespace base::log {
namespace {

struct Sink {
  std::string path;
  Format format = Format::text;
  bool debug = false;
  Level min = Level::debug;  // lines below it are dropped (services' log_level)
  int fd = -1;               // opened lazily
};
Sink& sink() {
  static Sink s;
  return s;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
  }
  return "error";
}

}  // namespace

void configure(std::string path, Format format, bool debug) {
  Sink& s = sink();
  s.path = std::move(path);
  s.format = format;
  s.debug = debug;
}

bool debug_enabled() {
  return sink().debug && sink().min == Level::debug;
}

void set_min_level(Level level) {
  sink().min = level;
  if (level == Level::debug) sink().debug = true;
}

std::string rfc3339_nano(long sec, long nsec) {
  time_t t = sec;
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s(buf, n);
  if (nsec > 0) {
    char frac[32];
    snprintf(frac, sizeof frac, ".%09ld", nsec);
    std::string f(frac);
    while (f.back() == '0') f.pop_back();  // Go trims trailing zeros
    s += f;
  }
  s += 'Z';
  return s;
}

std::string rfc3339_nano_now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339_nano(ts.tv_sec, ts.tv_nsec);
}

std::string format_line(Format format, Level level, std::string_view msg, std::string_view time) {
  std::string line;
  if (format == Format::json) {
    line = "{\"level\":\"";
    line += level_name(level);
    line += "\",\"msg\":";
    line += json_quote(msg);
    line += ",\"time\":\"";
    line += time;
    line += "\"}";
  } else {
    line = "time=\"";
    line += time;
    line += "\" level=";
    line += level_name(level);
    line += " msg=";
    line += json_quote(msg);
  }
  return line;
}

void open_now() {
  Sink& s = sink();
  if (!s.path.empty() && s.fd < 0)
    s.fd = open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

void write(Level level, std::string_view msg) {
  Sink& s = sink();
  if (level < s.min) return;
  std::string line = format_line(s.format, level, msg, rfc3339_nano_now());
  line += '\n';
  int fd = STDERR_FILENO;
  if (!s.path.empty()) {
    open_now();
    if (s.fd >= 0) fd = s.fd;
  }
  // One write per line: lines from concurrent runtimes in one log file do not interleave.
  ssize_t r = ::write(fd, line.data(), line.size());
  (void)r;
}

bool parse_format(std::string_view text, Format& out) {
  if (text == "text") {
    out = Format::text;
  } else if (text == "json") {
    out = Format::json;
  } else {
    return false;
  }
  return true;
}

}  // namespace base::log
