/*
 * liberpal-sim: a software TEE (PAL API v3) for development and CI machines without TEE hardware.
 * It measures what it runs and hands out SGX-shaped reports, but it protects nothing against the
 * host's root. See runtimes/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "children.h"
#include "inclavare/pal.h"
#include "inclavare/sim_tee.h"
#include "launch.h"
#include "log.h"
#include "measure.h"
#include "memory.h"
#include "sha256.h"
#include "sim_report.h"
#include "spawn.h"

#define PAL_EXPORT __attribute__((visibility("default")))
#define SIM_PAL_VERSION 3

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER; /* everything below but g_children */
static int g_initialized;
static sim_mlog g_mlog;
static rt_children g_children = RT_CHILDREN_INIT;
/* The enclave memory (args size=): mapped at pal_init, cold or from a pre-built entry. */
static void* g_mem;
static uint64_t g_mem_size;

/*
 * Measurements in progress. With a measurement log file, pal_create_process hashes the binary
 * while it copies it and records the entries before the workload starts (the file is complete when
 * the call returns). Without one, the measurement is only observable through reports: the workload
 * starts from its sealed copy at once, and a thread per workload hashes that copy (the bytes cannot
 * change) and records the entries, in the order of the pal_create_process calls (tickets). A
 * report waits until every started workload is recorded; pal_destroy abandons the hashing still in
 * progress (reports are refused afterwards), so a workload that is gone before its hash is done
 * never pays for it. If a measurement fails, its workload is killed and reports are refused.
 */
typedef struct sim_pending {
  struct sim_pending* next;
  pthread_t thread;
  uint64_t ticket;
  int memfd;
  pid_t pid;
  char* path;
  uint8_t args_digest[32];
  size_t argc;
} sim_pending;
static pthread_cond_t g_recorded = PTHREAD_COND_INITIALIZER; /* g_tickets_done moved */
static sim_pending* g_pending;                               /* to join */
static uint64_t g_tickets_issued, g_tickets_done;
static int g_cancel;                                         /* atomic; set by pal_destroy */
static pthread_cond_t g_hash_now = PTHREAD_COND_INITIALIZER; /* a report waits, or cancel */
static int g_report_waiting;                                 /* a report asked (under g_mu) */
/* A hash starts this long after its workload at the latest: a start is not slowed by a hash
 * competing for the CPU (on 2 CPUs, hashing a 1.9 MB binary beside the start of /bin/true made it
 * 1.5 ms slower), and a short-lived workload is usually gone before, its hash abandoned. A report
 * starts every pending hash at once. */
#define SIM_HASH_DELAY_MS 50
static int g_unmeasured; /* a workload ran without a complete measurement: no more reports */

/*
 * pal_prepare_process (our extension, include/inclavare/pal.h): the container's entrypoint is
 * copied into its sealed memfd (and hashed, with a measurement log file) by a thread while rune
 * finishes the create, as an enclave image is built at create; the first pal_create_process of
 * the same path takes that copy instead of making one. So the entrypoint runs as it was when the
 * container was created. Fields under g_mu, but the thread's results, read after joining it.
 */
typedef struct sim_prepared {
  pthread_t thread;
  int started;     /* pal_prepare_process has run (once per container) */
  char* path;      /* set while the copy is not taken; the taker joins the thread */
  int with_digest; /* hashed while copied */
  int threadless;  /* rune's copy taken as it is: no thread to join */
  int rc;          /* the thread's: sim_load_workload's result */
  int memfd;
  uint8_t digest[32];
} sim_prepared;
static sim_prepared g_prepared = {.memfd = -1};

static void* prepare_in_background(void* arg) {
  sim_prepared* p = arg;
  if (p->memfd >= 0) { /* rune's sealed copy: only hashed, when the log needs it now */
    static const int no_cancel = 0;
    p->rc = p->with_digest ? sim_hash_workload(p->path, p->memfd, p->digest, &no_cancel) : 0;
  } else {
    p->rc = sim_load_workload(p->path, &p->memfd, p->with_digest ? p->digest : NULL);
  }
  return NULL;
}

/* Whether `fd` is a copy the sim can run as its own: a memfd sealed against any change, mode
 * 0111 (execute-only), starting with the ELF magic. */
