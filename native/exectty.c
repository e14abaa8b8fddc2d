/* berth-exectty: the terminal of one `exec -t`. It runs the runtime's exec command, which makes a
 * pty in the container and sends its master on a console socket (runc's protocol, console.c); then
 * it serves that terminal on its own stdio with relay.c's frames (stdin: stdin data, resizes; stdout:
 * the output) until the process has ended, and exits with the process's code (128+signal).
 *
 *   berth-exectty [--detached] -- CMD ARGS...
 *       An argument @CONSOLE@ becomes the console socket's path, @PIDFILE@ a pid file's. With
 *       --detached, CMD starts the process and exits (`runc exec --detach`): the process is then
 *       re-parented to us (a subreaper) and its pid read from @PIDFILE@.
 * The sockets are made in the current directory (the container's state directory). If the client
 * goes away (stdin closes), the terminal is hung up: the process gets SIGHUP, as on a lost line. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "console.h"
#include "error.h"
#include "relay.h"

static int fail(const berth_err *err) {
  fprintf(stderr, "berth-exectty: %s\n", err->msg);
  return 126;
}

static int code_of(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char **argv) {
  berth_err err = {{0}};
  int i = 1;
  bool detached = false;
  if (i < argc && strcmp(argv[i], "--detached") == 0) detached = true, i++;
  if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
    fprintf(stderr, "usage: berth-exectty [--detached] -- CMD ARGS... (@CONSOLE@, @PIDFILE@ are replaced)\n");
    return 2;
  }
  char **cmd = argv + i + 1;
  char sock[64], pidfile[64], path[96], pidpath[96];
  snprintf(sock, sizeof sock, "exec-%d.sock", (int)getpid());
  snprintf(pidfile, sizeof pidfile, "exec-%d.pid", (int)getpid());
  snprintf(path, sizeof path, "/proc/%d/cwd/%s", (int)getpid(), sock);
  snprintf(pidpath, sizeof pidpath, "/proc/%d/cwd/%s", (int)getpid(), pidfile);
  for (char **a = cmd; *a; a++) {
    if (strcmp(*a, "@CONSOLE@") == 0) *a = path;
    else if (strcmp(*a, "@PIDFILE@") == 0) *a = pidpath;
  }
  signal(SIGPIPE, SIG_IGN);
  if (detached && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return berth_fail(&err, "prctl PR_SET_CHILD_SUBREAPER"), fail(&err);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  int listen_fd = console_listen(sock, &err);
  if (sfd < 0 || listen_fd < 0) return fail(&err);

  pid_t child = fork();
  if (child < 0) return berth_fail(&err, "fork"), unlink(sock), fail(&err);
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) _exit(127);
    execv(cmd[0], cmd);
    fprintf(stderr, "berth-exectty: exec '%s': %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  /* The terminal, or the command's end before it sent one (its error is on our stderr). */
  int master = -1, status = 0;
  bool child_done = false;
  while (master < 0 && !child_done) {
    struct pollfd p[2] = {{listen_fd, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0 && errno != EINTR) return berth_fail(&err, "poll"), unlink(sock), fail(&err);
    if (p[0].revents & POLLIN) master = console_receive(listen_fd, &err);
    if (waitpid(child, &status, WNOHANG) == child) child_done = true;
  }
  close(listen_fd);
  unlink(sock);
  if (master < 0) return child_done ? code_of(status) : fail(&err);

  /* The process whose end ends us: the command itself, or the one it left behind (--detached). */
  pid_t target = child;
  if (detached) {
    while (!child_done && waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    FILE *f = fopen(pidfile, "r");
    int pid = 0;
    if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 0 || code_of(status) != 0) {
      if (f) fclose(f);
      unlink(pidfile);
      return berth_failx(&err, "the runtime started no process (exit %d)", code_of(status)), fail(&err);
    }
    fclose(f);
    unlink(pidfile);
    target = pid;
    child_done = false;
  }
  relay r;
  relay_init(&r, -1, master, master, false);
  relay_add_client(&r, 0, 1);
  bool exited = false, output = true;
  while (!exited || output) {
    struct pollfd fds[2 + 2 + 1];
    fds[0] = (struct pollfd){output ? master : -1, POLLIN, 0};
    fds[1] = (struct pollfd){sfd, POLLIN, 0};
    size_t n_relay = relay_pollfds(&r, fds + 2, 3);
    int n = poll(fds, 2 + n_relay, exited ? 1000 : -1);
    if (n == 0) break; /* exited, and the output did not end within a second */
    if (n < 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[16384];
      ssize_t got = read(master, buf, sizeof buf);
      if (got > 0) relay_output(&r, FRAME_STDOUT, buf, (size_t)got);
      else if (got == 0 || (errno != EAGAIN && errno != EINTR)) output = false;
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      int ws;
      pid_t w;
      while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
        if (w == target) status = ws, exited = true;
    }
    relay_handle(&r, fds + 2, n_relay);
    if (r.n_clients == 0 && !exited) {
      /* The client is gone: hang the line up and wait for the process. */
      close(master);
      output = false;
      int ws;
      pid_t w;
      while ((w = waitpid(-1, &ws, 0)) > 0 || (w < 0 && errno == EINTR))
        if (w == target) status = ws, exited = true;
      break;
    }
  }
  relay_close(&r);
  return code_of(status);
}
