#define _GNU_SOURCE
#include "build_id.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOTE_ALIGN(n) (((n) + 3u) & ~(size_t)3u)

/* Walks the notes in [p, p + len) and copies the first GNU build-id. Same return values as the
 * public functions, -ENODATA when there is none in this block. */
static int find_in_notes(const uint8_t* p, size_t len, uint8_t* out, size_t cap) {
  size_t off = 0;
  while (len - off >= sizeof(Elf64_Nhdr)) {
    Elf64_Nhdr h;
    memcpy(&h, p + off, sizeof h);
    off += sizeof h;
    const size_t name_len = NOTE_ALIGN(h.n_namesz), desc_len = NOTE_ALIGN(h.n_descsz);
    if (name_len > len - off || desc_len > len - off - name_len) return -ENODATA;
    if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 && memcmp(p + off, "GNU", 4) == 0) {
      if (h.n_descsz == 0) return -ENODATA;
      if (h.n_descsz > cap) return -ENOBUFS;
      memcpy(out, p + off + name_len, h.n_descsz);
      return (int)h.n_descsz;
    }
    off += name_len + desc_len;
  }
  return -ENODATA;
}

struct loaded_query {
  uintptr_t addr;
  uint8_t* out;
  size_t cap;
  int rc;
};

static int visit_loaded(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  struct loaded_query* q = data;
  int contains = 0;
  for (int i = 0; i < info->dlpi_phnum && !contains; i++) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    const uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    contains = ph->p_type == PT_LOAD && q->addr >= start && q->addr - start < ph->p_memsz;
  }
  if (!contains) return 0;
  q->rc = -ENODATA;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE) continue;
    const uint8_t* notes = (const uint8_t*)(info->dlpi_addr + ph->p_vaddr);
    int rc = find_in_notes(notes, ph->p_memsz, q->out, q->cap);
    if (rc != -ENODATA) {
      q->rc = rc;
      break;
    }
  }
  return 1; /* found the object: stop */
}

int build_id_of_loaded(const void* addr, uint8_t* out, size_t cap) {
  struct loaded_query q = {(uintptr_t)addr, out, cap, -ENOENT};
  dl_iterate_phdr(visit_loaded, &q);
  return q.rc;
}

static int read_at(int fd, void* buf, size_t len, uint64_t off) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, (char*)buf + done, len - done, (off_t)(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) return -ENOEXEC; /* the file ends inside a header */
    done += (size_t)n;
  }
  return 0;
}

int build_id_of_file(int fd, uint8_t* out, size_t cap) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -ENOEXEC;
  const uint64_t file_size = (uint64_t)st.st_size;
  Elf64_Ehdr eh;
  int rc = read_at(fd, &eh, sizeof eh, 0);
  if (rc) return rc;
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_phentsize != sizeof(Elf64_Phdr))
    return -ENOEXEC;
  if (eh.e_phoff > file_size || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > file_size - eh.e_phoff)
    return -ENOEXEC;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    rc = read_at(fd, &ph, sizeof ph, eh.e_phoff + (uint64_t)i * sizeof ph);
    if (rc) return rc;
    if (ph.p_type != PT_NOTE) continue;
    if (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset || ph.p_filesz > 65536)
      return -ENOEXEC;
    uint8_t* notes = malloc(ph.p_filesz ? ph.p_filesz : 1);
    if (!notes) return -ENOMEM;
    rc = read_at(fd, notes, ph.p_filesz, ph.p_offset);
    if (rc == 0) rc = find_in_notes(notes, ph.p_filesz, out, cap);
    free(notes);
    if (rc != -ENODATA) return rc;
  }
  return -ENODATA;
}

void build_id_hex(const uint8_t* id, size_t n, char* out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[id[i] >> 4];
    out[2 * i + 1] = digits[id[i] & 15];
  }
  out[2 * n] = '\0';
}