static int usable_copy(int fd) {
  const int all = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
  static const unsigned char elf[4] = {0x7f, 'E', 'L', 'F'};
  const int seals = fd >= 0 ? fcntl(fd, F_GET_SEALS) : -1;
  struct stat st;
  unsigned char magic[4];
  return seals >= 0 && (seals & all) == all && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
         (st.st_mode & 07777) == 0111 && pread(fd, magic, 4, 0) == 4 && memcmp(magic, elf, 4) == 0;
}

/* The prepared copy of `path`, hashed into `digest` when want_digest, or -1 when there is none
 * that fits (then it is dropped). With path NULL: drops it (pal_destroy). */
static int take_prepared(const char* path, int want_digest, uint8_t* digest) {
  pthread_mutex_lock(&g_mu);
  char* ppath = g_prepared.path;
  g_prepared.path = NULL;
  pthread_mutex_unlock(&g_mu);
  if (!ppath) return -1;
  if (!g_prepared.threadless) pthread_join(g_prepared.thread, NULL);
  int memfd = -1;
  if (path && g_prepared.rc == 0 && strcmp(ppath, path) == 0 &&
      g_prepared.with_digest == want_digest) {
    memfd = g_prepared.memfd;
    if (want_digest) memcpy(digest, g_prepared.digest, sizeof g_prepared.digest);
  } else if (g_prepared.memfd >= 0) {
    close(g_prepared.memfd);
  }
  g_prepared.memfd = -1;
  free(ppath);
  return memfd;
}

static void join_pending(void) {
  __atomic_store_n(&g_cancel, 1, __ATOMIC_RELEASE);
  pthread_mutex_lock(&g_mu);
  pthread_cond_broadcast(&g_hash_now);
  pthread_mutex_unlock(&g_mu);
  pthread_mutex_lock(&g_mu);
  sim_pending* list = g_pending;
  g_pending = NULL;
  pthread_mutex_unlock(&g_mu);
  while (list) {
    sim_pending* next = list->next;
    pthread_join(list->thread, NULL);
    free(list->path);
    free(list);
    list = next;
  }
}

__attribute__((destructor)) static void sim_unload(void) {
  (void)take_prepared(NULL, 0, NULL);
  join_pending();
  sim_channel_shutdown();
  pthread_mutex_lock(&g_mu);
  sim_mlog_free(&g_mlog);
  pthread_mutex_unlock(&g_mu);
  rt_children_free(&g_children);
  if (g_mem) munmap(g_mem, g_mem_size);
  g_mem = NULL;
}

static int initialized(void) {
  pthread_mutex_lock(&g_mu);
  int ok = g_initialized;
  pthread_mutex_unlock(&g_mu);
  if (!ok) sim_log(SIM_ERROR, "called before pal_init");
  return ok;
}

PAL_EXPORT int pal_get_version(void) {
  return SIM_PAL_VERSION;
}

/* The args liberpal-sim understands (pal_init's and pal_prebuild's, the same string). */
typedef struct sim_args {
  const char* log_path;
  int quiet;
  uint64_t size; /* 0: no enclave memory */
  int no_epm;
  int tamper; /* liberpal-sim-tamper only */
} sim_args;

/* Parses `copy` (modified in place: the struct points into it). Unknown tokens are warned about
 * when `warn`; a malformed size= is -EINVAL, named in the log. */
static int parse_args(char* copy, sim_args* a, int warn) {
  memset(a, 0, sizeof *a);
  char* save = NULL;
  int rc = 0;
  for (char* tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
    if (strncmp(tok, "measurement-log=", 16) == 0 && tok[16]) {
      a->log_path = tok + 16;
    } else if (strcmp(tok, "quiet") == 0) {
      a->quiet = 1;
    } else if (strncmp(tok, "size=", 5) == 0) {
      if (sim_mem_parse_size(tok + 5, &a->size) != 0) {
        sim_log(SIM_ERROR,
                "bad argument `%s`: want size=N[K|M|G], a multiple of 4 KiB, at most 64G", tok);
        rc = -EINVAL;
      }
    } else if (strcmp(tok, "no-epm") == 0) {
      a->no_epm = 1;
#ifdef SIM_TAMPER
    } else if (strncmp(tok, "tamper=", 7) == 0) {
      a->tamper = sim_tamper_parse(tok + 7);
      if (a->tamper < 0) {
        sim_log(SIM_ERROR, "bad argument `%s`: want tamper=seal|size|magic|version|build|args|addr",
                tok);
        rc = -EINVAL;
      }
#endif
    } else if (warn) {
      sim_log(SIM_WARNING, "ignoring unknown argument `%s`", tok);
    }
  }
  return rc;
}

