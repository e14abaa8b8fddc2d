/* See http-unix.h. */
#define _GNU_SOURCE
#include "http-unix.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void (*http_interrupted)(void);

int http_connect(http_conn *c, const char *path) {
  memset(c, 0, sizeof *c);
  c->fd = -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return ENAMETOOLONG;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(fd);
    return e;
  }
  c->fd = fd;
  return 0;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* More bytes into buf (keeping the unread ones): >0 read, 0 at the close, -1 on an error. */
static ssize_t fill(http_conn *c) {
  if (c->off > 0) {
    memmove(c->buf, c->buf + c->off, c->len);
    c->off = 0;
  }
  if (c->len == sizeof c->buf) return errno = EMSGSIZE, -1;
  ssize_t r;
  while ((r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len)) < 0 && errno == EINTR)
    if (http_interrupted) http_interrupted();
  if (r > 0) c->len += (size_t)r;
  return r;
}

/* One line (without its CRLF) of the head or of a chunk's framing; NULL when the response is cut. */
static char *line(http_conn *c) {
  for (;;) {
    char *start = c->buf + c->off;
    char *nl = memmem(start, c->len, "\r\n", 2);
    if (nl) {
      *nl = '\0';
      size_t used = (size_t)(nl - start) + 2;
      c->off += used;
      c->len -= used;
      return start;
    }
    if (fill(c) <= 0) return NULL;
  }
}

int http_send(http_conn *c, const char *method, const char *target, const char *content_type, const char *body, size_t len) {
  char head[4096];
  int n = body ? snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json, application/x-ndjson\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", method, target, content_type, len)
               : snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json, application/x-ndjson\r\nConnection: close\r\n\r\n", method, target);
  if (n < 0 || (size_t)n >= sizeof head) return errno = E2BIG, -1;
  if (send_all(c->fd, head, (size_t)n) < 0 || (body && send_all(c->fd, body, len) < 0)) return -1;
  return 0;
}

int http_request(http_conn *c, const char *method, const char *target, const char *content_type, const char *body, size_t len) {
  return http_send(c, method, target, content_type, body, len) < 0 ? -1 : http_read_head(c);
}

int http_read_head(http_conn *c) {
  char *status = line(c);
  if (!status || sscanf(status, "HTTP/1.%*d %d", &c->status) != 1) return errno = EPROTO, -1;
  c->remaining = -1;
  for (char *h; (h = line(c)) && *h;) {
    char *colon = strchr(h, ':');
    if (!colon) continue;
    *colon = '\0';
    char *v = colon + 1 + strspn(colon + 1, " \t");
    if (strcasecmp(h, "content-length") == 0) c->remaining = strtoll(v, NULL, 10);
    else if (strcasecmp(h, "transfer-encoding") == 0) c->chunked = strcasecmp(v, "chunked") == 0;
    else if (strcasecmp(h, "content-type") == 0) snprintf(c->content_type, sizeof c->content_type, "%s", v);
    /* An empty line ends the head; a cut one is seen below as a body that ends early. */
  }
  if (c->chunked) c->remaining = 0;
  /* 1xx, 204 and 304 have no body. */
  if (c->status == 204 || c->status == 304) c->done = true;
  return 0;
}

ssize_t http_read_body(http_conn *c, char *out, size_t n) {
  if (c->done) return 0;
  if (c->chunked && c->remaining == 0) {
    char *size = line(c);
    if (!size) return -1;
    c->remaining = strtoll(size, NULL, 16);
    if (c->remaining == 0) {
      /* The last chunk: trailers (none expected) up to the empty line. */
      for (char *t; (t = line(c)) && *t;) {
      }
      c->done = true;
      return 0;
    }
  }
  if (c->remaining == 0) return c->done = true, 0;
  if (c->len == 0) {
    ssize_t r = fill(c);
    if (r < 0) return -1;
    if (r == 0) {
      c->done = true;
      /* The close ends a body of unknown length; any other body is cut. */
      return c->remaining < 0 && !c->chunked ? 0 : (errno = EPROTO, -1);
    }
  }
  size_t k = c->len < n ? c->len : n;
  if (c->remaining > 0 && (long long)k > c->remaining) k = (size_t)c->remaining;
  memcpy(out, c->buf + c->off, k);
  c->off += k;
  c->len -= k;
  if (c->remaining > 0) {
    c->remaining -= (long long)k;
    /* A chunk's data ends with CRLF. */
    if (c->chunked && c->remaining == 0 && !line(c)) return -1;
  }
  return (ssize_t)k;
}

void http_close(http_conn *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}
