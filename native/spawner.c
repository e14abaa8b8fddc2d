/* berth-spawner: runs commands for the daemon, so that the daemon does not fork itself.
 *
 * Why: a spawn from Node forks the daemon's whole address space (100+ MiB with hundreds of
 * containers) on its one thread — 7 to 11 ms of its time per command on this host, and a container's
 * set-up runs four (its namespace, its veth, its overlay mount, its monitor). This small process
 * is spawned once; it forks in a few hundred microseconds, on another core, and many commands run
 * at once.
 *
 * Protocol, on stdin and stdout, native byte order (the daemon is the other end on the same host):
 *   request:  u32 length, u32 id, then `length` bytes: cwd NUL file NUL arg1 NUL … argN NUL
 *             (an empty cwd: the spawner's own; the file is looked up in PATH as execvp does).
 *             An empty file is one of the spawner's builtins, named by arg1, run in a forked child
 *             of the spawner (in cwd) without a program: `mount TYPE SOURCE TARGET DATA` (mount(2))
 *             and `umount TARGET` (umount2(2); `umount TARGET detach`: MNT_DETACH). Why: mount(8)
 *             is an exec of util-linux (libmount, its libraries, a read of the mount table) for one
 *             syscall — ~1.7 ms of CPU per container's rootfs, where a fork of this process and the
 *             call cost a tenth of it. A failure exits 32, as mount(8) does, saying why on stderr.
 *             `netns ARGS…` runs berth-netns's command ARGS (netns-helper.c), exit status and
 *             stderr as the program's: two run per container started on a network and two when it
 *             is removed, and the program's exec and static start (glibc's CPU probing traps to the
 *             hypervisor here) cost ~0.5 ms of CPU more than the fork, each.
 *   response: u32 id, u32 kind (0 exited, 1 killed by a signal, 2 could not be started),
 *             u32 code (exit code, signal number, or errno), u32 stdout length, u32 stderr length,
 *             then stdout and stderr.
 * Children get /dev/null as stdin, default signal dispositions and an empty signal mask; their
 * stdout and stderr are collected (up to MAX_OUTPUT each, the rest read and dropped) and sent when
 * the child has exited and closed both. At EOF on stdin the spawner exits once its children have.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "error.h"
#include "netns-helper.h"

#define MAX_OUTPUT (16u << 20)
#define MAX_REQUEST (4u << 20)

extern char **environ;

typedef struct {
  char *data;
  uint32_t len, cap;
} buf;

typedef struct {
  pid_t pid;
  uint32_t id;
  int fd[2]; /* stdout, stderr read ends; -1 once at EOF */
  buf out[2];
  int exited;
  int status;
} child;

static child *children;
static size_t nchildren, capchildren;

static void buf_add(buf *b, const char *p, size_t n) {
  if (b->len + n > MAX_OUTPUT) n = MAX_OUTPUT - b->len;
  if (n == 0) return;
  if (b->len + n > b->cap) {
    uint32_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return; /* out of memory: the output is cut, the command's status still goes back */
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += (uint32_t)n;
}

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int reply(uint32_t id, uint32_t kind, uint32_t code, const buf *out, const buf *err) {
  uint32_t head[5] = {id, kind, code, out ? out->len : 0, err ? err->len : 0};
  if (write_all(1, head, sizeof head) < 0) return -1;
  if (out && out->len && write_all(1, out->data, out->len) < 0) return -1;
  if (err && err->len && write_all(1, err->data, err->len) < 0) return -1;
  return 0;
}

/* A builtin (argv[1] and on), in the forked child: never returns. */
__attribute__((noreturn)) static void builtin(const char *cwd, char **argv) {
  const char *what = argv[1] ? argv[1] : "";
  int rc = -1;
  if (*cwd && chdir(cwd) < 0) {
    dprintf(2, "%s: chdir '%s': %s\n", what, cwd, strerror(errno));
    _exit(32);
  }
  if (!strcmp(what, "mount") && argv[2] && argv[3] && argv[4] && argv[5] && !argv[6]) {
    rc = mount(argv[3], argv[4], argv[2], 0, argv[5]);
    if (rc < 0) dprintf(2, "mount: %s: mount %s on %s: %s\n", argv[4], argv[3], argv[4], strerror(errno));
  } else if (!strcmp(what, "umount") && argv[2] && (!argv[3] || (!strcmp(argv[3], "detach") && !argv[4]))) {
    rc = umount2(argv[2], argv[3] ? MNT_DETACH : 0);
    if (rc < 0) dprintf(2, "umount: %s: %s\n", argv[2], strerror(errno));
  } else if (!strcmp(what, "netns") && argv[2]) {
    int argc = 0;
    while (argv[1 + argc]) argc++;
    _exit(berth_netns_main(argc, argv + 1)); /* its own status: 1 with the error on stderr */
  } else {
    dprintf(2, "berth-spawner: unknown builtin or arguments: %s\n", what);
  }
  _exit(rc < 0 ? 32 : 0);
}

/* Forks a builtin's child, its stdin /dev/null, stdout and stderr the pipes' write ends. */
static int start_builtin(const char *cwd, char **argv, int out, int err, pid_t *pid) {
  *pid = fork();
  if (*pid < 0) return errno;
  if (*pid > 0) return 0;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  int null = open("/dev/null", O_RDONLY);
  if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
  builtin(cwd, argv);
}

/* Starts one request's command; a command that cannot be started is answered at once. */
static int start(uint32_t id, char *payload, uint32_t len) {
  /* cwd, file, args: NUL-terminated strings filling the payload. */
  size_t nstr = 0;
  for (uint32_t i = 0; i < len; i++) nstr += payload[i] == '\0';
  if (len == 0 || payload[len - 1] != '\0' || nstr < 2) return reply(id, 2, EINVAL, NULL, NULL);
  char **argv = calloc(nstr, sizeof *argv);
  if (!argv) return reply(id, 2, ENOMEM, NULL, NULL);
  const char *cwd = payload;
  size_t k = 0;
  for (char *p = payload + strlen(payload) + 1; p < payload + len; p += strlen(p) + 1) argv[k++] = p;
  argv[k] = NULL;

  int out[2] = {-1, -1}, err[2] = {-1, -1}, rc = 0;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    rc = errno;
    goto done;
  }
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  if (*cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  rc = argv[0][0] ? posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ) : start_builtin(cwd, argv, out[1], err[1], &pid);
  if (rc == 0) {
    if (nchildren == capchildren) {
      size_t cap = capchildren ? capchildren * 2 : 16;
      child *c = realloc(children, cap * sizeof *c);
      if (!c) abort(); /* the child runs and could never be answered: the daemon sees the spawner die */
      children = c;
      capchildren = cap;
    }
    children[nchildren++] = (child){.pid = pid, .id = id, .fd = {out[0], err[0]}};
    out[0] = err[0] = -1;
  }
done:
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
  }
  free(argv);
  return rc == 0 ? 0 : reply(id, 2, (uint32_t)rc, NULL, NULL);
}

