/* The client side of an attached session in the native front (`attach`), spoken straight to the
 * container's monitor (native/relay.h's frames) — what cli/streams.ts does through the daemon: this
 * terminal raw while attached (libuv's raw mode, as the Node CLI's setRawMode, so the screen shows
 * the same bytes), restored on every way out (the end, the detach keys, the daemon gone, a signal),
 * its size sent at the start and on each SIGWINCH, typed input through the detach keys, and the
 * output written out as it comes. On a terminal, the terminal itself is handed to the monitor
 * (relay.h's FRAME_TERMINAL), which then reads the keys and writes the output there: a key typed
 * wakes one relay, not two, and this client only waits for the end, the detach, a signal or the
 * daemon's answer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "cli-sigproxy.h"
#include "cli-attach-stream.h"
#include "error.h"
#include "io.h"

enum { FRAME_STDIN = 0, FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_RESIZE = 3, FRAME_CLOSE_STDIN = 4, FRAME_TERMINAL = 6, FRAME_DETACHED = 7 };
#define FRAME_MAX 65536

static struct termios saved;
static volatile sig_atomic_t raw_on, winched;

void front_terminal_restore(void) {
  if (!raw_on) return;
  raw_on = 0;
  /* As libuv's uv_tty_set_mode(UV_TTY_MODE_NORMAL): what was there before, once output has drained. */
  tcsetattr(0, TCSADRAIN, &saved);
}

/* A signal that ends the client: the terminal restored first. TERM and HUP end it as the Node CLI's
 * streams.ts does (exit 143, 129); the others as their default does, after the restore. */
static void on_fatal(int sig) {
  front_terminal_restore();
  if (sig == SIGTERM || sig == SIGHUP) _exit(128 + (sig == SIGHUP ? 1 : 15));
  signal(sig, SIG_DFL);
  raise(sig);
}

static void on_fatal_signals(const int *sigs, size_t n) {
  struct sigaction fatal = {.sa_handler = on_fatal};
  sigfillset(&fatal.sa_mask);
  for (size_t k = 0; k < n; k++) sigaction(sigs[k], &fatal, NULL);
}

static void on_winch(int sig) {
  (void)sig;
  winched = 1;
}

bool front_terminal_raw(void) {
  if (!isatty(0) || tcgetattr(0, &saved) < 0) return false;
  on_fatal_signals((const int[]){SIGINT, SIGQUIT, SIGTERM, SIGHUP}, 4);
  /* libuv's raw mode (UV_TTY_MODE_RAW), which the Node CLI sets: output processing kept (ONLCR). */
  struct termios t = saved;
  t.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
  t.c_oflag |= ONLCR;
  t.c_cflag |= CS8;
  t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  raw_on = 1;
  if (tcsetattr(0, TCSADRAIN, &t) < 0) return raw_on = 0, false;
  return true;
}

