/* liberpal-sim's messages: to fd 2 of the calling process, prefixed "liberpal-sim: ". */
#ifndef SIM_LOG_H
#define SIM_LOG_H

enum sim_level {
  SIM_TRACE,
  SIM_DEBUG,
  SIM_INFO,
  SIM_WARNING,
  SIM_ERROR,
  SIM_FATAL,
  SIM_PANIC,
  SIM_OFF,
};

/* rune's level names; NULL or unknown is info (as rune does). */
int sim_log_parse_level(const char* name);
const char* sim_log_level_name(int level);
void sim_log_set_level(int level);
int sim_log_enabled(int level);
void sim_log(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SIM_LOG_H */
