/* GNU build-ids (the NT_GNU_BUILD_ID note that `-Wl,--build-id` writes), self-contained C: the PALs
 * name themselves with it (liberpal-sim's pre-built entries), rune names the PAL it loaded, epm the
 * PAL files it may build with. See docs/pal-api.md, "Pre-built enclaves".
 */
#ifndef BASE_BUILD_ID_H
#define BASE_BUILD_ID_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A build-id is at most this long (sha1 gives 20 bytes; md5 16; --build-id=0x... up to this). */
#define BUILD_ID_MAX 64

/* The build-id of the loaded object (executable or shared library) whose segments contain `addr`,
 * read from its PT_NOTE segments in memory (dl_iterate_phdr): nothing is read from disk and
 * nothing is hashed. Returns its length (> 0), -ENOENT when no loaded object contains `addr`,
 * -ENODATA when that object has no build-id, -ENOBUFS when it is longer than `cap`. */
int build_id_of_loaded(const void* addr, uint8_t* out, size_t cap);

/* The build-id of the ELF64 little-endian file open at `fd` (read with pread, the offset is not
 * moved), from its PT_NOTE program headers. Returns its length, -ENOEXEC when the file is not an
 * ELF64 x86-64-style object we can read (truncated, bad magic or class, headers out of the file),
 * -ENODATA when it has no build-id, -ENOBUFS as above, -errno when a read fails. */
int build_id_of_file(int fd, uint8_t* out, size_t cap);

/* Lowercase hex of n bytes, NUL-terminated: `out` has room for 2 * n + 1. */
void build_id_hex(const uint8_t* id, size_t n, char* out);

#ifdef __cplusplus
}
#endif

#endif /* BASE_BUILD_ID_H */
