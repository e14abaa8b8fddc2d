/* See exec-serve.h. */
#define _GNU_SOURCE
#include "exec-serve.h"
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "error.h"
#include "exec-cmd.h"
#include "io.h"

#define MAX_REQUEST (1u << 20)
#define MAX_ARGS 4096

static int send_frame(int fd, int type, const void *data, uint32_t len) {
  unsigned char h[8] = {(unsigned char)type, 0, 0, 0, (unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len};
  return write_all(fd, h, sizeof h) < 0 || write_all(fd, data, len) < 0 ? -1 : 0;
}

/* The request: the arguments of `berth-run exec`, NUL-separated. NULL on a malformed one. */
static char **read_request(int conn, int *argc) {
  uint32_t len;
  if (read_full(conn, &len, sizeof len) < 0 || len == 0 || len > MAX_REQUEST) return NULL;
  char *buf = malloc(len + 1);
  if (!buf || read_full(conn, buf, len) < 0 || buf[len - 1] != '\0') return NULL;
  static char *argv[MAX_ARGS + 1];
  int n = 0;
  for (char *p = buf; p < buf + len && n < MAX_ARGS; p += strlen(p) + 1) argv[n++] = p;
  argv[n] = NULL;
  *argc = n;
  return n > 0 && strcmp(argv[0], "exec") == 0 ? argv : NULL;
}

/* One exec, in a child of the helper: cmd_exec runs in a child of its own (it joins the container's
 * cgroup and namespaces, which this process, the relay, stays out of) with its stdout and stderr on
 * pipes; their bytes go to the connection as frames, then the exit code. */
static int session(int conn) {
  int argc;
  char **argv = read_request(conn, &argc);
  if (!argv) return 2;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) return 2;
  pid_t runner = fork();
  if (runner < 0) return 2;
  if (runner == 0) {
    /* As `berth-run exec` started by the daemon: stdin /dev/null, the signals' dispositions default
     * (the exec'd process inherits ignored ones). */
    signal(SIGPIPE, SIG_DFL);
    close(conn);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(126);
    _exit(cmd_exec(argc, argv));
  }
  close(out[1]);
  close(err[1]);
  struct pollfd p[3] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}, {.fd = conn, .events = POLLIN}};
  static char buf[65536];
  int open_pipes = 2;
  bool gone = false;
  while (open_pipes > 0 && !gone) {
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || !p[i].revents) continue;
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(p[i].fd);
        p[i].fd = -1;
        open_pipes--;
      } else if (send_frame(conn, i == 0 ? EXEC_FRAME_STDOUT : EXEC_FRAME_STDERR, buf, (uint32_t)n) < 0) {
        gone = true;
      }
    }
    /* The daemon sends nothing after the request: readable means it closed (or went away). */
    if (p[2].revents) gone = true;
  }
  if (gone) kill(runner, SIGKILL);
  int status;
  while (waitpid(runner, &status, 0) < 0)
    if (errno != EINTR) return 2;
  if (gone) return 0;
  int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  char text[16];
  int n = snprintf(text, sizeof text, "%d", code);
  return send_frame(conn, EXEC_FRAME_EXIT, text, (uint32_t)n) < 0 ? 2 : 0;
}

static bool same_user(int conn) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  return getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == geteuid();
}

int exec_serve(int argc, char **argv) {
  berth_err err = {{0}};
  if (argc != 2) return fprintf(stderr, "usage: berth-run serve SOCKET\n"), 2;
  const char *path = argv[1];
  /* Ends with the daemon that started it (its stdin closes too: below). */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return berth_fail(&err, "prctl PR_SET_PDEATHSIG"), fprintf(stderr, "berth-run: %s\n", err.msg), 1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return fprintf(stderr, "berth-run: socket path '%s' is too long\n", path), 1;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return berth_fail(&err, "socket"), fprintf(stderr, "berth-run: %s\n", err.msg), 1;
  unlink(path);
  /* Its user's alone from the start (umask 077): nobody else may connect between bind and a chmod. */
  mode_t old = umask(077);
  int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old);
  if (rc < 0 || listen(fd, 128) < 0) return berth_fail(&err, "listen on '%s'", path), fprintf(stderr, "berth-run: %s\n", err.msg), 1;
  /* Sessions are reaped by the kernel; their own children are waited for by them. */
  signal(SIGCHLD, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  if (write_all(1, "ready\n", 6) < 0) return 1;
  struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) {
      char c;
      if (read(0, &c, 1) <= 0) break;
    }
    if (!(p[0].revents & POLLIN)) continue;
    int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) continue;
    if (!same_user(conn)) {
      close(conn);
      continue;
    }
    pid_t s = fork();
    if (s == 0) {
      signal(SIGCHLD, SIG_DFL);
      close(fd);
      close(0);
      _exit(session(conn));
    }
    close(conn);
  }
  unlink(path);
  return 0;
}
