/* A minimal HTTP/1.1 client over a unix socket, for the CLI's native front (cli-front.c): one
 * request per connection (Connection: close), the response's status and head, and its body
 * decoded (Content-Length, chunked, or until the close) as it arrives. */
#ifndef BERTH_HTTP_UNIX_H
#define BERTH_HTTP_UNIX_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct http_conn {
  int fd;
  int status;
  char content_type[128];
  bool chunked;
  long long remaining; /* body bytes left: of the whole body, or of the current chunk when chunked; -1: until the close */
  bool done;
  char buf[65536];
  size_t off, len; /* unread bytes of buf */
} http_conn;

/* Connects to the unix socket at path: 0, or the connect's errno (ENOENT when nothing is there). */
int http_connect(http_conn *c, const char *path);
/* Sends a request with a body (NULL: none); then reads the status and head. 0, or -1 (errno). */
int http_request(http_conn *c, const char *method, const char *target, const char *content_type, const char *body, size_t len);
/* Up to n bytes of the decoded body; 0 at its end, -1 on an error (a malformed or cut response). */
/* The two halves of http_request: the request sent, then (later: `attach` sends its wait first) its answer's head read. */
int http_send(http_conn *c, const char *method, const char *target, const char *content_type, const char *body, size_t len);
int http_read_head(http_conn *c);
ssize_t http_read_body(http_conn *c, char *out, size_t n);
void http_close(http_conn *c);
/* Called when a signal interrupts a wait for the response (then the wait goes on): `run`'s --sig-proxy. */
extern void (*http_interrupted)(void);
#endif
