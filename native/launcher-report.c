/* See launcher-report.h. */
#include "launcher-report.h"
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static const char *log_path;

void report_to(const char *path) {
  log_path = path;
}

/* One error line appended to the log at path; -1 when it cannot be opened. */
static int append(const char *path, const char *msg) {
  FILE *f = fopen(path, "ae");
  if (!f) return -1;
  fputs("{\"level\":\"error\",\"msg\":\"", f);
  for (const char *p = msg; *p; p++) {
    if (*p == '"' || *p == '\\') fputc('\\', f), fputc(*p, f);
    else if ((unsigned char)*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputs("\"}\n", f);
  fclose(f);
  return 0;
}

void report_at(const char *path, const char *msg) {
  if (append(path, msg) < 0) fprintf(stderr, "berth-run: %s\n", msg);
}

int report(const char *msg) {
  if (!log_path) return fprintf(stderr, "berth-run: %s\n", msg), 1;
  report_at(log_path, msg);
  return 1;
}

/* Reads the child's error message from the pipe; empty when it closed on a successful exec. */
void read_all(int fd, char *buf, size_t n) {
  size_t got = 0;
  ssize_t r;
  while (got + 1 < n && ((r = read(fd, buf + got, n - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
    if (r > 0) got += (size_t)r;
  buf[got] = 0;
}
