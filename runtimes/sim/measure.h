/*
 * The measurement log: one line per measured thing, "KIND SHA256HEX DETAIL\n". The measurement
 * (the report's MRENCLAVE) is the SHA-256 of the whole text, so `sha256sum` of the file a verifier
 * is given replays it. Not thread-safe: the caller serialises.
 */
#ifndef SIM_MEASURE_H
#define SIM_MEASURE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_mlog {
  char* text;
  size_t len, cap;
  char* path; /* also kept in this file (rewritten atomically after each entry), or NULL */
} sim_mlog;

/* Remembers the file to keep up to date (copied). Returns 0 or -errno. */
int sim_mlog_set_path(sim_mlog* m, const char* path);

typedef struct sim_mentry {
  const char* kind;
  const uint8_t* digest; /* 32 bytes */
  const char* detail;
} sim_mentry;

/* Appends n entries and rewrites the file once. Bytes of a detail below 0x20, 0x7f and '\' are
 * written as \xHH so that an entry is always one line. On error (-errno) neither the log nor the
 * file changes. */
int sim_mlog_append(sim_mlog* m, const sim_mentry* entries, size_t n);

/* SHA-256 of the text as it stands. */
void sim_mlog_digest(const sim_mlog* m, uint8_t out[32]);

void sim_mlog_free(sim_mlog* m);

#endif /* SIM_MEASURE_H */
