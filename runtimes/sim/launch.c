#define _GNU_SOURCE
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "seccomp.h"
#include "sha256.h"
#include "spawn.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static int create_memfd(void) {
  int fd = memfd_create("sim-workload", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) /* kernels before 6.3 do not know MFD_EXEC */
    fd = memfd_create("sim-workload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return fd < 0 ? -errno : fd;
}

static const uint8_t k_elf_magic[4] = {0x7f, 'E', 'L', 'F'};

enum { CHUNK = 1 << 16 };

/* Copies src into dst, hashing it when digest is not NULL; checks the ELF magic on the first
 * bytes. */
static int copy_and_hash(const char* path, int src, int dst, uint8_t* digest) {
  uint8_t* buf = malloc(CHUNK);
  if (!buf) return -ENOMEM;
  sha256_ctx h;
  sha256_init(&h);
  size_t total = 0;
  uint8_t magic[4];
  int rc = 0;
  for (;;) {
    ssize_t n = read(src, buf, CHUNK);
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      sim_log(SIM_ERROR, "read %s: %s", path, strerror(errno));
      break;
    }
    if (n == 0) break;
    for (size_t i = 0; i < (size_t)n && total + i < sizeof magic; i++) magic[total + i] = buf[i];
    size_t before = total;
    total += (size_t)n;
    if (before < sizeof magic && total >= sizeof magic && memcmp(magic, k_elf_magic, 4) != 0)
      break; /* reported below */
    if (digest) sha256_update(&h, buf, (size_t)n);
    rc = rt_write_all(dst, buf, (size_t)n);
    if (rc) {
      sim_log(SIM_ERROR, "copy %s into a memfd: %s", path, strerror(-rc));
      break;
    }
  }
  free(buf);
  if (rc == 0 && (total < sizeof magic || memcmp(magic, k_elf_magic, 4) != 0)) {
    sim_log(SIM_ERROR,
            "%s is not an ELF executable: liberpal-sim runs only ELF files (a #! script cannot be "
            "executed from its sealed close-on-exec copy); run its interpreter instead",
            path);
    rc = -ENOEXEC;
  }
  if (rc == 0 && digest) sha256_final(&h, digest);
  return rc;
}

int sim_hash_workload(const char* path, int memfd, uint8_t digest[32], const int* cancel) {
  uint8_t* buf = malloc(CHUNK);
  if (!buf) return -ENOMEM;
  sha256_ctx h;
  sha256_init(&h);
  int rc = 0;
  for (off_t off = 0;;) {
    if (__atomic_load_n(cancel, __ATOMIC_ACQUIRE)) {
      rc = -ECANCELED;
      break;
    }
    ssize_t n = pread(memfd, buf, CHUNK, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      sim_log(SIM_ERROR, "read the sealed copy of %s: %s", path, strerror(errno));
      break;
    }
    if (n == 0) break;
    sha256_update(&h, buf, (size_t)n);
    off += n;
  }
  free(buf);
  if (rc == 0) sha256_final(&h, digest);
  return rc;
}

int sim_load_workload(const char* path, int* memfd_out, uint8_t* digest) {
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) {
    int err = errno;
    sim_log(SIM_ERROR, "open %s: %s", path, strerror(err));
    return -err;
  }
  int rc = 0;
  struct stat st;
  if (fstat(src, &st) != 0) {
    rc = -errno;
    sim_log(SIM_ERROR, "stat %s: %s", path, strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    rc = -EACCES; /* what execve says */
    sim_log(SIM_ERROR, "%s is not a regular file", path);
  } else if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0) {
    /* execve would have refused it (no x bit, noexec mount): so do we, though we copy it */
    rc = -errno;
    sim_log(SIM_ERROR, "%s is not executable: %s", path, strerror(errno));
  }
  int memfd = -1;
  if (rc == 0) {
    memfd = create_memfd();
    if (memfd < 0) {
      rc = memfd;
      sim_log(SIM_ERROR, "memfd_create: %s", strerror(-rc));
    }
  }
  if (rc == 0) rc = copy_and_hash(path, src, memfd, digest);
  if (rc == 0 &&
      fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    rc = -errno;
    sim_log(SIM_ERROR, "seal the memfd copy of %s: %s", path, strerror(errno));
  }
  /* Execute-only: the exec'ing task cannot read it once its DAC capabilities are dropped, which
   * is what makes the kernel mark the new image non-dumpable. */
  if (rc == 0 && fchmod(memfd, 0111) != 0) {
    rc = -errno;
    sim_log(SIM_ERROR, "chmod the memfd copy of %s: %s", path, strerror(errno));
  }
  close(src);
  if (rc != 0) {
    if (memfd >= 0) close(memfd);
    return rc;
  }
  *memfd_out = memfd;
  return 0;
}

/* Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the effective set only: permitted and
 * inheritable stay, so a root workload gets its usual capabilities back at exec. */
static int drop_dac_effective(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &hdr, data) != 0) return errno;
  const uint32_t drop = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
  if ((data[0].effective & drop) == 0) return 0;
  data[0].effective &= ~drop;
  if (syscall(SYS_capset, &hdr, data) != 0) return errno;
  return 0;
}

void sim_child_exec(void* p) {
  const struct sim_exec_ctx* c = p;
  const char* what = "set up";
  int err = rt_child_basic_setup(c->parent);
  if (!err) err = rt_child_setup_stdio(c->stdio);
  if (!err) {
    /* Close-on-exec rather than close: the memfd must stay open until execveat. */
    rt_child_close_fds(1);
    if (c->attest_fd >= 0 && fcntl(c->attest_fd, F_SETFD, 0) != 0) {
      err = errno;
      what = "pass the attestation channel to";
    }
  }
  if (!err) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      err = errno;
      what = "set no_new_privs for";
    }
  }
  if (!err) {
    err = drop_dac_effective();
    if (err) what = "drop DAC capabilities for";
  }
  if (!err) {
    err = sim_seccomp_install();
    if (err) what = "install the seccomp filter for";
  }
  if (!err) {
    execveat(c->memfd, "", c->argv, c->env, AT_EMPTY_PATH);
    err = errno;
    what = "exec";
  }
  rt_child_report_error("liberpal-sim", what, c->path, err);
  _exit(127);
}