/* Answers and forgets every child that has exited and closed its output. */
static int finish_done(void) {
  for (size_t i = 0; i < nchildren;) {
    child *c = &children[i];
    if (!c->exited || c->fd[0] >= 0 || c->fd[1] >= 0) {
      i++;
      continue;
    }
    int st = c->status;
    int r = WIFSIGNALED(st) ? reply(c->id, 1, (uint32_t)WTERMSIG(st), &c->out[0], &c->out[1]) : reply(c->id, 0, (uint32_t)WEXITSTATUS(st), &c->out[0], &c->out[1]);
    free(c->out[0].data);
    free(c->out[1].data);
    children[i] = children[--nchildren];
    if (r < 0) return -1;
  }
  return 0;
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (size_t i = 0; i < nchildren; i++) {
      if (children[i].pid == pid) {
        children[i].exited = 1;
        children[i].status = st;
      }
    }
  }
}

int main(void) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("berth-spawner: signalfd");
    return 1;
  }
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  buf in = {0};
  int open_in = 1;
  struct pollfd *pfd = NULL;
  size_t cappfd = 0;
  for (;;) {
    if (!open_in && nchildren == 0) return 0;
    size_t want = 2 + 2 * nchildren;
    if (want > cappfd) {
      cappfd = want * 2;
      pfd = realloc(pfd, cappfd * sizeof *pfd);
      if (!pfd) return 1;
    }
    size_t n = 0;
    pfd[n++] = (struct pollfd){.fd = open_in ? 0 : -1, .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    for (size_t i = 0; i < nchildren; i++)
      for (int j = 0; j < 2; j++) pfd[n++] = (struct pollfd){.fd = children[i].fd[j], .events = POLLIN};
    if (poll(pfd, n, -1) < 0) {
      if (errno == EINTR) continue;
      perror("berth-spawner: poll");
      return 1;
    }
    /* Children's output first: their slots follow stdin and the signalfd in the order above. */
    size_t slots = nchildren;
    for (size_t i = 0; i < slots; i++) {
      for (int j = 0; j < 2; j++) {
        struct pollfd *p = &pfd[2 + 2 * i + (size_t)j];
        if (p->fd < 0 || !(p->revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char tmp[65536];
        ssize_t r = read(p->fd, tmp, sizeof tmp);
        if (r > 0) {
          buf_add(&children[i].out[j], tmp, (size_t)r);
        } else if (r == 0 || errno != EINTR) {
          close(children[i].fd[j]);
          children[i].fd[j] = -1;
        }
      }
    }
    if (pfd[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      reap();
    }
    if (finish_done() < 0) return 1; /* the daemon is gone */
    if (open_in && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char tmp[65536];
      ssize_t r = read(0, tmp, sizeof tmp);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        open_in = 0;
        continue;
      }
      buf_add(&in, tmp, (size_t)r);
      uint32_t used = 0;
      while (in.len - used >= 8) {
        uint32_t len, id;
        memcpy(&len, in.data + used, 4);
        memcpy(&id, in.data + used + 4, 4);
        if (len > MAX_REQUEST) return 1;
        if (in.len - used - 8 < len) break;
        if (start(id, in.data + used + 8, len) < 0) return 1;
        used += 8 + len;
      }
      memmove(in.data, in.data + used, in.len - used);
      in.len -= used;
    }
  }
}