static int send_frame(int fd, int type, const char *payload, size_t n) {
  char buf[8 + 4096];
  if (n > sizeof buf - 8) return -1;
  uint32_t be = htobe32((uint32_t)n);
  buf[0] = (char)type;
  buf[1] = buf[2] = buf[3] = 0;
  memcpy(buf + 4, &be, 4);
  if (n) memcpy(buf + 8, payload, n);
  for (size_t off = 0; off < 8 + n;) {
    ssize_t w = send(fd, buf + off, 8 + n - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    off += (size_t)w;
  }
  return 0;
}

/* This terminal's size (stdout's, as process.stdout.rows/columns), when it has one. */
static void send_size(front_stream *s) {
  struct winsize ws;
  if (!s->tty || ioctl(1, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col) return;
  char p[4] = {(char)(ws.ws_row >> 8), (char)ws.ws_row, (char)(ws.ws_col >> 8), (char)ws.ws_col};
  send_frame(s->monitor, FRAME_RESIZE, p, 4);
}

void front_stream_start(front_stream *s) {
  if (!s->tty) return;
  /* A signal from elsewhere ends the attach (^C here is a key typed to the container), as streams.ts's. */
  on_fatal_signals((const int[]){SIGTERM, SIGHUP}, 2);
  if (!isatty(1)) return;
  struct sigaction sa = {.sa_handler = on_winch}; /* no SA_RESTART: poll is interrupted to send it */
  sigaction(SIGWINCH, &sa, NULL);
  send_size(s);
}

/* What is typed, less the detach keys (specs/streams/detach-keys.ts DetachKeyFilter: the keys of a
 * partial match held back, sent on when the next key does not continue it); into out, its length.
 * *detached once the whole sequence is typed (nothing after it counts). */
static size_t filter_keys(front_stream *s, const char *in, size_t n, char *out, bool *detached) {
  size_t o = 0;
  *detached = false;
  if (!s->tty || s->n_detach_keys == 0) return memcpy(out, in, n), n;
  for (size_t k = 0; k < n; k++) {
    unsigned char b = (unsigned char)in[k];
    if (b == s->detach_keys[s->matched]) {
      if (++s->matched == s->n_detach_keys) return *detached = true, o;
      continue;
    }
    for (size_t i = 0; i < s->matched; i++) out[o++] = (char)s->detach_keys[i];
    s->matched = b == s->detach_keys[0] ? 1 : 0;
    if (s->matched == 0) out[o++] = (char)b;
    else if (s->n_detach_keys == 1) return *detached = true, o;
  }
  return o;
}

/* The monitor's frames read so far handled (output written out): STREAM_GOING, or how the session
 * ends (its end, or the detach keys typed on a terminal the monitor holds). */
static int output(front_stream *s) {
  ssize_t r = read(s->monitor, s->buf + s->have, sizeof s->buf - s->have);
  if (r < 0) return errno == EINTR || errno == EAGAIN ? STREAM_GOING : STREAM_ENDED;
  if (r == 0) return STREAM_ENDED;
  s->have += (size_t)r;
  size_t at = 0;
  while (s->have - at >= 8) {
    const unsigned char *h = (const unsigned char *)s->buf + at;
    size_t len = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
    if (len > FRAME_MAX) return STREAM_ENDED;
    if (s->have - at < 8 + len) break;
    if (h[0] == FRAME_STDOUT || h[0] == FRAME_STDERR) write_all(h[0] == FRAME_STDERR && !s->tty ? 2 : 1, h + 8, len);
    else if (h[0] == FRAME_DETACHED) return STREAM_DETACHED;
    else if (h[0] == FRAME_TERMINAL) s->handed = true, s->stdin = false; /* the monitor reads the terminal now */
    at += 8 + len;
  }
  memmove(s->buf, s->buf + at, s->have - at);
  s->have -= at;
  return STREAM_GOING;
}

/* The terminal (stdin and stdout, one terminal) as a file of its own, which the monitor may make
 * non-blocking without touching the one this client shares with its shell; -1 when there is none. */
static int own_terminal(void) {
  struct stat in, out;
  const char *name = ttyname(0);
  if (!name || !isatty(1) || fstat(0, &in) < 0 || fstat(1, &out) < 0 || in.st_rdev != out.st_rdev) return -1;
  return open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

void front_stream_hand_over(front_stream *s) {
  if (!s->tty || !s->stdin || s->n_detach_keys > 16) return;
  cleanup_fd int term = own_terminal();
  if (term < 0) return;
  char frame[8 + 16] = {FRAME_TERMINAL, 0, 0, 0, 0, 0, 0, (char)s->n_detach_keys};
  memcpy(frame + 8, s->detach_keys, s->n_detach_keys);
  struct iovec iov = {frame, 8 + s->n_detach_keys};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl = {0};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(h), &term, sizeof(int));
  ssize_t w;
  while ((w = sendmsg(s->monitor, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (w != (ssize_t)iov.iov_len) return;
  /* Its answer, before anything typed is read here (the output meanwhile written out). A monitor
   * older than the hand-over ignores it: after a second, this client relays as before (and still
   * stops reading when a late answer comes). */
  for (struct pollfd p = {s->monitor, POLLIN, 0}; !s->handed;) {
    int n = poll(&p, 1, 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || output(s) != STREAM_GOING) break;
  }
}

void front_stream_release(front_stream *s) {
  if (!s->handed) return;
  /* The monitor closes its copy of the terminal before its end of the connection (relay.c drop). */
  shutdown(s->monitor, SHUT_WR);
  char sink[4096];
  for (;;) {
    ssize_t r = read(s->monitor, sink, sizeof sink);
    if (r > 0 || (r < 0 && errno == EINTR)) continue;
    break;
  }
}

/* What is typed sent on: STREAM_GOING, or how the session ends. */
static int input(front_stream *s) {
  char in[4096], out[4096];
  ssize_t r = read(0, in, sizeof in);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return STREAM_GOING;
  if (r <= 0) {
    /* The end of input: it closes the process's stdin when the container says so (stdinOnce, no
     * terminal) and the output goes on; otherwise it ends the attach (server/streams/hijack.ts). */
    s->stdin = false;
    if (!s->tty && s->stdin_once) return send_frame(s->monitor, FRAME_CLOSE_STDIN, NULL, 0) < 0 ? STREAM_ENDED : STREAM_GOING;
    return STREAM_ENDED;
  }
  bool detached;
  size_t n = filter_keys(s, in, (size_t)r, out, &detached);
  if (n && send_frame(s->monitor, FRAME_STDIN, out, n) < 0) return STREAM_ENDED;
  return detached ? STREAM_DETACHED : STREAM_GOING;
}

int front_stream_pump(front_stream *s) {
  for (;;) {
    if (winched) winched = 0, send_size(s);
    front_sigproxy_forward();
    struct pollfd fds[3] = {{s->monitor, POLLIN, 0}, {s->stdin ? 0 : -1, POLLIN, 0}, {s->watch, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return STREAM_ENDED;
    }
    if (fds[0].revents) {
      int how = output(s);
      if (how != STREAM_GOING) return how;
    }
    if (fds[1].revents) {
      int how = input(s);
      if (how != STREAM_GOING) return how;
    }
    if (fds[2].revents) return STREAM_WATCHED;
  }
}
