#define _GNU_SOURCE
#include "relay.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#define REPLAY_MAX (256 * 1024)

void relay_init(relay *r, int listen_fd, int input, int tty, bool keep_replay) {
  memset(r, 0, sizeof *r);
  r->listen_fd = listen_fd;
  r->input = input;
  r->tty = tty;
  if (input >= 0) fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK);
  if (keep_replay) r->replay = malloc(REPLAY_MAX);
}

/* A client that stops reading is dropped after this long rather than stalling the container. */
#define STALLED_MS 5000

static int add_client(relay *r, int in, int out, bool sock) {
  if (r->n_clients == RELAY_MAX_CLIENTS) return -1;
  char *buf = malloc(FRAME_MAX + 8);
  if (!buf) return -1;
  struct timeval tv = {STALLED_MS / 1000, 0};
  setsockopt(out, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  r->clients[r->n_clients++] = (relay_client){.in = in, .out = out, .sock = sock, .received = -1, .term = -1, .buf = buf};
  return 0;
}

int relay_add_client(relay *r, int in, int out) {
  return add_client(r, in, out, false);
}

static void drop(relay *r, size_t i) {
  relay_client *c = &r->clients[i];
  /* Its terminal first: once the client sees its connection end, nothing here reads that terminal. */
  if (c->term >= 0) close(c->term);
  close(c->in);
  if (c->out != c->in) close(c->out);
  if (c->received >= 0) close(c->received);
  free(c->buf);
  r->clients[i] = r->clients[--r->n_clients];
}

/* Output onto a client's own terminal (its own open file, non-blocking): as a socket's send timeout, a
 * terminal that takes nothing for STALLED_MS fails it. */
static int write_term(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, STALLED_MS) <= 0) return -1;
      continue;
    }
    if (w <= 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

static int write_all(int fd, const char *hdr, const char *buf, size_t n) {
  struct iovec iov[2] = {{(void *)hdr, 8}, {(void *)buf, n}};
  size_t left = 8 + n;
  while (left > 0) {
    ssize_t w = writev(fd, iov, 2);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    left -= (size_t)w;
    for (int i = 0; i < 2 && w > 0; i++) {
      size_t take = (size_t)w < iov[i].iov_len ? (size_t)w : iov[i].iov_len;
      iov[i].iov_base = (char *)iov[i].iov_base + take;
      iov[i].iov_len -= take;
      w -= (ssize_t)take;
    }
  }
  return 0;
}

static void header(char *h, int type, size_t n) {
  h[0] = (char)type;
  h[1] = h[2] = h[3] = 0;
  uint32_t be = htobe32((uint32_t)n);
  memcpy(h + 4, &be, 4);
}

static int send_frame(int fd, int type, const char *buf, size_t n) {
  char h[8];
  header(h, type, n);
  return write_all(fd, h, buf, n);
}

void relay_output(relay *r, int stream, const char *buf, size_t n) {
  if (r->replay) {
    if (r->replay_len + n <= REPLAY_MAX) memcpy(r->replay + r->replay_len, buf, n), r->replay_len += n;
    else free(r->replay), r->replay = NULL;
  }
  for (size_t i = r->n_clients; i-- > 0;) {
    relay_client *c = &r->clients[i];
    if ((c->term >= 0 ? write_term(c->term, buf, n) : send_frame(c->out, stream, buf, n)) < 0) drop(r, i);
  }
}

/* Writes what the process takes now; keeps the rest in pending. */
static void feed(relay *r, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(r->input, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    if (w < 0) { /* the process closed its stdin: what is sent is dropped */
      close(r->input);
      r->input = -1;
      return;
    }
    buf += w;
    n -= (size_t)w;
  }
  if (n == 0) return;
  char *p = realloc(r->pending, r->pending_len + n);
  if (!p) return;
  memcpy(p + r->pending_len, buf, n);
  r->pending = p;
  r->pending_len += n;
}

/* Handles the complete frames a client has sent, until stdin backs up. */
static void frames(relay *r, relay_client *c) {
  size_t off = 0;
  while (r->pending_len == 0 && c->have - off >= 8) {
    const unsigned char *h = (const unsigned char *)c->buf + off;
    uint32_t len;
    memcpy(&len, h + 4, 4);
    len = be32toh(len);
    if (c->have - off < 8 + (size_t)len) break;
    const char *p = c->buf + off + 8;
    if (h[0] == FRAME_STDIN && r->input >= 0) feed(r, p, len);
    else if (h[0] == FRAME_RESIZE && len == 4 && r->tty >= 0) {
      struct winsize ws = {.ws_row = (unsigned short)((unsigned char)p[0] << 8 | (unsigned char)p[1]),
                           .ws_col = (unsigned short)((unsigned char)p[2] << 8 | (unsigned char)p[3])};
      ioctl(r->tty, TIOCSWINSZ, &ws);
    } else if (h[0] == FRAME_CLOSE_STDIN && r->input >= 0 && r->tty < 0) {
      close(r->input);
      r->input = -1;
    } else if (h[0] == FRAME_TERMINAL && c->received >= 0 && c->term < 0 && r->tty >= 0 && len <= RELAY_MAX_KEYS) {
      if (send_frame(c->out, FRAME_TERMINAL, NULL, 0) < 0) break;
      c->term = c->received;
      c->received = -1;
      fcntl(c->term, F_SETFL, fcntl(c->term, F_GETFL) | O_NONBLOCK);
      memcpy(c->keys, p, len);
      c->n_keys = len;
    } else if (h[0] == FRAME_REPLAY && r->replay) {
      if (send_frame(c->out, FRAME_STDOUT, r->replay, r->replay_len) < 0) break;
      free(r->replay);
      r->replay = NULL;
    }
    off += 8 + len;
  }
  memmove(c->buf, c->buf + off, c->have - off);
  c->have -= off;
}

size_t relay_pollfds(relay *r, struct pollfd *fds, size_t max) {
  size_t n = 0;
  if (r->listen_fd >= 0 && n < max) fds[n++] = (struct pollfd){r->listen_fd, POLLIN, 0};
  if (r->pending_len > 0 && r->input >= 0 && n < max) fds[n++] = (struct pollfd){r->input, POLLOUT, 0};
  /* While stdin backs up, clients are not read: they wait, as a full pipe makes a writer wait. */
  for (size_t i = 0; i < r->n_clients && n < max; i++) {
    fds[n++] = (struct pollfd){r->clients[i].in, r->pending_len ? 0 : POLLIN, 0};
    if (r->clients[i].term >= 0 && n < max) fds[n++] = (struct pollfd){r->clients[i].term, r->pending_len || r->input < 0 ? 0 : POLLIN, 0};
  }
  return n;
}

/* What is typed, less the detach keys (specs/streams/detach-keys.ts DetachKeyFilter: the keys of a
 * partial match held back, sent on when the next key does not continue it), into out; true once the
 * whole sequence is typed (nothing after it counts). */
static bool filter_keys(relay_client *c, const char *in, size_t n, char *out, size_t *o) {
  *o = 0;
  for (size_t k = 0; k < n; k++) {
    unsigned char b = (unsigned char)in[k];
    if (c->n_keys && b == c->keys[c->matched]) {
      if (++c->matched == c->n_keys) return true;
      continue;
    }
    for (size_t i = 0; i < c->matched; i++) out[(*o)++] = (char)c->keys[i];
    c->matched = c->n_keys && b == c->keys[0] ? 1 : 0;
    if (c->matched == 0) out[(*o)++] = (char)b;
    else if (c->n_keys == 1) return true;
  }
  return false;
}

/* What is typed on a client's terminal: fed to the process through its detach keys; false when the
 * client is done (its terminal hung up, or it detached: told so). */
static bool typed(relay *r, relay_client *c) {
  char in[4096], out[4096 + RELAY_MAX_KEYS];
  ssize_t got = read(c->term, in, sizeof in);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (got <= 0) return false;
  size_t n;
  bool detached = filter_keys(c, in, (size_t)got, out, &n);
  if (n && r->input >= 0) feed(r, out, n);
  if (detached) send_frame(c->out, FRAME_DETACHED, NULL, 0);
  return !detached;
}

/* Reads a client's frames, and an fd that comes with them (a socket's: recvmsg); as read(). */
static ssize_t receive(relay_client *c) {
  void *at = c->buf + c->have;
  size_t room = FRAME_MAX + 8 - c->have;
  if (!c->sock) return read(c->in, at, room);
  struct iovec iov = {at, room};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  ssize_t got = recvmsg(c->in, &m, MSG_CMSG_CLOEXEC);
  struct cmsghdr *h = got > 0 ? CMSG_FIRSTHDR(&m) : NULL;
  if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS && h->cmsg_len == CMSG_LEN(sizeof(int))) {
    if (c->received >= 0) close(c->received);
    memcpy(&c->received, CMSG_DATA(h), sizeof(int));
  }
  return got;
}

