/*
 * liberpal-abitest-v{1,2,3} and the failing test PALs: runtimes that run the program as a child
 * and record every call and argument they receive (see runtimes/README.md for the format).
 *
 * Build-time knobs:
 *   ABITEST_VERSION          1, 2 or 3: which PAL ABI the exported functions follow.
 *   ABITEST_CLAIMED_VERSION  what pal_get_version returns and records carry as "v"
 *                            (default ABITEST_VERSION; liberpal-v4 claims 4).
 *   ABITEST_FAIL             accept the args token fail=STAGE:MODE (liberpal-fail).
 *   ABITEST_NO_INIT          do not export pal_init (liberpal-nosym-init).
 *   ABITEST_NO_CREATE        do not export pal_create_process (liberpal-nosym-create).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "children.h"
#include "inclavare/pal.h"
#include "record.h"
#include "spawn.h"

#ifndef ABITEST_VERSION
#error "ABITEST_VERSION must be 1, 2 or 3"
#endif
#if ABITEST_VERSION < 1 || ABITEST_VERSION > 3
#error "ABITEST_VERSION must be 1, 2 or 3"
#endif
#ifndef ABITEST_CLAIMED_VERSION
#define ABITEST_CLAIMED_VERSION ABITEST_VERSION
#endif
#if ABITEST_VERSION == 1 && (defined(ABITEST_FAIL) || defined(ABITEST_NO_CREATE))
#error "these variants are v2 or v3"
#endif

#define PAL_EXPORT __attribute__((visibility("default")))
#define V ABITEST_CLAIMED_VERSION
#define MAYBE_UNUSED __attribute__((unused)) /* not every variant uses every helper */

extern char** environ;

/* ---- state ---------------------------------------------------------------------------------- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER; /* everything below but g_children */
static int g_initialized;
static int g_record_fd = -1;
static char* g_pending; /* records made before pal_init */
static size_t g_pending_len;
static rt_children g_children = RT_CHILDREN_INIT;

/* Appends a finished record to the record file with one write(), or keeps it until pal_init. */
static void emit(rec* r) {
  if (rec_end(r) == 0) {
    pthread_mutex_lock(&g_mu);
    if (g_record_fd >= 0) {
      ssize_t w = write(g_record_fd, r->buf, r->len);
      (void)w;
    } else if (!g_initialized) {
      char* p = realloc(g_pending, g_pending_len + r->len);
      if (p) {
        memcpy(p + g_pending_len, r->buf, r->len);
        g_pending = p;
        g_pending_len += r->len;
      }
    }
    pthread_mutex_unlock(&g_mu);
  }
  rec_free(r);
}

__attribute__((destructor)) static void abitest_unload(void) {
  pthread_mutex_lock(&g_mu);
  if (g_record_fd >= 0) close(g_record_fd);
  g_record_fd = -1;
  free(g_pending);
  g_pending = NULL;
  g_pending_len = 0;
  pthread_mutex_unlock(&g_mu);
  rt_children_free(&g_children);
}

/* ---- failure injection (liberpal-fail) --------------------------------------------------- */

enum stage { ST_NONE, ST_INIT, ST_CREATE, ST_EXEC, ST_KILL, ST_DESTROY, ST_REPORT, ST_PREBUILD };
enum mode { FM_NEGERRNO, FM_MINUS1, FM_PLUS1, FM_EXIT, FM_CRASH, FM_HANG };

#ifdef ABITEST_FAIL
static const char* const k_stages[] = {"",     "init",    "create_process",   "exec",
                                       "kill", "destroy", "get_local_report", "prebuild"};
static const char* const k_modes[] = {"negerrno", "minus1", "plus1", "exit", "crash", "hang"};
static int g_fail_stage = ST_NONE;
static int g_fail_mode;

static int lookup(const char* const* names, int n, const char* s, size_t len) {
  for (int i = 0; i < n; i++)
    if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0) return i;
  return -1;
}

/* "STAGE:MODE" → 0, or -1 if either part is unknown. */
static int parse_fail(const char* spec, int* stage, int* mode) {
  const char* colon = strchr(spec, ':');
  if (!colon) return -1;
  int s = lookup(k_stages, 8, spec, (size_t)(colon - spec));
  int m = lookup(k_modes, 6, colon + 1, strlen(colon + 1));
  if (s <= ST_NONE || m < 0) return -1;
  *stage = s;
  *mode = m;
  return 0;
}

