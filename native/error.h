/* Errors in berth's C code: every fallible function returns a negative int and fills a berth_err
 * with "verb 'path': strerror" (the crun convention), so the TypeScript side can show it as is. */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  char msg[1024];
} berth_err;

/* Fills err with the formatted message followed by ": strerror(errno)"; returns -1. */
static inline int berth_fail(berth_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int berth_fail(berth_err *err, const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof err->msg && saved != 0)
    snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(saved));
  errno = saved;
  return -1;
}

/* As berth_fail, without errno (a failure that is not a system call's). */
static inline int berth_failx(berth_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int berth_failx(berth_err *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return -1;
}

static inline void close_fdp(int *fd) {
  if (*fd >= 0) close(*fd);
}
#define cleanup_fd __attribute__((cleanup(close_fdp)))

#endif
