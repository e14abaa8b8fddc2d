/* Whole reads and writes on a descriptor, through EINTR and short counts. */
#ifndef BERTH_IO_H
#define BERTH_IO_H
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/* All n bytes written: 0, or -1 (errno). */
static inline int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Exactly n bytes read: 0, or -1 (an error, or the end first). */
static inline int read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}
#endif
