/* The native front's `attach [--no-stdin] [--detach-keys K] [--sig-proxy=B] NAME` (cli/verbs/attach.ts),
 * on the short way: the daemon says what the container is and where its monitor serves its streams
 * (GET /v1/containers/NAME/attach-socket: it stays the authority on names, state and who may
 * attach), and this client, when it can open that socket (root: it is in the daemon's state
 * directory), relays this terminal to the monitor itself (cli-attach-stream.c) — a typed key then
 * passes no Node process on its way to the container and back. The container's exit code comes
 * from the daemon (its wait, asked at the start, as the Node CLI does: once ended, the container
 * may be gone); that connection also tells when the daemon goes away, which ends the attach as it
 * ends the Node CLI's. Anything else — a socket it cannot open, a container that does not run, a
 * daemon without the route, a flag or detach keys it does not take as the Node CLI would — goes to
 * the Node CLI (through the daemon's HTTP upgrade) before anything has been sent to the container. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "cli-sigproxy.h"
#include "cli-attach-stream.h"
#include "error.h"
#include "http-unix.h"
#include "io.h"

static const front_flag ATTACH_FLAGS[] = {{0, "no-stdin", false}, {0, "detach-keys", true}, {0, "sig-proxy", true}};
struct attach_flags {
  bool no_stdin;
  const char *detach_keys, *sig_proxy;
};

static void attach_flag(size_t which, const char *value, void *ctx) {
  struct attach_flags *f = ctx;
  if (which == 0) f->no_stdin = true;
  else if (which == 1) f->detach_keys = value;
  else f->sig_proxy = value;
}

/* specs/streams/detach-keys.ts parseDetachKeys for what it takes (an ASCII character, ctrl-@ … ctrl-_);
 * false for the rest, which the Node CLI refuses with its own message. */
static bool parse_keys(const char *text, unsigned char *out, size_t *n) {
  static const char *const CTRL_AFTER_Z[] = {"ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"};
  *n = 0;
  for (const char *k = text;; k++) {
    size_t len = strcspn(k, ",");
    if (*n == 64) return false;
    if (len == 1 && (unsigned char)*k < 0x80) out[(*n)++] = (unsigned char)*k;
    else if (len == 6 && strncmp(k, "ctrl-", 5) == 0 && k[5] >= 'a' && k[5] <= 'z') out[(*n)++] = (unsigned char)(k[5] - 'a' + 1);
    else if (len == 6 && strncmp(k, "ctrl-@", 6) == 0) out[(*n)++] = 0;
    else {
      size_t c = 0;
      while (c < 5 && !(len == 6 && strncmp(k, CTRL_AFTER_Z[c], 6) == 0)) c++;
      if (c == 5) return false;
      out[(*n)++] = (unsigned char)(27 + c);
    }
    k += len;
    if (!*k) return true;
  }
}

/* cli/sig-proxy.ts sigProxyFlag: 1, 0, or -1 for a value it refuses. */
static int sig_proxy(const char *v) {
  if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) return 1;
  if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) return 0;
  return -1;
}

struct target {
  char name[256];
  bool tty, stdin, stdin_once;
  char socket[PATH_MAX];
};

static bool get_bool(json_object *o, const char *key) {
  json_object *v = NULL;
  return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* The daemon's answer to GET …/attach-socket: 0, or FRONT_FALLBACK for any other (the Node CLI asks again and says it). */
static int read_target(http_conn *c, struct target *t) {
  char text[8192];
  size_t len = 0;
  ssize_t r;
  while ((r = http_read_body(c, text + len, sizeof text - len)) > 0) len += (size_t)r;
  if (r < 0 || c->status != 200) return FRONT_FALLBACK;
  json_object *o = front_parse_json(text, len), *v = NULL;
  int rc = FRONT_FALLBACK;
  if (o && json_object_object_get_ex(o, "name", &v) && json_object_get_string_len(v) < (int)sizeof t->name) {
    snprintf(t->name, sizeof t->name, "%s", json_object_get_string(v));
    t->tty = get_bool(o, "tty");
    t->stdin = get_bool(o, "stdin");
    t->stdin_once = get_bool(o, "stdinOnce");
    if (json_object_object_get_ex(o, "socket", &v) && json_object_get_string_len(v) < (int)sizeof t->socket) {
      snprintf(t->socket, sizeof t->socket, "%s", json_object_get_string(v));
      rc = 0;
    }
  }
  json_object_put(o);
  return rc;
}

/* Connects to the monitor's socket, through /proc/self/fd (its path may be longer than a socket
 * address holds, as engine/runtime/sessions.ts does); -1 when this client may not or cannot. */
static int connect_monitor(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path) return -1;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  cleanup_fd int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return -1;
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if ((size_t)snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1) >= sizeof a.sun_path) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  while (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
    if (errno != EINTR) return close(fd), -1;
  return fd;
}

