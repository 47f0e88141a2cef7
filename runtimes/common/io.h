/* Small I/O helpers shared by the PALs. */
#ifndef RT_IO_H
#define RT_IO_H

#include <stddef.h>

/* Writes all n bytes (retrying short writes and EINTR): 0, or -errno. */
int rt_write_all(int fd, const void* p, size_t n);

#endif /* RT_IO_H */