/* This library's own build-id (the key's first half), or a negative errno. */
static int self_build_id(uint8_t id[BUILD_ID_MAX]) {
  return build_id_of_loaded((const void*)(uintptr_t)&pal_get_version, id, BUILD_ID_MAX);
}

/* Takes a pre-built entry handed to pal_init: checks it and maps its memory, or refuses it with
 * -EBADFD and one log line naming the check. Always closes fd. */
static int take_entry(int fd, uint64_t addr, const char* args, const sim_args* a,
                      sim_entry_header* header) {
  char why[160] = "";
  int rc = 0;
  uint8_t id[BUILD_ID_MAX];
  int id_len = 0;
  if (a->size == 0) {
    snprintf(why, sizeof why, "args: no size=, nothing is pre-built for them");
    rc = -EBADFD;
  } else if ((id_len = self_build_id(id)) < 0) {
    snprintf(why, sizeof why, "build-id: liberpal-sim has none (%s)", strerror(-id_len));
    rc = -EBADFD;
  } else {
    rc =
        sim_entry_map(fd, addr, id, (size_t)id_len, args, a->size, &g_mem, header, why, sizeof why);
  }
  close(fd);
  if (rc != 0) {
    sim_log(SIM_ERROR, "pal_init: refused the pre-built enclave (fd %d, addr %#llx): %s", fd,
            (unsigned long long)addr, why);
    return -EBADFD;
  }
  g_mem_size = a->size;
  return 0;
}

PAL_EXPORT int pal_init(pal_attr_v3_t* attr) {
  if (!attr) {
    sim_log(SIM_ERROR, "pal_init: attr is NULL");
    return -EINVAL;
  }
  const int fd = attr->fd;
  pthread_mutex_lock(&g_mu);
  int again = g_initialized;
  pthread_mutex_unlock(&g_mu);
  if (again) {
    sim_log(SIM_ERROR, "pal_init called twice");
    if (fd >= 0) close(fd);
    return -EBUSY;
  }
  int level = sim_log_parse_level(attr->attr_v1.log_level);
  sim_log_set_level(level);
  const char* args = attr->attr_v1.args ? attr->attr_v1.args : "";

  char* copy = strdup(args);
  if (!copy) {
    if (fd >= 0) close(fd);
    return -ENOMEM;
  }
  sim_args a;
  int rc = parse_args(copy, &a, 1);
  if (rc == 0 && (fd < -1 || (fd == -1 && attr->addr != 0))) {
    sim_log(SIM_ERROR, "pal_init: fd %d with addr %#llx: want fd -1 and addr 0, or an entry", fd,
            (unsigned long long)attr->addr);
    rc = -EINVAL;
  }
  /* The enclave memory: a pre-built entry's (checked first, nothing else touched yet), or built
   * and measured now. */
  uint8_t mem_digest[32];
  int warm = 0;
  if (fd >= 0) {
    sim_entry_header header;
    if (rc == 0) {
      rc = take_entry(fd, attr->addr, args, &a, &header);
    } else {
      close(fd);
    }
    if (rc == 0) {
      memcpy(mem_digest, header.digest, sizeof mem_digest);
      warm = 1;
    }
  } else if (rc == 0 && a.size) {
    rc = sim_mem_build_cold(a.size, &g_mem, mem_digest);
    if (rc == 0)
      g_mem_size = a.size;
    else
      sim_log(SIM_ERROR, "pal_init: map %llu bytes of enclave memory: %s",
              (unsigned long long)a.size, strerror(-rc));
  }

  pthread_mutex_lock(&g_mu);
  if (rc == 0 && g_initialized) {
    sim_log(SIM_ERROR, "pal_init called twice");
    rc = -EBUSY;
  }
  if (rc == 0) {
    if (!a.quiet && sim_log_enabled(SIM_INFO))
      sim_log(SIM_INFO,
              "software TEE for development and CI: it protects nothing against the "
              "host's root");
    if (a.log_path) rc = sim_mlog_set_path(&g_mlog, a.log_path);
  }
  if (rc == 0) {
    uint8_t digest[32];
    char detail[64], mem_detail[64];
    sha256(args, strlen(args), digest);
    snprintf(detail, sizeof detail, "liberpal-sim v%d log_level=%s", SIM_PAL_VERSION,
             sim_log_level_name(level));
    snprintf(mem_detail, sizeof mem_detail, "size=%llu pages=%llu", (unsigned long long)g_mem_size,
             (unsigned long long)(g_mem_size / SIM_PAGE));
    const sim_mentry entries[2] = {{"config", digest, detail}, {"memory", mem_digest, mem_detail}};
    rc = sim_mlog_append(&g_mlog, entries, g_mem ? 2 : 1);
  }
  if (rc == 0) {
    g_initialized = 1;
  } else {
    sim_mlog_free(&g_mlog);
    if (g_mem) munmap(g_mem, g_mem_size);
    g_mem = NULL;
    g_mem_size = 0;
  }
  pthread_mutex_unlock(&g_mu);
  free(copy);
  if (rc == 0)
    sim_log(SIM_DEBUG, "initialized%s%s%s", warm ? " from a pre-built entry" : "",
            a.log_path ? ", measurement log " : "", a.log_path ? a.log_path : "");
  return rc;
}

