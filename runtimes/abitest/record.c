#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(rec* r, const char* s, size_t n) {
  if (r->oom) return;
  if (r->len + n + 1 > r->cap) {
    size_t cap = r->cap ? r->cap : 256;
    while (r->len + n + 1 > cap) cap *= 2;
    char* nb = realloc(r->buf, cap);
    if (!nb) {
      r->oom = 1;
      return;
    }
    r->buf = nb;
    r->cap = cap;
  }
  memcpy(r->buf + r->len, s, n);
  r->len += n;
  r->buf[r->len] = '\0';
}

static void puts_(rec* r, const char* s) {
  put(r, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there are not one. */
static size_t utf8_seq(const unsigned char* s) {
  unsigned c = s[0];
  size_t n;
  unsigned min;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  unsigned cp = c & (0x7f >> n);
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

/* A JSON string. Bytes that are not valid UTF-8 are written as \u00XX (their Latin-1 reading)
 * so that the line stays valid JSON. */
static void put_json_string(rec* r, const char* s) {
  const unsigned char* p = (const unsigned char*)s;
  puts_(r, "\"");
  while (*p) {
    char esc[8];
    if (*p == '"' || *p == '\\') {
      esc[0] = '\\';
      esc[1] = (char)*p;
      put(r, esc, 2);
      p++;
    } else if (*p < 0x20 || *p == 0x7f) {
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      put(r, esc, 6);
      p++;
    } else {
      size_t n = utf8_seq(p);
      if (n == 0) {
        snprintf(esc, sizeof esc, "\\u%04x", *p);
        put(r, esc, 6);
        p++;
      } else {
        put(r, (const char*)p, n);
        p += n;
      }
    }
  }
  puts_(r, "\"");
}

static void key(rec* r, const char* k) {
  if (!r->first) puts_(r, ",");
  r->first = 0;
  put_json_string(r, k);
  puts_(r, ":");
}

void rec_begin(rec* r, const char* call, int v) {
  memset(r, 0, sizeof *r);
  r->first = 1;
  puts_(r, "{");
  rec_str(r, "call", call);
  rec_int(r, "v", v);
}

void rec_str(rec* r, const char* k, const char* s) {
  key(r, k);
  if (s)
    put_json_string(r, s);
  else
    puts_(r, "null");
}

void rec_int(rec* r, const char* k, long long v) {
  char num[32];
  key(r, k);
  snprintf(num, sizeof num, "%lld", v);
  puts_(r, num);
}

void rec_uint(rec* r, const char* k, unsigned long long v) {
  char num[32];
  key(r, k);
  snprintf(num, sizeof num, "%llu", v);
  puts_(r, num);
}

void rec_null(rec* r, const char* k) {
  key(r, k);
  puts_(r, "null");
}

void rec_strv(rec* r, const char* k, char* const* v) {
  key(r, k);
  if (!v) {
    puts_(r, "null");
    return;
  }
  puts_(r, "[");
  for (size_t i = 0; v[i]; i++) {
    if (i) puts_(r, ",");
    put_json_string(r, v[i]);
  }
  puts_(r, "]");
}

void rec_intv(rec* r, const char* k, const int* v, size_t n) {
  key(r, k);
  if (!v) {
    puts_(r, "null");
    return;
  }
  puts_(r, "[");
  for (size_t i = 0; i < n; i++) {
    char num[16];
    snprintf(num, sizeof num, i ? ",%d" : "%d", v[i]);
    puts_(r, num);
  }
  puts_(r, "]");
}

int rec_end(rec* r) {
  puts_(r, "}\n");
  return r->oom ? -1 : 0;
}

void rec_free(rec* r) {
  free(r->buf);
  r->buf = NULL;
  r->len = r->cap = 0;
}
