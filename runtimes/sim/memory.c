#define _GNU_SOURCE
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* SGX SECINFO flags of a regular read-write page: R | W | (PT_REG << 8). */
#define SIM_SECINFO_REG_RW 0x203ull
#define SIM_EXTEND_CHUNK 256u

int sim_mem_parse_size(const char* text, uint64_t* size) {
  if (!text || *text < '0' || *text > '9') return -EINVAL;
  uint64_t n = 0;
  const char* p = text;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (n > SIM_MEM_MAX) return -EINVAL; /* keeps the next step from overflowing */
    n = n * 10 + (uint64_t)(*p - '0');
  }
  unsigned shift = 0;
  if (*p == 'K' || *p == 'k') shift = 10;
  if (*p == 'M' || *p == 'm') shift = 20;
  if (*p == 'G' || *p == 'g') shift = 30;
  if (shift) p++;
  if (*p != '\0' || n == 0 || n > (SIM_MEM_MAX >> shift)) return -EINVAL;
  n <<= shift;
  if (n % SIM_PAGE != 0) return -EINVAL;
  *size = n;
  return 0;
}

/* One 64-byte record of the stream: the operation's name, then two little-endian words. */
static void put_record(sha256_ctx* h, const char* op, uint64_t a, uint64_t b) {
  uint8_t rec[64] = {0};
  memcpy(rec, op, strlen(op));
  for (int i = 0; i < 8; i++) {
    rec[8 + i] = (uint8_t)(a >> (8 * i));
    rec[16 + i] = (uint8_t)(b >> (8 * i));
  }
  sha256_update(h, rec, sizeof rec);
}

void sim_mem_fill_and_measure(uint8_t* mem, uint64_t size, uint8_t digest[32]) {
  sha256_ctx h;
  sha256_init(&h);
  put_record(&h, "ECREATE", 1 /* SSA frames */, size);
  for (uint64_t off = 0; off < size; off += SIM_PAGE) {
    memset(mem + off, 0, SIM_PAGE); /* the zero heap: every page written */
    put_record(&h, "EADD", off, SIM_SECINFO_REG_RW);
    for (unsigned c = 0; c < SIM_PAGE; c += SIM_EXTEND_CHUNK) {
      put_record(&h, "EEXTEND", off + c, 0);
      sha256_update(&h, mem + off + c, SIM_EXTEND_CHUNK);
    }
  }
  sha256_final(&h, digest);
}

int sim_mem_build_cold(uint64_t size, void** mem, uint8_t digest[32]) {
  void* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -errno;
  sim_mem_fill_and_measure(p, size, digest);
  *mem = p;
  return 0;
}