PAL_EXPORT int pal_prebuild(const char* args, int* fd, uint64_t* addr, char* desc,
                            size_t desc_len) {
  if (!args || !desc || desc_len == 0 || (fd && !addr)) {
    sim_log(SIM_ERROR, "pal_prebuild: NULL args, desc or addr, or desc_len 0");
    return -EINVAL;
  }
  if (strlen(args) > SIM_ENTRY_ARGS_MAX) {
    sim_log(SIM_ERROR, "pal_prebuild: args of %zu bytes, at most %u", strlen(args),
            SIM_ENTRY_ARGS_MAX);
    return -E2BIG;
  }
  char* copy = strdup(args);
  if (!copy) return -ENOMEM;
  sim_args a;
  int rc = parse_args(copy, &a, 0);
  free(copy);
  if (rc != 0) return rc;
  if (a.size == 0 || a.no_epm) return -ENOTSUP;
  const unsigned long long entry_size = SIM_ENTRY_HEADER_SIZE + a.size;
  int n;
  if (!fd) {
    n = snprintf(desc, desc_len, "{\"runtime\":\"liberpal-sim\",\"size\":%llu,\"memory\":%llu}",
                 entry_size, (unsigned long long)a.size);
    return n < 0 || (size_t)n >= desc_len ? -ENOBUFS : 0;
  }
  uint8_t id[BUILD_ID_MAX];
  int id_len = self_build_id(id);
  if (id_len < 0) {
    sim_log(SIM_ERROR, "pal_prebuild: liberpal-sim has no build-id (%s)", strerror(-id_len));
    return id_len;
  }
  sim_entry_header header;
  int efd = -1;
  uint64_t base = 0;
  rc = sim_entry_build(id, (size_t)id_len, args, a.size, a.tamper, &efd, &base, &header);
  if (rc != 0) {
    sim_log(SIM_ERROR, "pal_prebuild: build an entry of %llu bytes: %s", entry_size, strerror(-rc));
    return rc;
  }
  char instance[33], digest[65];
  sim_instance_hex(header.instance, instance);
  sha256_hex(header.digest, digest);
  n = snprintf(desc, desc_len,
               "{\"runtime\":\"liberpal-sim\",\"size\":%llu,\"memory\":%llu,\"instance\":\"%s\","
               "\"addr\":%llu,\"digest\":\"%s\"}",
               entry_size, (unsigned long long)a.size, instance, (unsigned long long)base, digest);
  if (n < 0 || (size_t)n >= desc_len) {
    close(efd);
    return -ENOBUFS;
  }
  *fd = efd;
  *addr = base;
  return 0;
}

static size_t hash_args(char** argv, uint8_t digest[32]) {
  sha256_ctx h;
  sha256_init(&h);
  size_t argc = 0;
  for (; argv[argc]; argc++) sha256_update(&h, argv[argc], strlen(argv[argc]) + 1);
  sha256_final(&h, digest);
  return argc;
}

