#define _GNU_SOURCE
#include "measure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "sha256.h"

static int reserve(sim_mlog* m, size_t more) {
  if (m->len + more + 1 <= m->cap) return 0;
  size_t cap = m->cap ? m->cap : 1024;
  while (m->len + more + 1 > cap) cap *= 2;
  char* p = realloc(m->text, cap);
  if (!p) return -ENOMEM;
  m->text = p;
  m->cap = cap;
  return 0;
}

static int put(sim_mlog* m, const char* s, size_t n) {
  int rc = reserve(m, n);
  if (rc) return rc;
  memcpy(m->text + m->len, s, n);
  m->len += n;
  m->text[m->len] = '\0';
  return 0;
}

static int put_escaped(sim_mlog* m, const char* s) {
  for (const unsigned char* p = (const unsigned char*)s; *p; p++) {
    int rc;
    if (*p < 0x20 || *p == 0x7f || *p == '\\') {
      char esc[5];
      snprintf(esc, sizeof esc, "\\x%02x", *p);
      rc = put(m, esc, 4);
    } else {
      rc = put(m, (const char*)p, 1);
    }
    if (rc) return rc;
  }
  return 0;
}

/* PATH.tmp, then rename over PATH: a reader never sees a half-written log. */
static int rewrite_file(const sim_mlog* m) {
  size_t plen = strlen(m->path);
  char* tmp = malloc(plen + 5);
  if (!tmp) return -ENOMEM;
  memcpy(tmp, m->path, plen);
  memcpy(tmp + plen, ".tmp", 5);
  int rc = 0;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    rc = -errno;
  } else {
    if (fchmod(fd, 0644) != 0) rc = -errno;
    if (rc == 0) rc = rt_write_all(fd, m->text ? m->text : "", m->len);
    if (close(fd) != 0 && rc == 0) rc = -errno;
    if (rc == 0 && rename(tmp, m->path) != 0) rc = -errno;
    if (rc != 0) unlink(tmp);
  }
  if (rc != 0) sim_log(SIM_ERROR, "write measurement log %s: %s", m->path, strerror(-rc));
  free(tmp);
  return rc;
}

int sim_mlog_set_path(sim_mlog* m, const char* path) {
  char* p = strdup(path);
  if (!p) return -ENOMEM;
  free(m->path);
  m->path = p;
  return 0;
}

int sim_mlog_append(sim_mlog* m, const sim_mentry* entries, size_t n) {
  size_t old_len = m->len;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    char hex[65];
    sha256_hex(entries[i].digest, hex);
    rc = put(m, entries[i].kind, strlen(entries[i].kind));
    if (!rc) rc = put(m, " ", 1);
    if (!rc) rc = put(m, hex, 64);
    if (!rc) rc = put(m, " ", 1);
    if (!rc) rc = put_escaped(m, entries[i].detail);
    if (!rc) rc = put(m, "\n", 1);
  }
  if (!rc && m->path) rc = rewrite_file(m);
  if (rc) {
    m->len = old_len;
    if (m->text) m->text[old_len] = '\0';
  }
  return rc;
}

void sim_mlog_digest(const sim_mlog* m, uint8_t out[32]) {
  sha256(m->text ? m->text : "", m->len, out);
}

void sim_mlog_free(sim_mlog* m) {
  free(m->text);
  free(m->path);
  memset(m, 0, sizeof *m);
}
