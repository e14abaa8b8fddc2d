/* The container's log: one JSON line per chunk read from its stdout or stderr, as Docker's
 * json-file driver writes it ({"log","stream","time"}), with size rotation as Docker's max-size/max-file: log → log.1 → log.2 …,
 * max_files in all (the current one included), the oldest dropped. */
#ifndef BERTH_LOGFILE_H
#define BERTH_LOGFILE_H
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

typedef struct {
  char path[4096];
  int fd;
  off_t size;
  off_t max_size; /* 0: never rotate */
  int max_files;  /* files kept, the current one included; 1: the log starts over */
} logfile;

int logfile_open(logfile *l, const char *path, off_t max_size, int max_files, berth_err *err);
/* Appends one entry; rotates first when the file has reached max_size. */
int logfile_write(logfile *l, const char *stream, const char *buf, size_t len, berth_err *err);
/* RFC 3339 with nanoseconds, UTC: 2026-11-22T23:47:01.123456789Z (out: at least 40 bytes). */
void rfc3339nano(char *out, size_t n);

#endif