/* Adds the binary and args entries of a workload. g_mu held. */
static int record_workload_locked(const char* path, const uint8_t bin_digest[32],
                                  const uint8_t args_digest[32], size_t argc) {
  char detail[32];
  snprintf(detail, sizeof detail, "argc=%zu", argc);
  const sim_mentry entries[2] = {{"binary", bin_digest, path}, {"args", args_digest, detail}};
  return sim_mlog_append(&g_mlog, entries, 2);
}

/* The hashing thread of a workload started without a measurement log file. */
static void* measure_in_background(void* arg) {
  sim_pending* w = arg;
  /* Later, and then on idle CPU time only (SCHED_IDLE; a seccomp profile may refuse it): see
   * SIM_HASH_DELAY_MS. */
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += SIM_HASH_DELAY_MS * 1000000L;
  until.tv_sec += until.tv_nsec / 1000000000L;
  until.tv_nsec %= 1000000000L;
  pthread_mutex_lock(&g_mu);
  while (!g_report_waiting && !__atomic_load_n(&g_cancel, __ATOMIC_ACQUIRE) &&
         pthread_cond_timedwait(&g_hash_now, &g_mu, &until) == 0) {
  }
  pthread_mutex_unlock(&g_mu);
  const struct sched_param idle = {0};
  (void)sched_setscheduler(0, SCHED_IDLE, &idle);
  uint8_t digest[32];
  int rc = sim_hash_workload(w->path, w->memfd, digest, &g_cancel);
  close(w->memfd);
  w->memfd = -1;
  pthread_mutex_lock(&g_mu);
  while (g_tickets_done != w->ticket) pthread_cond_wait(&g_recorded, &g_mu);
  if (rc == 0 && __atomic_load_n(&g_cancel, __ATOMIC_ACQUIRE)) rc = -ECANCELED;
  if (rc == 0) rc = record_workload_locked(w->path, digest, w->args_digest, w->argc);
  if (rc != 0) g_unmeasured = 1;
  g_tickets_done++;
  pthread_cond_broadcast(&g_recorded);
  pthread_mutex_unlock(&g_mu);
  if (rc != 0 && rc != -ECANCELED) {
    sim_log(SIM_ERROR, "measure %s: %s; killing process %d", w->path, strerror(-rc), (int)w->pid);
    rt_children_kill(&g_children, w->pid, SIGKILL, NULL, NULL);
  }
  return NULL;
}

/* The measurement as it stands: every started workload recorded first. 0, or -EIO when a
 * workload ran whose measurement was not completed. */
static int current_measurement(uint8_t measurement[32]) {
  pthread_mutex_lock(&g_mu);
  g_report_waiting++;
  pthread_cond_broadcast(&g_hash_now);
  while (g_tickets_done != g_tickets_issued) pthread_cond_wait(&g_recorded, &g_mu);
  g_report_waiting--;
  const int refused = g_unmeasured;
  if (!refused) sim_mlog_digest(&g_mlog, measurement);
  pthread_mutex_unlock(&g_mu);
  return refused ? -EIO : 0;
}

/* A REPORT a process asked for through its attestation channel. */
static int channel_report(const uint8_t* target_info, const uint8_t* report_data, uint8_t* report) {
  uint8_t measurement[32];
  int rc = current_measurement(measurement);
  if (rc != 0) return rc;
  sim_report_make(target_info, measurement, report_data, SIM_TEE_ORIGIN_ENCLAVE, report);
  return 0;
}

/* `env` (NULL: empty) without any SIM_TEE_ATTEST_FD_ENV entry, then `var`, in a new array (the
 * strings are not copied); NULL when out of memory. */
static char** env_with(char** env, char* var) {
  size_t n = 0;
  while (env && env[n]) n++;
  char** out = malloc((n + 2) * sizeof *out);
  if (!out) return NULL;
  const size_t name_len = strlen(SIM_TEE_ATTEST_FD_ENV);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(env[i], SIM_TEE_ATTEST_FD_ENV, name_len) != 0 || env[i][name_len] != '=')
      out[k++] = env[i];
  out[k++] = var;
  out[k] = NULL;
  return out;
}

