/*
 * The Enclave Runtime PAL API (versions 1, 2 and 3) as a C ABI.
 *
 * An enclave runtime is a shared object (`liberpal-<name>.so`) that exports some of the
 * functions below. rune's init-runelet loads it with dlopen(RTLD_NOW | RTLD_LOCAL) and calls
 * them; see docs/pal-api.md for which rune command calls which function.
 *
 * Layouts are natural x86-64 C alignment, as every existing runtime builds them (the spec's
 * `packed` attribute is not what the runtimes implement; see the static assertions at the end).
 *
 * Return values: 0 is success. rune treats any other value as a failure (existing runtimes
 * return a negative errno, -1 with errno set, or +1).
 */
#ifndef INCLAVARE_PAL_H
#define INCLAVARE_PAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAL_VERSION_MAX 3

/* pal_init argument, v1 and v2. */
typedef struct pal_attr_v1 {
  const char* args;      /* ENCLAVE_RUNTIME_ARGS, commas replaced by spaces; may be "" */
  const char* log_level; /* trace, debug, info, warning, error, fatal, panic or off */
} pal_attr_v1_t;

/* pal_init argument, v3: the v1 pair, then a pre-built enclave handed over by the caller. */
typedef struct pal_attr_v3 {
  pal_attr_v1_t attr_v1;
  int fd;        /* -1 unless an enclave built elsewhere is handed over */
  uint64_t addr; /* 0 unless an enclave built elsewhere is handed over */
} pal_attr_v3_t;

typedef struct pal_stdio_fds {
  int stdin, stdout, stderr;
} pal_stdio_fds;

/* pal_create_process argument (v2, v3). */
struct pal_create_process_args {
  char* path;           /* executable inside the container */
  char** argv;          /* NULL-terminated, argv[0] included */
  char** env;           /* NULL-terminated */
  pal_stdio_fds* stdio; /* the runtime may close these; they are the runtime's to keep */
  int* pid;             /* output: the runtime's id for the process */
};

/* pal_exec argument (v2, v3). */
struct pal_exec_args {
  int pid;         /* as returned by pal_create_process */
  int* exit_value; /* output */
};

/* Function types, one per symbol. */
typedef int (*pal_get_version_fn)(void);
typedef int (*pal_init_v1_fn)(pal_attr_v1_t* attr);
typedef int (*pal_init_v3_fn)(pal_attr_v3_t* attr);
typedef int (*pal_exec_v1_fn)(char* path, char* argv[], pal_stdio_fds* stdio, int* exit_code);
typedef int (*pal_create_process_fn)(struct pal_create_process_args* args);
typedef int (*pal_exec_v2_fn)(struct pal_exec_args* args);
typedef int (*pal_kill_fn)(int pid, int sig); /* pid -1: all, 0: the current one */
typedef int (*pal_destroy_fn)(void);
/* target_info: an SGX TARGETINFO (512 bytes); report: an SGX REPORT (432 bytes).
 * *report_len is the buffer size on input and the report's size on output. */
typedef int (*pal_get_local_report_fn)(void* target_info, int target_info_len, void* report,
                                       int* report_len);

/* Our extension (optional, any version from v2): the first process rune will create. The runelet
 * calls it once, right after pal_init, with the container's entrypoint (the path it will pass to
 * pal_create_process), before it reports the container created; the runtime may start loading
 * that executable in the background (as an enclave image is built at create), so that the
 * pal_create_process for the same path has less to do. `copy` is -1 or a memfd rune made while
 * the container was set up, holding the bytes of the file at `path` then, sealed (F_SEAL_SEAL,
 * SHRINK, GROW, WRITE) and mode 0111; the runtime owns it (closes it if it does not use it).
 * Returns 0, or -errno (rune goes on: pal_create_process must work as without the call, and
 * reports its own failure). */
typedef int (*pal_prepare_process_fn)(const char* path, int copy);

/* Our extension (optional, v3 runtimes only): pre-built enclaves, handed to exactly one container
 * each (docs/pal-api.md, "Pre-built enclaves"; docs/epm.md). `args` is the string exactly as
 * pal_init would get it.
 *   fd == NULL: describe only. Writes a JSON object (NUL-terminated, at most desc_len bytes) into
 *     desc with at least "size", the bytes an entry for args occupies; builds nothing.
 *   fd != NULL: builds an entry: *fd is a sealed memfd the caller owns from then on, *addr the
 *     base the entry must be mapped at, desc the description plus "instance" (the entry's random
 *     id, hex).
 * Returns 0; -ENOTSUP when there is nothing to pre-build for args (never pooled); any other value
 * is a failure. Building keeps no measurement log, starts no process, makes no per-instance
 * secret.
 * Handing over: v3 pal_init with attr.fd >= 0 owns that fd (closes it on success and failure);
 * an entry it refuses gives -EBADFD and leaves no state, after which it accepts a cold pal_init
 * (fd -1, addr 0). A caller hands an fd only to a runtime that exports pal_prebuild, under the key
 * (the runtime's GNU build-id, args). */
typedef int (*pal_prebuild_fn)(const char* args, int* fd, uint64_t* addr, char* desc,
                               size_t desc_len);

/* The longest args an entry is built for (the key's second half), and the description buffer
 * callers pass. */
#define PAL_PREBUILD_ARGS_MAX 2048
#define PAL_PREBUILD_DESC_MAX 1024

/* Sizes of the SGX structures exchanged by pal_get_local_report. */
#define PAL_SGX_TARGET_INFO_SIZE 512
#define PAL_SGX_REPORT_SIZE 432
#define PAL_SGX_REPORT_BODY_SIZE 384

#ifdef __cplusplus
} /* extern "C" */
#endif

/* The ABI the existing runtimes were built with. */
#if defined(__x86_64__)
#ifdef __cplusplus
#define PAL_STATIC_ASSERT static_assert
#else
#define PAL_STATIC_ASSERT _Static_assert
#endif
PAL_STATIC_ASSERT(sizeof(pal_attr_v1_t) == 16, "pal_attr_v1_t is 16 bytes");
PAL_STATIC_ASSERT(sizeof(pal_attr_v3_t) == 32, "pal_attr_v3_t is 32 bytes");
PAL_STATIC_ASSERT(sizeof(pal_stdio_fds) == 12, "pal_stdio_fds is 12 bytes");
PAL_STATIC_ASSERT(sizeof(struct pal_create_process_args) == 40, "create_process args: 40 bytes");
PAL_STATIC_ASSERT(sizeof(struct pal_exec_args) == 16, "pal_exec_args is 16 bytes (not packed)");
#undef PAL_STATIC_ASSERT
#endif

#endif /* INCLAVARE_PAL_H */
