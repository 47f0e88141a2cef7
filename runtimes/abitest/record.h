/* One JSON object per line, built in memory and written by the caller with a single write(). */
#ifndef ABITEST_RECORD_H
#define ABITEST_RECORD_H

#include <stddef.h>
#include <stdint.h>

typedef struct rec {
  char* buf;
  size_t len, cap;
  int oom; /* an allocation failed: the record is dropped */
  int first;
} rec;

/* {"call":CALL,"v":V */
void rec_begin(rec* r, const char* call, int v);
void rec_str(rec* r, const char* key, const char* s); /* null if s is NULL */
void rec_int(rec* r, const char* key, long long v);
void rec_uint(rec* r, const char* key, unsigned long long v);
void rec_null(rec* r, const char* key);
void rec_strv(rec* r, const char* key, char* const* v); /* array of strings, null if v is NULL */
void rec_intv(rec* r, const char* key, const int* v, size_t n); /* null if v is NULL */
/* Closes the object and adds the newline. Returns 0, or -1 if the record was dropped. */
int rec_end(rec* r);
void rec_free(rec* r);

#endif /* ABITEST_RECORD_H */