PAL_EXPORT int pal_create_process(struct pal_create_process_args* args) {
  if (!args || !args->path || !args->argv || !args->stdio || !args->pid) {
    sim_log(SIM_ERROR, "pal_create_process: NULL path, argv, stdio or pid");
    if (args) rt_close_stdio(args->stdio);
    return -EINVAL;
  }
  if (!initialized()) {
    rt_close_stdio(args->stdio);
    return -EINVAL;
  }
  pthread_mutex_lock(&g_mu);
  /* After pal_destroy (g_cancel set), measured before the start again. */
  const int lazy = g_mlog.path == NULL && !__atomic_load_n(&g_cancel, __ATOMIC_ACQUIRE);
  pthread_mutex_unlock(&g_mu);
  uint8_t args_digest[32];
  size_t argc = hash_args(args->argv, args_digest);
  sim_pending* w = NULL;
  int memfd = -1;
  uint8_t bin_digest[32];
  int rc = 0;
  if (lazy) {
    w = calloc(1, sizeof *w);
    if (w) w->path = strdup(args->path);
    if (!w || !w->path) rc = -ENOMEM;
  }
  if (rc == 0) {
    memfd = take_prepared(args->path, !lazy, bin_digest);
    if (memfd < 0) rc = sim_load_workload(args->path, &memfd, lazy ? NULL : bin_digest);
  }
  if (rc == 0 && !lazy) {
    pthread_mutex_lock(&g_mu);
    rc = record_workload_locked(args->path, bin_digest, args_digest, argc);
    pthread_mutex_unlock(&g_mu);
    if (rc != 0) sim_log(SIM_ERROR, "measure %s: %s", args->path, strerror(-rc));
  }
  pid_t pid = -1;
  int channel = -1;
  char** env = NULL;
  char channel_var[64];
  if (rc == 0) {
    rc = sim_channel_open(channel_report, &channel);
    if (rc != 0) sim_log(SIM_ERROR, "attestation channel for %s: %s", args->path, strerror(-rc));
  }
  if (rc == 0) {
    snprintf(channel_var, sizeof channel_var, "%s=%d", SIM_TEE_ATTEST_FD_ENV, channel);
    env = env_with(args->env, channel_var);
    if (!env) rc = -ENOMEM;
  }
  if (rc == 0) {
    struct sim_exec_ctx ctx = {memfd, args->path, args->argv, env, args->stdio, getpid(), channel};
    pid = rt_children_spawn_exec(&g_children, sim_child_exec, &ctx);
    if (pid < 0) {
      rc = pid;
      sim_log(SIM_ERROR, "fork for %s: %s", args->path, strerror(-rc));
    }
  }
  free(env);
  if (channel >= 0) close(channel); /* the process's now */
  rt_close_stdio(args->stdio);
  if (rc == 0 && lazy) {
    w->memfd = memfd; /* the thread's now */
    memfd = -1;
    w->pid = pid;
    memcpy(w->args_digest, args_digest, sizeof args_digest);
    w->argc = argc;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    /* The ticket, the thread and its place in g_pending together, so that pal_destroy (which
     * takes the list under g_mu) joins every thread it could miss otherwise. */
    pthread_mutex_lock(&g_mu);
    w->ticket = g_tickets_issued++;
    int started = pthread_create(&w->thread, &attr, measure_in_background, w) == 0;
    if (started) {
      w->next = g_pending;
      g_pending = w;
      w = NULL;
    }
    pthread_mutex_unlock(&g_mu);
    pthread_attr_destroy(&attr);
    if (!started) measure_in_background(w); /* no thread: measure now; w freed below */
  }
  if (w) {
    free(w->path);
    free(w);
  }
  if (memfd >= 0) close(memfd);
  if (rc != 0) return rc;
  sim_log(SIM_DEBUG, "started %s as pid %d", args->path, (int)pid);
  *args->pid = pid;
  return 0;
}

