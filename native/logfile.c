#define _GNU_SOURCE
#include "logfile.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

void rfc3339nano(char *out, size_t n) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, n, "%s.%09ldZ", base, ts.tv_nsec);
}

int logfile_open(logfile *l, const char *path, off_t max_size, int max_files, berth_err *err) {
  /* rotate() reopens l->path itself: copying a string onto itself is undefined (it came out empty). */
  if (path != l->path) snprintf(l->path, sizeof l->path, "%s", path);
  l->max_size = max_size;
  l->max_files = max_files < 1 ? 1 : max_files;
  l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (l->fd < 0) return berth_fail(err, "open '%s'", path);
  struct stat st;
  if (fstat(l->fd, &st) < 0) return berth_fail(err, "stat '%s'", path);
  l->size = st.st_size;
  return 0;
}

static int rotate(logfile *l, berth_err *err) {
  if (l->max_files == 1) {
    /* Nothing kept: the log starts over (O_APPEND writes at the new end). */
    if (ftruncate(l->fd, 0) < 0) return berth_fail(err, "truncate '%s'", l->path);
    l->size = 0;
    return 0;
  }
  char from[4200], to[4200];
  /* log.(n-2) → log.(n-1) (replacing the oldest) … log.1 → log.2; a gap (a file not there yet) is skipped. */
  for (int i = l->max_files - 1; i > 1; i--) {
    snprintf(from, sizeof from, "%s.%d", l->path, i - 1);
    snprintf(to, sizeof to, "%s.%d", l->path, i);
    if (rename(from, to) < 0 && errno != ENOENT) return berth_fail(err, "rename '%s'", from);
  }
  snprintf(to, sizeof to, "%s.1", l->path);
  if (rename(l->path, to) < 0) return berth_fail(err, "rename '%s'", l->path);
  close(l->fd);
  return logfile_open(l, l->path, l->max_size, l->max_files, err);
}

/* JSON string escaping of raw bytes: control characters escaped, other bytes passed through (the
 * reader decodes UTF-8, replacing what is invalid, as Docker's reader does). */
static size_t escape(char *out, const char *in, size_t len) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)in[i];
    switch (c) {
    case '"': out[o++] = '\\'; out[o++] = '"'; break;
    case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
    case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
    case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
    case '\t': out[o++] = '\\'; out[o++] = 't'; break;
    default:
      if (c < 0x20 || c == 0x7f) {
        out[o++] = '\\'; out[o++] = 'u'; out[o++] = '0'; out[o++] = '0';
        out[o++] = hex[c >> 4]; out[o++] = hex[c & 15];
      } else {
        out[o++] = (char)c;
      }
    }
  }
  return o;
}

int logfile_write(logfile *l, const char *stream, const char *buf, size_t len, berth_err *err) {
  if (l->max_size > 0 && l->size >= l->max_size && rotate(l, err) < 0) return -1;
  char time[64];
  rfc3339nano(time, sizeof time);
  size_t cap = len * 6 + 128;
  char *line = malloc(cap);
  if (!line) return berth_fail(err, "malloc log line");
  size_t o = (size_t)snprintf(line, cap, "{\"log\":\"");
  o += escape(line + o, buf, len);
  o += (size_t)snprintf(line + o, cap - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, time);
  size_t done = 0;
  while (done < o) {
    ssize_t w = write(l->fd, line + done, o - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      free(line);
      return berth_fail(err, "write '%s'", l->path);
    }
    done += (size_t)w;
  }
  free(line);
  l->size += (off_t)o;
  return 0;
}
