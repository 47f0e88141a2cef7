#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char* const k_names[] = {"trace", "debug", "info",  "warning",
                                      "error", "fatal", "panic", "off"};
static int g_level = SIM_INFO;

int sim_log_parse_level(const char* name) {
  if (name)
    for (int i = 0; i <= SIM_OFF; i++)
      if (strcmp(name, k_names[i]) == 0) return i;
  return SIM_INFO;
}

const char* sim_log_level_name(int level) {
  return level >= 0 && level <= SIM_OFF ? k_names[level] : "info";
}

void sim_log_set_level(int level) {
  __atomic_store_n(&g_level, level, __ATOMIC_RELAXED);
}

int sim_log_enabled(int level) {
  return level != SIM_OFF && level >= __atomic_load_n(&g_level, __ATOMIC_RELAXED);
}

void sim_log(int level, const char* fmt, ...) {
  if (!sim_log_enabled(level)) return;
  char buf[2048];
  static const char prefix[] = "liberpal-sim: ";
  memcpy(buf, prefix, sizeof prefix - 1);
  size_t room = sizeof buf - (sizeof prefix - 1) - 1; /* keep one byte for the newline */
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + sizeof prefix - 1, room, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = sizeof prefix - 1 + ((size_t)n < room ? (size_t)n : room - 1);
  buf[len++] = '\n';
  ssize_t w = write(2, buf, len); /* one write: lines from several threads do not interleave */
  (void)w;
}