int sim_tamper_parse(const char* name) {
  static const char* const names[] = {"",        "seal",  "size", "magic",
                                      "version", "build", "args", "addr"};
  for (int i = 1; i < (int)(sizeof names / sizeof names[0]); i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

static int random_bytes(void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = getrandom((char*)buf + done, n - done, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -errno;
    done += (size_t)r;
  }
  return 0;
}

int sim_entry_build(const uint8_t* build_id, size_t build_id_len, const char* args, uint64_t size,
                    int tamper, int* fd_out, uint64_t* addr, sim_entry_header* header) {
  const size_t args_len = strlen(args);
  if (args_len > SIM_ENTRY_ARGS_MAX || build_id_len > BUILD_ID_MAX || size == 0 ||
      size > SIM_MEM_MAX || size % SIM_PAGE)
    return -EINVAL;
  memset(header, 0, sizeof *header);
  memcpy(header->magic, SIM_ENTRY_MAGIC, sizeof header->magic);
  header->version = SIM_ENTRY_VERSION;
  header->build_id_len = (uint32_t)build_id_len;
  memcpy(header->build_id, build_id, build_id_len);
  header->size = size;
  header->args_len = (uint32_t)args_len;
  memcpy(header->args, args, args_len);
  uint64_t r;
  int rc = random_bytes(header->instance, sizeof header->instance);
  if (rc == 0) rc = random_bytes(&r, sizeof r);
  if (rc) return rc;
  const uint64_t slots = (SIM_BASE_HIGH - SIM_BASE_LOW - size) / SIM_BASE_ALIGN;
  header->base = SIM_BASE_LOW + (r % slots) * SIM_BASE_ALIGN;

  const uint64_t total = SIM_ENTRY_HEADER_SIZE + size + (tamper == SIM_TAMPER_SIZE ? SIM_PAGE : 0);
  int fd = memfd_create("liberpal-sim-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -errno;
  if (ftruncate(fd, (off_t)total) != 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  uint8_t* map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    rc = -errno;
    close(fd);
    return rc;
  }
  sim_mem_fill_and_measure(map + SIM_ENTRY_HEADER_SIZE, size, header->digest);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  header->built_at = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;

  sim_entry_header written = *header;
  switch (tamper) {
    case SIM_TAMPER_MAGIC:
      written.magic[0] ^= 1;
      break;
    case SIM_TAMPER_VERSION:
      written.version = SIM_ENTRY_VERSION + 1;
      break;
    case SIM_TAMPER_BUILD:
      written.build_id[0] ^= 1;
      break;
    case SIM_TAMPER_ARGS:
      if (written.args_len < SIM_ENTRY_ARGS_MAX) written.args[written.args_len++] = ' ';
      break;
    default:
      break;
  }
  memcpy(map, &written, sizeof written);
  /* Unmapped before sealing: F_SEAL_WRITE fails with EBUSY while a shared writable mapping
   * exists. */
  munmap(map, total);
  const int seals = tamper == SIM_TAMPER_SEAL ? SIM_ENTRY_SEALS & ~F_SEAL_WRITE : SIM_ENTRY_SEALS;
  if (fcntl(fd, F_ADD_SEALS, seals) != 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  *fd_out = fd;
  *addr = header->base + (tamper == SIM_TAMPER_ADDR ? SIM_BASE_ALIGN : 0);
  return 0;
}

static int refuse(char* why, size_t why_len, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char* why, size_t why_len, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, why_len, fmt, ap);
  va_end(ap);
  return -EBADFD;
}

int sim_entry_map(int fd, uint64_t addr, const uint8_t* build_id, size_t build_id_len,
                  const char* args, uint64_t size, void** mem, sim_entry_header* h, char* why,
                  size_t why_len) {
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0)
    return refuse(why, why_len, "seals: fd %d is not a memfd (F_GET_SEALS: %s)", fd,
                  strerror(errno));
  if ((seals & SIM_ENTRY_SEALS) != SIM_ENTRY_SEALS)
    return refuse(why, why_len, "seals: %#x, want shrink, grow, write and seal (%#x)", seals,
                  SIM_ENTRY_SEALS);
  struct stat st;
  if (fstat(fd, &st) != 0) return refuse(why, why_len, "size: fstat: %s", strerror(errno));
  if ((uint64_t)st.st_size != SIM_ENTRY_HEADER_SIZE + size)
    return refuse(why, why_len, "size: the entry has %lld bytes, want %llu (header + size=%llu)",
                  (long long)st.st_size, (unsigned long long)(SIM_ENTRY_HEADER_SIZE + size),
                  (unsigned long long)size);
  if (pread(fd, h, sizeof *h, 0) != (ssize_t)sizeof *h)
    return refuse(why, why_len, "size: cannot read the header");
  if (memcmp(h->magic, SIM_ENTRY_MAGIC, sizeof h->magic) != 0)
    return refuse(why, why_len, "magic: not a liberpal-sim entry");
  if (h->version != SIM_ENTRY_VERSION)
    return refuse(why, why_len, "version: %u, want %u", h->version, SIM_ENTRY_VERSION);
  if (h->build_id_len != build_id_len || memcmp(h->build_id, build_id, build_id_len) != 0)
    return refuse(why, why_len, "build-id: the entry was built by another liberpal-sim");
  const size_t args_len = strlen(args);
  if (h->args_len != args_len || memcmp(h->args, args, args_len) != 0)
    return refuse(why, why_len, "args: the entry was built for other args");
  if (h->size != size)
    return refuse(why, why_len, "size: the header says %llu bytes, want %llu",
                  (unsigned long long)h->size, (unsigned long long)size);
  if (addr != h->base)
    return refuse(why, why_len, "addr: %#llx is not the entry's base %#llx",
                  (unsigned long long)addr, (unsigned long long)h->base);
  if (h->base % SIM_BASE_ALIGN || h->base < SIM_BASE_LOW || h->base > SIM_BASE_HIGH - size)
    return refuse(why, why_len, "addr: base %#llx is outside [16 TiB, 64 TiB) or not aligned",
                  (unsigned long long)h->base);
  void* p = mmap((void*)(uintptr_t)addr, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, SIM_ENTRY_HEADER_SIZE);
  if (p == MAP_FAILED)
    return refuse(why, why_len, "addr: map at %#llx: %s", (unsigned long long)addr,
                  errno == EEXIST ? "the range is occupied" : strerror(errno));
  if (p != (void*)(uintptr_t)addr) { /* a kernel without MAP_FIXED_NOREPLACE */
    munmap(p, size);
    return refuse(why, why_len, "addr: %#llx is occupied (mapped elsewhere)",
                  (unsigned long long)addr);
  }
  *mem = p;
  return 0;
}

void sim_instance_hex(const uint8_t instance[16], char out[33]) {
  build_id_hex(instance, 16, out);
}
