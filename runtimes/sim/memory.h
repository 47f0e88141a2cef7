/*
 * The sim enclave's memory (args `size=N[K|M|G]`) and its pre-built entries (pal_prebuild).
 *
 * A cold pal_init maps `size` bytes of anonymous memory, writes every page (a zero heap) and
 * measures it in one SHA-256 stream laid out as SGX builds an enclave: an ECREATE record (the
 * size), per 4 KiB page an EADD record (offset, page flags), per 256 bytes an EEXTEND record
 * (offset) followed by the 256 bytes. The base is not measured.
 *
 * An entry is a memfd: a 4 KiB header (sim_entry_header), then the memory, built the same way
 * through a shared mapping that is unmapped before the memfd is sealed (SHRINK, GROW, WRITE,
 * SEAL). A warm pal_init checks an entry (sim_entry_check) and maps its memory MAP_PRIVATE at the
 * header's base: the pages stay the builder's until the container writes one.
 */
#ifndef SIM_MEMORY_H
#define SIM_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "build_id.h"

#define SIM_PAGE 4096u
#define SIM_MEM_MAX (64ull << 30)
#define SIM_ENTRY_HEADER_SIZE 4096u
#define SIM_ENTRY_MAGIC "SIMEPM\r\n" /* 8 bytes, no NUL */
#define SIM_ENTRY_VERSION 1u
#define SIM_ENTRY_ARGS_MAX 2048u
#define SIM_ENTRY_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

/* Bases are random, 2 MiB-aligned, within [16 TiB, 64 TiB). */
#define SIM_BASE_ALIGN (2ull << 20)
#define SIM_BASE_LOW (16ull << 40)
#define SIM_BASE_HIGH (64ull << 40)

typedef struct sim_entry_header {
  char magic[8];
  uint32_t version;
  uint32_t build_id_len;
  uint8_t instance[16];
  uint8_t build_id[BUILD_ID_MAX];
  uint64_t size; /* bytes of memory after the header */
  uint64_t base;
  uint8_t digest[32]; /* the memory's measurement */
  uint64_t built_at;  /* CLOCK_REALTIME, nanoseconds */
  uint32_t args_len;
  uint32_t reserved;
  char args[SIM_ENTRY_ARGS_MAX];
} sim_entry_header;
_Static_assert(sizeof(sim_entry_header) <= SIM_ENTRY_HEADER_SIZE, "the header fits its page");

/* "4096", "64K", "4M", "1G": a positive multiple of 4 KiB, at most 64 GiB. 0 or -EINVAL. */
int sim_mem_parse_size(const char* text, uint64_t* size);

/* Writes every page of [mem, mem + size) with zeros and measures it (see above). */
void sim_mem_fill_and_measure(uint8_t* mem, uint64_t size, uint8_t digest[32]);

/* Maps `size` bytes of anonymous memory, fills and measures them. 0 or -errno. */
int sim_mem_build_cold(uint64_t size, void** mem, uint8_t digest[32]);

/* What sim_entry_build should spoil (liberpal-sim-tamper only; 0 everywhere else). */
enum sim_tamper {
  SIM_TAMPER_NONE,
  SIM_TAMPER_SEAL,
  SIM_TAMPER_SIZE,
  SIM_TAMPER_MAGIC,
  SIM_TAMPER_VERSION,
  SIM_TAMPER_BUILD,
  SIM_TAMPER_ARGS,
  SIM_TAMPER_ADDR,
};
int sim_tamper_parse(const char* name); /* the enum value, or -1 */

/* Builds an entry for (build_id, args) with `size` bytes of memory: the sealed memfd (O_CLOEXEC),
 * its base and header. 0 or -errno. */
int sim_entry_build(const uint8_t* build_id, size_t build_id_len, const char* args, uint64_t size,
                    int tamper, int* fd, uint64_t* addr, sim_entry_header* header);

/* Checks an entry handed to pal_init against the runtime's own build-id, args and size and the
 * given addr, then maps its memory MAP_PRIVATE | MAP_FIXED_NOREPLACE at the base. On success
 * *mem is the mapping and *header a copy of the header; on failure nothing is mapped and *why
 * names the check that failed. Never closes fd. 0 or -EBADFD. */
int sim_entry_map(int fd, uint64_t addr, const uint8_t* build_id, size_t build_id_len,
                  const char* args, uint64_t size, void** mem, sim_entry_header* header, char* why,
                  size_t why_len);

/* Lowercase hex of the 16-byte instance id (33 bytes with the NUL). */
void sim_instance_hex(const uint8_t instance[16], char out[33]);

#endif /* SIM_MEMORY_H */