PAL_EXPORT int pal_prepare_process(const char* path, int copy) {
  if (!usable_copy(copy) && copy >= 0) {
    close(copy); /* not sealed, not execute-only or not ELF: made here instead */
    copy = -1;
  }
  if (!path || !initialized()) {
    if (copy >= 0) close(copy);
    return -EINVAL;
  }
  pthread_mutex_lock(&g_mu);
  if (g_prepared.started) {
    pthread_mutex_unlock(&g_mu);
    if (copy >= 0) close(copy);
    return -EALREADY;
  }
  g_prepared.path = strdup(path);
  if (!g_prepared.path) {
    pthread_mutex_unlock(&g_mu);
    if (copy >= 0) close(copy);
    return -ENOMEM;
  }
  g_prepared.with_digest = g_mlog.path != NULL;
  g_prepared.memfd = copy;
  g_prepared.rc = 0;
  if (copy >= 0 && !g_prepared.with_digest) { /* nothing left to do: no thread */
    g_prepared.started = 1;
    g_prepared.threadless = 1;
    pthread_mutex_unlock(&g_mu);
    return 0;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  int err = pthread_create(&g_prepared.thread, &attr, prepare_in_background, &g_prepared);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    free(g_prepared.path);
    g_prepared.path = NULL;
    if (copy >= 0) close(copy);
    g_prepared.memfd = -1;
  }
  g_prepared.started = 1;
  pthread_mutex_unlock(&g_mu);
  return -err;
}

PAL_EXPORT int pal_exec(struct pal_exec_args* args) {
  if (!args || !args->exit_value) {
    sim_log(SIM_ERROR, "pal_exec: NULL args or exit_value");
    return -EINVAL;
  }
  int status = 0;
  int rc = rt_children_wait(&g_children, args->pid, &status);
  if (rc == -ESRCH) {
    sim_log(SIM_ERROR, "pal_exec: no process %d", args->pid);
    return rc;
  }
  if (rc == -ECHILD) {
    sim_log(SIM_ERROR, "pal_exec: process %d was reaped by someone else", args->pid);
    return rc;
  }
  *args->exit_value = rt_exit_value(status);
  sim_log(SIM_DEBUG, "process %d exited: %d", args->pid, *args->exit_value);
  return 0;
}

PAL_EXPORT int pal_kill(int pid, int sig) {
  int rc = rt_children_kill(&g_children, pid, sig, NULL, NULL);
  if (rc != 0) sim_log(SIM_DEBUG, "pal_kill(%d, %d): no such process", pid, sig);
  return rc;
}

PAL_EXPORT int pal_destroy(void) {
  (void)take_prepared(NULL, 0, NULL);
  join_pending(); /* an abandoned measurement sets g_unmeasured */
  rt_children_kill_all_and_reap(&g_children);
  sim_channel_shutdown();
  sim_log(SIM_DEBUG, "destroyed");
  return 0;
}

PAL_EXPORT int pal_get_local_report(void* target_info, int target_info_len, void* report,
                                    int* report_len) {
  if (!target_info || !report || !report_len || target_info_len < PAL_SGX_TARGET_INFO_SIZE ||
      *report_len < PAL_SGX_REPORT_SIZE) {
    sim_log(SIM_ERROR,
            "pal_get_local_report: need a %d-byte target info and a %d-byte report buffer",
            PAL_SGX_TARGET_INFO_SIZE, PAL_SGX_REPORT_SIZE);
    return -EINVAL;
  }
  if (!initialized()) return -EINVAL;
  uint8_t measurement[32];
  if (current_measurement(measurement) != 0) {
    sim_log(SIM_ERROR,
            "pal_get_local_report: a workload ran whose measurement was not completed (it failed, "
            "or pal_destroy abandoned it): no report covers it");
    return -EIO;
  }
  /* The host's REPORTDATA: a hash of the TARGETINFO (which may carry a nonce), never bytes the
   * host chose, so that no host REPORT can pass for a key binding made by the enclave. */
  uint8_t report_data[64] = {0};
  sha256(target_info, PAL_SGX_TARGET_INFO_SIZE, report_data);
  sim_report_make(target_info, measurement, report_data, SIM_TEE_ORIGIN_HOST, report);
  *report_len = PAL_SGX_REPORT_SIZE;
  return 0;
}

#define CHECK_TYPE(fn, type) \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&fn), type), #fn " is a " #type)
CHECK_TYPE(pal_get_version, pal_get_version_fn);
CHECK_TYPE(pal_init, pal_init_v3_fn);
CHECK_TYPE(pal_create_process, pal_create_process_fn);
CHECK_TYPE(pal_exec, pal_exec_v2_fn);
CHECK_TYPE(pal_kill, pal_kill_fn);
CHECK_TYPE(pal_destroy, pal_destroy_fn);
CHECK_TYPE(pal_get_local_report, pal_get_local_report_fn);
CHECK_TYPE(pal_prepare_process, pal_prepare_process_fn);
CHECK_TYPE(pal_prebuild, pal_prebuild_fn);