/* The container's wait, answered: its exit code (`exitCode ?? 0`), or -1 when the daemon refused
 * or went away (said by say_why once the terminal is itself again). */
static int answer(http_conn *w) {
  if (!w->status && http_read_head(w) < 0) return -1;
  if (w->status >= 400) return -1;
  char text[8192];
  size_t len = 0;
  ssize_t r;
  while ((r = http_read_body(w, text + len, sizeof text - len)) > 0) len += (size_t)r;
  if (r < 0) return w->status = -1, -1;
  json_object *o = front_parse_json(text, len), *v = NULL;
  int code = o && json_object_object_get_ex(o, "exitCode", &v) && json_object_is_type(v, json_type_int) ? json_object_get_int(v) & 0xff : 0;
  json_object_put(o);
  return code;
}

/* Why there is no exit code, as the Node CLI says it: the daemon's error, or that it went away. */
static int say_why(http_conn *w, const char *socket) {
  return w->status >= 400 ? front_refused(w, 1) : front_unreachable(socket, ECONNRESET, 1);
}

int front_attach(int argc, char **argv, const char *socket) {
  struct attach_flags f = {0};
  int i = front_flags(argc, argv, ATTACH_FLAGS, sizeof ATTACH_FLAGS / sizeof *ATTACH_FLAGS, attach_flag, &f);
  if (i == FRONT_FALLBACK || argc - i != 1) return FRONT_FALLBACK;
  const char *name = argv[i];
  if (!front_plain_name(name)) return FRONT_FALLBACK;
  unsigned char keys[64];
  size_t n_keys;
  int proxy = sig_proxy(f.sig_proxy);
  if (!parse_keys(f.detach_keys ? f.detach_keys : "ctrl-p,ctrl-q", keys, &n_keys) || proxy < 0) return FRONT_FALLBACK;

  struct target t;
  char path[PATH_MAX];
  http_conn c;
  int err = http_connect(&c, socket);
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) return front_unreachable(socket, err, 1);
  if (err) return FRONT_FALLBACK;
  snprintf(path, sizeof path, "/v1/containers/%s/attach-socket", name);
  int rc = http_request(&c, "GET", path, NULL, NULL, 0) < 0 ? front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, 1) : read_target(&c, &t);
  http_close(&c);
  if (rc) return rc;
  const bool stdin = !f.no_stdin && t.stdin;
  /* Docker's check (cli/verbs/attach.ts checkTty): a terminal with input needs a terminal to read it from. */
  if (stdin && t.tty && !isatty(0)) return front_print_error("the input device is not a TTY"), 1;
  cleanup_fd int monitor = connect_monitor(t.socket);
  if (monitor < 0) return FRONT_FALLBACK;

  /* Its exit is waited for from the start: once it has ended, it may be gone (--rm). */
  http_conn w;
  if ((err = http_connect(&w, socket)) != 0) return front_unreachable(socket, err, 1);
  snprintf(path, sizeof path, "/v1/containers/%s/wait", t.name);
  if (http_send(&w, "GET", path, NULL, NULL, 0) < 0) return http_close(&w), front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, 1);

  if (!t.tty && proxy) {
    front_sigproxy_start(socket);
    front_sigproxy_target(t.name);
    http_interrupted = front_sigproxy_forward; /* the wait's answer read at the end */
  }
  static front_stream s;
  s = (front_stream){.monitor = monitor, .watch = w.fd, .tty = t.tty, .stdin = stdin, .stdin_once = t.stdin_once, .detach_keys = keys, .n_detach_keys = n_keys};
  if (t.tty && stdin) front_terminal_raw();
  front_stream_hand_over(&s);
  front_stream_start(&s);
  int code = -1, how;
  /* The wait answered (the container ended: its output's end follows), or the daemon went away. */
  while ((how = front_stream_pump(&s)) == STREAM_WATCHED) {
    s.watch = -1;
    if ((code = answer(&w)) < 0) break;
  }
  front_stream_release(&s);
  close(monitor);
  monitor = -1;
  front_terminal_restore();
  if (how == STREAM_DETACHED) rc = (write_all(2, "read escape sequence\n", 21), 1);
  else {
    if (how != STREAM_WATCHED && code < 0) code = answer(&w);
    rc = code >= 0 ? code : say_why(&w, socket);
  }
  http_close(&w);
  return rc;
}
