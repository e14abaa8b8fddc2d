/* See monitor-serve.h. Request: the monitor's arguments, each ended by a NUL, the list ended by an
 * empty one. Reply: what the monitor writes on its stdout and stderr ("PID MONITOR_PID" when the
 * container started, else why not), then end of stream. */
#define _GNU_SOURCE
#include "monitor-serve.h"
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_REQUEST 65536
#define MAX_ARGS 256

/* The request on fd, split into argv (argv[0] is the program's name); -1 when it is not a whole one. */
static int read_request(int fd, char *buf, char **argv) {
  size_t got = 0;
  int argc = 1;
  argv[0] = "berth-monitor";
  for (;;) {
    ssize_t n = read(fd, buf + got, MAX_REQUEST - got);
    if (n <= 0) return -1;
    size_t start = got;
    got += (size_t)n;
    /* A request ends with an empty argument: two NULs in a row (or one NUL first of all). */
    for (size_t i = start; i < got; i++) {
      if (buf[i] != 0) continue;
      if (i == 0 || buf[i - 1] == 0) {
        /* Split the arguments before the end. */
        for (size_t j = 0, a = 0; j < i; j++) {
          if (buf[j] != 0) continue;
          if (argc >= MAX_ARGS - 1) return -1;
          argv[argc++] = buf + a;
          a = j + 1;
        }
        argv[argc] = NULL;
        return argc;
      }
    }
    if (got == MAX_REQUEST) return -1;
  }
}

/* The monitor's arguments as its command line (/proc/PID/cmdline), where the daemon looks for a
 * container's monitor after a crash (engine/runtime/meta-recovery.ts): written over this program's
 * own arguments, which the daemon made long enough with a padding argument (setproctitle's way: the
 * kernel reads the command line from the memory of the original one). False when they do not fit. */
static bool set_cmdline(char *area, size_t room, const char *self, char **argv) {
  size_t need = strlen(self) + 1;
  for (int i = 1; argv[i]; i++) need += strlen(argv[i]) + 1;
  if (need > room) return false;
  memset(area, 0, room);
  char *p = stpcpy(area, self) + 1;
  for (int i = 1; argv[i]; i++) p = stpcpy(p, argv[i]) + 1;
  return true;
}

int monitor_serve(char **own, int (*monitor_main)(int, char **)) {
  const char *path = own[2];
  /* Our own arguments' memory, contiguous: the room for each monitor's command line. */
  char *area = own[0], *end = own[3] + strlen(own[3]) + 1;
  char self[PATH_MAX];
  snprintf(self, sizeof self, "%s", own[0]);
  /* Ends with the daemon that started it: the containers' monitors are its children only until they
   * have reported (each then lives on, reparented, as a spawned one would). */
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent) return 1;
  /* Reporting monitors end at once; nothing waits for them. */
  struct sigaction sa = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return fprintf(stderr, "berth-monitor: socket path too long: %s\n", path), 2;
  strcpy(addr.sun_path, path);
  int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink(path);
  mode_t old = umask(077); /* root's only: a request starts a container */
  int bound = ls >= 0 ? bind(ls, (struct sockaddr *)&addr, sizeof addr) : -1;
  umask(old);
  if (bound < 0 || listen(ls, 64) < 0) return perror("berth-monitor: listen"), 1;
  /* The daemon reads this line to know the socket is there. */
  printf("ready\n");
  fflush(stdout);
  static char buf[MAX_REQUEST];
  char *argv[MAX_ARGS];
  for (;;) {
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return perror("berth-monitor: accept"), 1;
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int argc = read_request(c, buf, argv);
    pid_t pid = argc < 0 ? -1 : fork();
    if (pid == 0) {
      /* As if spawned: default signals, no pdeathsig (fork clears it), the reply on stdout/stderr. */
      close(ls);
      struct sigaction dfl = {.sa_handler = SIG_DFL};
      sigaction(SIGCHLD, &dfl, NULL);
      signal(SIGPIPE, SIG_DFL);
      if (dup2(c, 1) < 0 || dup2(c, 2) < 0) _exit(1);
      close(c);
      if (!set_cmdline(area, (size_t)(end - area), self, argv)) {
        /* Too long to show: the monitor program itself, which has them as its command line. */
        argv[0] = self;
        execv(self, argv);
        _exit(127);
      }
      optind = 0;
      exit(monitor_main(argc, argv));
    }
    if (pid < 0) dprintf(c, "berth-monitor: %s\n", argc < 0 ? "bad request" : strerror(errno));
    close(c);
  }
}