/* The mode to fail with at `stage`, or -1. */
static int fail_mode_at(int stage) {
  pthread_mutex_lock(&g_mu);
  int m = g_fail_stage == stage ? g_fail_mode : -1;
  pthread_mutex_unlock(&g_mu);
  return m;
}

static const char* mode_name(int mode) {
  return k_modes[mode];
}
#else
static int fail_mode_at(int stage) {
  (void)stage;
  return -1;
}
static const char* mode_name(int mode) {
  (void)mode;
  return "";
}
#endif

/* Returns what the mode returns, or does not return at all. */
static int fail_now(int mode) {
  switch (mode) {
    case FM_NEGERRNO:
      return -ENOEXEC;
    case FM_MINUS1:
      errno = EIO;
      return -1;
    case FM_PLUS1:
      return 1;
    case FM_EXIT:
      exit(1);
    case FM_HANG:
      for (;;) pause();
    default: {
      volatile int* volatile null_ptr = NULL;
      *null_ptr = 1; /* SIGSEGV */
      abort();
    }
  }
}

/* The value fail_now returns, for the record; 0 for the modes that never return. */
MAYBE_UNUSED static int fail_ret(int mode) {
  return mode == FM_NEGERRNO ? -ENOEXEC : mode == FM_MINUS1 ? -1 : mode == FM_PLUS1 ? 1 : 0;
}

static void rec_fail(rec* r, int mode) {
  if (mode >= 0) rec_str(r, "fail", mode_name(mode));
}

/* ---- running the program ------------------------------------------------------------------- */

struct spawn_ctx {
  const char* path;
  char** argv;
  char** env;
  const pal_stdio_fds* stdio;
  pid_t parent;
};

MAYBE_UNUSED static void child_main(void* p) {
  const struct spawn_ctx* c = p;
  int err = rt_child_basic_setup(c->parent);
  if (!err) err = rt_child_setup_stdio(c->stdio);
  if (!err) {
    rt_child_close_fds(0);
    execve(c->path, c->argv, c->env);
    err = errno;
  }
  rt_child_report_error("abitest", "exec", c->path, err);
  _exit(127);
}

/* Forks the program, closes the stdio fds (they are ours), returns the child's pid or -errno. */
MAYBE_UNUSED static pid_t start(const char* path, char** argv, char** env,
                                const pal_stdio_fds* stdio) {
  static char* const no_env[] = {NULL};
  struct spawn_ctx ctx = {path, argv, env ? env : (char**)no_env, stdio, getpid()};
  pid_t pid = rt_children_spawn(&g_children, child_main, &ctx);
  rt_close_stdio(stdio);
  return pid;
}

MAYBE_UNUSED static void rec_stdio(rec* r, const pal_stdio_fds* stdio) {
  int fds[3] = {0, 0, 0};
  if (stdio) {
    fds[0] = stdio->stdin;
    fds[1] = stdio->stdout;
    fds[2] = stdio->stderr;
  }
  rec_intv(r, "stdio", stdio ? fds : NULL, 3);
}

static void rec_exec_return(pid_t pid, int exit_value) {
  rec r;
  rec_begin(&r, "exec_return", V);
  rec_int(&r, "pid", pid);
  rec_int(&r, "exit_value", exit_value);
  emit(&r);
}

/* ---- pre-built entries (v3) ----------------------------------------------------------------- */

#if ABITEST_VERSION >= 3
#define ABITEST_TOKEN_SIZE 16
#define ABITEST_ENTRY_ADDR 0x100000000000ull /* 16 TiB: what pal_prebuild says to map at */

/* The entry's 16 bytes as hex into `out` (33 bytes), or "unreadable" when the fd does not hold
 * them. */
static const char* read_token(int fd, char* out) {
  unsigned char t[ABITEST_TOKEN_SIZE];
  if (pread(fd, t, sizeof t, 0) != (ssize_t)sizeof t) return "unreadable";
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof t; i++) {
    out[2 * i] = digits[t[i] >> 4];
    out[2 * i + 1] = digits[t[i] & 15];
  }
  out[2 * sizeof t] = '\0';
  return out;
}

/* An entry is a sealed memfd holding a random 16-byte token; the args are not looked at except
 * for fail=prebuild:MODE (liberpal-fail). */