void relay_handle(relay *r, const struct pollfd *fds, size_t n) {
  for (size_t k = 0; k < n; k++) {
    const struct pollfd *f = &fds[k];
    if (!f->revents) continue;
    if (f->fd == r->listen_fd) {
      int c = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0 && add_client(r, c, c, true) < 0) close(c);
    } else if (f->fd == r->input && r->pending_len > 0 && (f->events & POLLOUT)) {
      char *p = r->pending;
      size_t len = r->pending_len;
      r->pending = NULL;
      r->pending_len = 0;
      feed(r, p, len);
      free(p);
      if (r->input < 0) free(r->pending), r->pending = NULL, r->pending_len = 0;
      /* Frames read meanwhile may now go on. */
      for (size_t i = 0; i < r->n_clients && r->pending_len == 0; i++) frames(r, &r->clients[i]);
    } else {
      for (size_t i = 0; i < r->n_clients; i++) {
        relay_client *c = &r->clients[i];
        if (c->term == f->fd) {
          if (!typed(r, c)) drop(r, i);
          break;
        }
        if (c->in != f->fd) continue;
        ssize_t got = receive(c);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) break;
        if (got <= 0) {
          drop(r, i);
          break;
        }
        c->have += (size_t)got;
        frames(r, c);
        /* A frame longer than the buffer can hold: the client does not speak this protocol. */
        if (c->have == FRAME_MAX + 8) drop(r, i);
        break;
      }
    }
  }
}

void relay_close(relay *r) {
  while (r->n_clients) drop(r, r->n_clients - 1);
  if (r->listen_fd >= 0) close(r->listen_fd);
  r->listen_fd = -1;
  free(r->pending);
  free(r->replay);
  r->pending = r->replay = NULL;
}