PAL_EXPORT int pal_prebuild(const char* args, int* fd, uint64_t* addr, char* desc,
                            size_t desc_len) {
#ifdef ABITEST_FAIL
  if (args) {
    const char* f = strstr(args, "fail=prebuild:");
    int stage, mode;
    if (f && (f == args || f[-1] == ' ')) {
      char spec[32];
      size_t n = strcspn(f + 5, " \t");
      if (n < sizeof spec) {
        memcpy(spec, f + 5, n);
        spec[n] = '\0';
        if (parse_fail(spec, &stage, &mode) == 0) return fail_now(mode);
      }
    }
  }
#endif
  if (!args || !desc || desc_len == 0 || (fd && !addr)) return -EINVAL;
  int n;
  if (!fd) {
    n = snprintf(desc, desc_len, "{\"runtime\":\"abitest\",\"size\":%d}", ABITEST_TOKEN_SIZE);
    return n < 0 || (size_t)n >= desc_len ? -ENOBUFS : 0;
  }
  unsigned char t[ABITEST_TOKEN_SIZE];
  if (getrandom(t, sizeof t, 0) != (ssize_t)sizeof t) return -EIO;
  int m = memfd_create("abitest-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (m < 0) return -errno;
  int rc = 0;
  if (write(m, t, sizeof t) != (ssize_t)sizeof t ||
      fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    rc = -EIO;
  char token[2 * ABITEST_TOKEN_SIZE + 1];
  if (rc == 0) {
    n = snprintf(desc, desc_len, "{\"runtime\":\"abitest\",\"size\":%d,\"instance\":\"%s\"}",
                 ABITEST_TOKEN_SIZE, read_token(m, token));
    if (n < 0 || (size_t)n >= desc_len) rc = -ENOBUFS;
  }
  if (rc != 0) {
    close(m);
    return rc;
  }
  *fd = m;
  *addr = ABITEST_ENTRY_ADDR;
  return 0;
}
#endif

/* ---- init ---------------------------------------------------------------------------------- */

#ifndef ABITEST_NO_INIT
/* Parses the args tokens, opens the record file and flushes the pending records.
 * Returns 0 or -errno. */
static int configure(const char* args) {
  char* copy = strdup(args ? args : "");
  if (!copy) return -ENOMEM;
  const char* record = NULL;
  int ret = 0;
#ifdef ABITEST_FAIL
  int stage = ST_NONE, mode = 0;
#endif
  char* save = NULL;
  for (char* tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
    if (strncmp(tok, "record=", 7) == 0) {
      record = tok + 7;
    }
#ifdef ABITEST_FAIL
    else if (strncmp(tok, "fail=", 5) == 0) {
      if (parse_fail(tok + 5, &stage, &mode) != 0) {
        dprintf(2, "abitest: bad token `%s`: want fail=STAGE:MODE\n", tok);
        ret = -EINVAL;
      }
    }
#endif
  }

  int fd = -1;
  if (record && *record) {
    fd = open(record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      int err = errno;
      dprintf(2, "abitest: open record file %s: %s\n", record, strerror(err));
      if (ret == 0) ret = -err;
    }
  }

  pthread_mutex_lock(&g_mu);
  if (fd >= 0) {
    if (g_record_fd >= 0) close(g_record_fd);
    g_record_fd = fd;
    if (g_pending_len) {
      ssize_t w = write(fd, g_pending, g_pending_len);
      (void)w;
    }
  }
  free(g_pending);
  g_pending = NULL;
  g_pending_len = 0;
  g_initialized = 1;
#ifdef ABITEST_FAIL
  if (ret == 0) {
    g_fail_stage = stage;
    g_fail_mode = mode;
  }
#endif
  pthread_mutex_unlock(&g_mu);
  free(copy);
  return ret;
}

#if ABITEST_VERSION >= 3
PAL_EXPORT int pal_init(pal_attr_v3_t* attr) {
  const pal_attr_v1_t* a1 = attr ? &attr->attr_v1 : NULL;
#else
PAL_EXPORT int pal_init(pal_attr_v1_t* attr) {
  const pal_attr_v1_t* a1 = attr;
#endif
  int ret = configure(a1 ? a1->args : NULL);
  int fail = fail_mode_at(ST_INIT);

  rec r;
  rec_begin(&r, "init", V);
  rec_str(&r, "args", a1 ? a1->args : NULL);
  rec_str(&r, "log_level", a1 ? a1->log_level : NULL);
#if ABITEST_VERSION >= 3
  if (attr) {
    rec_int(&r, "fd", attr->fd);
    rec_uint(&r, "addr", attr->addr);
    /* A handed-over entry is ours: its token recorded, the fd closed. */
    char token[2 * ABITEST_TOKEN_SIZE + 1];
    rec_str(&r, "fd_token", attr->fd >= 0 ? read_token(attr->fd, token) : NULL);
    if (attr->fd >= 0) close(attr->fd);
  } else {
    rec_null(&r, "fd");
    rec_null(&r, "addr");
    rec_null(&r, "fd_token");
  }
#endif
  rec_fail(&r, fail);
  emit(&r);

  if (fail >= 0) return fail_now(fail);
  if (!attr) return -EINVAL;
  return ret;
}
#endif /* ABITEST_NO_INIT */

/* ---- v1 ------------------------------------------------------------------------------------ */

#if ABITEST_VERSION == 1
PAL_EXPORT int pal_exec(char* path, char* argv[], pal_stdio_fds* stdio, int* exit_code) {
  rec r;
  rec_begin(&r, "exec", V);
  rec_str(&r, "path", path);
  rec_strv(&r, "argv", argv);
  rec_stdio(&r, stdio);
  if (!path || !argv || !stdio || !exit_code) {
    rt_close_stdio(stdio);
    rec_null(&r, "pid");
    emit(&r);
    return -EINVAL;
  }
  pid_t pid = start(path, argv, environ, stdio);
  if (pid < 0) {
    rec_null(&r, "pid");
    emit(&r);
    return pid;
  }
  rec_int(&r, "pid", pid);
  emit(&r);

  int status = 0;
  int ret = rt_children_wait(&g_children, pid, &status);
  if (ret < 0) return ret;
  int ev = rt_exit_value(status);
  rec_exec_return(pid, ev);
  *exit_code = ev;
  return 0;
}
#endif

/* ---- v2, v3 -------------------------------------------------------------------------------- */

#if ABITEST_VERSION >= 2
PAL_EXPORT int pal_get_version(void) {
  rec r;
  rec_begin(&r, "get_version", V);
  rec_int(&r, "ret", V);
  emit(&r);
  return V;
}

#ifndef ABITEST_NO_CREATE
PAL_EXPORT int pal_create_process(struct pal_create_process_args* args) {
  const char* path = args ? args->path : NULL;
  char** argv = args ? args->argv : NULL;
  char** env = args ? args->env : NULL;
  pal_stdio_fds* stdio = args ? args->stdio : NULL;
  int fail = fail_mode_at(ST_CREATE);

  rec r;
  rec_begin(&r, "create_process", V);
  rec_str(&r, "path", path);
  rec_strv(&r, "argv", argv);
  rec_strv(&r, "env", env);
  rec_stdio(&r, stdio);
  if (!path || !argv || !stdio || !args->pid || fail >= 0) {
    rt_close_stdio(stdio);
    rec_null(&r, "pid");
    rec_fail(&r, fail);
    emit(&r);
    return fail >= 0 ? fail_now(fail) : -EINVAL;
  }
  pid_t pid = start(path, argv, env, stdio);
  if (pid < 0)
    rec_null(&r, "pid");
  else
    rec_int(&r, "pid", pid);
  emit(&r);
  if (pid < 0) return pid;
  *args->pid = pid;
  return 0;
}
#endif

PAL_EXPORT int pal_exec(struct pal_exec_args* args) {
  int fail = fail_mode_at(ST_EXEC);
  rec r;
  rec_begin(&r, "exec", V);
  if (args)
    rec_int(&r, "pid", args->pid);
  else
    rec_null(&r, "pid");
  rec_fail(&r, fail);
  emit(&r);

  if (fail >= 0) {
    if (fail != FM_EXIT && fail != FM_CRASH && args && args->pid > 0) {
      int status;
      if (rt_children_kill(&g_children, args->pid, SIGKILL, NULL, NULL) == 0)
        rt_children_wait(&g_children, args->pid, &status);
    }
    return fail_now(fail);
  }
  if (!args || !args->exit_value) return -EINVAL;

  int status = 0;
  int ret = rt_children_wait(&g_children, args->pid, &status);
  if (ret < 0) return ret;
  int ev = rt_exit_value(status);
  rec_exec_return(args->pid, ev);
  *args->exit_value = ev;
  return 0;
}

struct kill_rec {
  int pid, sig;
};

static void record_kill(void* p, int ret) {
  const struct kill_rec* k = p;
  rec r;
  rec_begin(&r, "kill", V);
  rec_int(&r, "pid", k->pid);
  rec_int(&r, "sig", k->sig);
  rec_int(&r, "ret", ret);
  emit(&r);
}

PAL_EXPORT int pal_kill(int pid, int sig) {
  int fail = fail_mode_at(ST_KILL);
  if (fail >= 0) {
    rec r;
    rec_begin(&r, "kill", V);
    rec_int(&r, "pid", pid);
    rec_int(&r, "sig", sig);
    if (fail == FM_EXIT || fail == FM_CRASH)
      rec_null(&r, "ret");
    else
      rec_int(&r, "ret", fail_ret(fail));
    rec_fail(&r, fail);
    emit(&r);
    return fail_now(fail);
  }
  struct kill_rec k = {pid, sig};
  return rt_children_kill(&g_children, pid, sig, record_kill, &k);
}
#endif /* ABITEST_VERSION >= 2 */

PAL_EXPORT int pal_destroy(void) {
  int fail = fail_mode_at(ST_DESTROY);
  rt_children_kill_all_and_reap(&g_children);
  rec r;
  rec_begin(&r, "destroy", V);
  rec_fail(&r, fail);
  emit(&r);
  return fail >= 0 ? fail_now(fail) : 0;
}

/* ---- v3 ------------------------------------------------------------------------------------ */

#if ABITEST_VERSION >= 3
#define REPORT_MRENCLAVE_OFF 64

PAL_EXPORT int pal_get_local_report(void* target_info, int target_info_len, void* report,
                                    int* report_len) {
  int fail = fail_mode_at(ST_REPORT);
  rec r;
  rec_begin(&r, "get_local_report", V);
  rec_int(&r, "target_info_len", target_info_len);
  if (report_len)
    rec_int(&r, "report_len_in", *report_len);
  else
    rec_null(&r, "report_len_in");

  if (fail >= 0 || !target_info || !report || !report_len ||
      target_info_len < PAL_SGX_TARGET_INFO_SIZE || *report_len < PAL_SGX_REPORT_SIZE) {
    if (report_len && fail < 0)
      rec_int(&r, "report_len_out", *report_len);
    else
      rec_null(&r, "report_len_out");
    rec_fail(&r, fail);
    emit(&r);
    return fail >= 0 ? fail_now(fail) : -EINVAL;
  }
  static const char mr[] = "abitest-v3";
  memset(report, 0, PAL_SGX_REPORT_SIZE);
  memcpy((char*)report + REPORT_MRENCLAVE_OFF, mr, sizeof mr - 1);
  *report_len = PAL_SGX_REPORT_SIZE;
  rec_int(&r, "report_len_out", *report_len);
  emit(&r);
  return 0;
}
#endif

/* ---- the exported functions have exactly the pal.h types ----------------------------------- */

#define CHECK_TYPE(fn, type) \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&fn), type), #fn " is a " #type)
#if ABITEST_VERSION == 1
CHECK_TYPE(pal_init, pal_init_v1_fn);
CHECK_TYPE(pal_exec, pal_exec_v1_fn);
#else
CHECK_TYPE(pal_get_version, pal_get_version_fn);
CHECK_TYPE(pal_exec, pal_exec_v2_fn);
CHECK_TYPE(pal_kill, pal_kill_fn);
#ifndef ABITEST_NO_CREATE
CHECK_TYPE(pal_create_process, pal_create_process_fn);
#endif
#if ABITEST_VERSION == 3
CHECK_TYPE(pal_get_local_report, pal_get_local_report_fn);
CHECK_TYPE(pal_prebuild, pal_prebuild_fn);
#ifndef ABITEST_NO_INIT
CHECK_TYPE(pal_init, pal_init_v3_fn);
#endif
#elif !defined(ABITEST_NO_INIT)
CHECK_TYPE(pal_init, pal_init_v1_fn);
#endif
#endif
CHECK_TYPE(pal_destroy, pal_destroy_fn);
