/* berth-monitor: one per container, like conmon or containerd-shim. It starts the container through
 * an OCI runtime (`runc create` + `runc start`, as conmon does), and then outlives the daemon:
 *  - it is a child subreaper, so the container's init is re-parented to it and it can wait for it and
 *    learn its real exit status (a foreground `runc run` would also delete the container at exit);
 *  - it holds the container's stdout/stderr pipes, or the master of its terminal (--terminal), and its
 *    stdin (--stdin), writes the output to a JSON-lines log (logfile.c) and serves the streams on
 *    the attach socket of --socket-dir (relay.c), so `berth attach` works across daemon restarts;
 *  - when the container ends it writes an exit file atomically (temp + rename) with the exit
 *    code, signal, OOM kill and time, which the TypeScript side waits for (inotify or polling).
 * The parent process returns once the container runs: exit 0 and "PID MONITOR_PID\n" on stdout, or exit 1 and
 * the error on stderr. Signals are sent by the daemon through the runtime (`runc kill`). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "console.h"
#include "error.h"
#include "launcher.h"
#include "launcher-report.h"
#include "logfile.h"
#include "monitor-serve.h"
#include "mount-template.h"
#include "relay.h"

typedef struct {
  const char *id, *bundle, *runc, *runc_root, *launcher, *log, *exit_file, *pid_file, *runtime_log, *cgroup, *socket_dir, *seccomp_cache;
  off_t log_max;
  int log_files;
  bool terminal, stdin_open;
  /* --builtin-launcher: berth-run's code, linked into this program, run in the forked child. */
  bool builtin;
} options;

static int usage(void) {
  fprintf(stderr, "usage: berth-monitor --id ID --bundle DIR --runc PATH --runc-root DIR --log FILE --exit-file FILE "
                  "--pid-file FILE --runtime-log FILE [--cgroup PATH] [--log-max-size BYTES] [--log-max-files N]\n"
                  "       [--socket-dir DIR (attach.sock there)] [--terminal] [--stdin]\n"
                  "   or: berth-monitor --launcher PATH (berth-run instead of --runc/--runc-root) ...\n"
                  "   or: berth-monitor --builtin-launcher (berth-run's code, linked in: no exec) ...\n"
                  "       [--seccomp-cache DIR (the launcher's compiled seccomp filters)]\n");
  return 2;
}

static int parse(int argc, char **argv, options *o) {
  static const struct option longopts[] = {
      {"id", 1, 0, 'i'},       {"bundle", 1, 0, 'b'},   {"runc", 1, 0, 'r'},         {"runc-root", 1, 0, 'R'},
      {"log", 1, 0, 'l'},      {"exit-file", 1, 0, 'e'}, {"pid-file", 1, 0, 'p'},    {"runtime-log", 1, 0, 'L'},
      {"cgroup", 1, 0, 'c'},   {"log-max-size", 1, 0, 'm'}, {"launcher", 1, 0, 'x'}, {"builtin-launcher", 0, 0, 'B'}, {"seccomp-cache", 1, 0, 'S'},
      {"log-max-files", 1, 0, 'n'}, {"socket-dir", 1, 0, 's'}, {"terminal", 0, 0, 't'}, {"stdin", 0, 0, 'I'}, {0, 0, 0, 0}};
  memset(o, 0, sizeof *o);
  o->log_max = 10 * 1024 * 1024;
  o->log_files = 2;
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'i': o->id = optarg; break;
    case 'b': o->bundle = optarg; break;
    case 'r': o->runc = optarg; break;
    case 'R': o->runc_root = optarg; break;
    case 'l': o->log = optarg; break;
    case 'e': o->exit_file = optarg; break;
    case 'p': o->pid_file = optarg; break;
    case 'L': o->runtime_log = optarg; break;
    case 'c': o->cgroup = optarg; break;
    case 'm': o->log_max = atoll(optarg); break;
    case 'n': o->log_files = atoi(optarg); break;
    case 'x': o->launcher = optarg; break;
    case 'B': o->launcher = "berth-run", o->builtin = true; break;
    case 'S': o->seccomp_cache = optarg; break;
    case 's': o->socket_dir = optarg; break;
    case 't': o->terminal = true; break;
    case 'I': o->stdin_open = true; break;
    default: return -1;
    }
  }
  if (!o->id || !o->bundle || (!o->launcher && (!o->runc || !o->runc_root)) || !o->log || !o->exit_file || !o->pid_file || !o->runtime_log) return -1;
  if ((o->terminal || o->stdin_open) && !o->socket_dir) return -1;
  return 0;
}

/* Runs the runtime with stdin `in` (-1: /dev/null) and stdout/stderr on the given fds; returns its
 * wait status. With a console socket (console >= 0), takes the terminal the runtime sends on it
 * meanwhile (into *master). builtin: argv is the linked-in launcher's, run in the child without
 * an exec (a process start costs 10-25 ms on this kind of host; the exec was one of three per
 * container start). */
static pid_t spawn_runtime(char *const argv[], bool builtin, int in, int out, int errfd, berth_err *err) {
  pid_t pid = fork();
  if (pid < 0) return berth_fail(err, "fork '%s'", argv[0]);
  if (pid == 0) {
    /* The monitor's signal mask and ignored SIGPIPE must not reach the runtime or the container. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (in < 0) in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0) _exit(127);
    if (builtin) {
      int argc = 0;
      while (argv[argc]) argc++;
      optind = 0; /* the launcher parses its arguments with getopt anew */
      fflush(NULL);
      _exit(launcher_main(argc, (char **)argv));
    }
    execv(argv[0], argv);
    _exit(127);
  }
  /* The launcher has its own (an exec'd runtime none: close-on-exec); the monitor, which lives as
   * long as the container, need not keep the template. */
  if (launcher_mount_template >= 0) close(launcher_mount_template), launcher_mount_template = -1;
  return pid;
}

static void runtime_error(const char *path, char *out, size_t n);
static int read_pid(const char *path, berth_err *err);

/* Waits for the runtime `pid` to end, taking the terminal from the console socket meanwhile. */
static int wait_runtime(pid_t pid, char *const argv[], int console, int *master, berth_err *err) {
  int status;
  for (;;) {
    if (console >= 0 && *master < 0) {
      /* The runtime connects while it runs; it may also fail before it does. */
      struct pollfd p = {console, POLLIN, 0};
      if (poll(&p, 1, 10) > 0) {
        *master = console_receive(console, err);
        if (*master < 0) return kill(pid, SIGKILL), waitpid(pid, &status, 0), -1;
      }
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) return berth_fail(err, "waitpid '%s'", argv[0]);
      continue;
    }
    if (waitpid(pid, &status, 0) == pid) break;
    if (errno != EINTR) return berth_fail(err, "waitpid '%s'", argv[0]);
  }
  if (console >= 0 && *master < 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return berth_failx(err, "'%s' started the container without passing its terminal on the console socket", argv[0]);
  return status;
}

static int run_runtime(char *const argv[], bool builtin, int in, int out, int errfd, int console, int *master, berth_err *err) {
  pid_t pid = spawn_runtime(argv, builtin, in, out, errfd, err);
  return pid < 0 ? -1 : wait_runtime(pid, argv, console, master, err);
}

/* Reads fd to its end (at most n - 1 bytes), the terminal taken from the console socket meanwhile
 * (console >= 0 until *master is set); the bytes read, or -1. */
static ssize_t read_to_end(int fd, int console, int *master, char *buf, size_t n, berth_err *err) {
  size_t got = 0;
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {console >= 0 && *master < 0 ? console : -1, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return berth_fail(err, "poll the launcher");
    }
    if ((p[1].revents & POLLIN) && (*master = console_receive(console, err)) < 0) return -1;
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t r = read(fd, buf + got, n - 1 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return berth_fail(err, "read from the launcher");
    if (r == 0 || (got += (size_t)r) == n - 1) break;
  }
  buf[got] = 0;
  return (ssize_t)got;
}

/* Starts the container with the linked-in launcher: its init's pid, or -1 (why in err). The
 * launcher releases the init, says its pid and ends; the init's exec is waited for here (the end
 * of exec_fd, or why it failed), and the pid file written here: no wakeup of the launcher at the
 * exec and no wait for its end on the way to the report, one hand-off fewer per start. A launcher
 * that says no pid failed, or has run a sealed copy of itself (sealed.h), which does the whole
 * start the standalone way: its exit status and pid file tell. */
static int launch_builtin(const options *o, char *const argv[], int in, int out, int errfd, int console, int *master, berth_err *err) {
  int pidp[2], execp[2];
  if (pipe2(pidp, O_CLOEXEC) < 0) return berth_fail(err, "pipe");
  if (pipe2(execp, O_CLOEXEC) < 0) return close(pidp[0]), close(pidp[1]), berth_fail(err, "pipe");
  launcher_pid_fd = pidp[1], launcher_exec_fd = execp[1];
  pid_t lp = spawn_runtime(argv, true, in, out, errfd, err);
  launcher_pid_fd = launcher_exec_fd = -1;
  close(pidp[1]);
  close(execp[1]);
  char msg[sizeof err->msg], said[32];
  /* The exec's end first: the launcher has said the pid by then, or is about to (it ends next). */
  ssize_t n = lp < 0 ? -1 : read_to_end(execp[0], console, master, msg, sizeof msg, err);
  if (n >= 0) n = read_to_end(pidp[0], -1, master, said, sizeof said, err);
  close(execp[0]);
  close(pidp[0]);
  int pid = n > 0 ? atoi(said) : 0, st;
  if (lp < 0) return -1;
  if (n < 0) return kill(lp, SIGKILL), waitpid(lp, &st, 0), -1;
  if (pid > 0 && msg[0]) {
    report_at(o->runtime_log, msg);
    return berth_failx(err, "%s", msg);
  }
  if (pid > 0 && console >= 0 && *master < 0) {
    kill(pid, SIGKILL);
    return berth_failx(err, "'%s' started the container without passing its terminal on the console socket", argv[0]);
  }
  if (pid > 0) return launcher_write_pid_file(o->pid_file, pid, err) < 0 ? (kill(pid, SIGKILL), -1) : pid;
  if ((st = wait_runtime(lp, argv, console, master, err)) < 0) return -1;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    runtime_error(o->runtime_log, err->msg, sizeof err->msg);
    return -1;
  }
  return read_pid(o->pid_file, err);
}

/* The last "msg" of runc's JSON log: what it has to say about a failure. */
static void runtime_error(const char *path, char *out, size_t n) {
  snprintf(out, n, "the runtime failed (no message in '%s')", path);
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char *m = strstr(line, "\"msg\":\"");
    if (!m || !strstr(line, "\"level\":\"error\"")) continue;
    m += 7;
    size_t o = 0;
    for (; *m && o + 1 < n; m++) {
      if (*m == '\\' && m[1]) { m++; out[o++] = *m == 'n' ? ' ' : *m; continue; }
      if (*m == '"') break;
      out[o++] = *m;
    }
    out[o] = 0;
  }
  fclose(f);
}

static int read_pid(const char *path, berth_err *err) {
  FILE *f = fopen(path, "r");
  if (!f) return berth_fail(err, "open '%s'", path);
  int pid = 0;
  int n = fscanf(f, "%d", &pid);
  fclose(f);
  if (n != 1 || pid <= 0) return berth_failx(err, "read '%s': no pid in it", path);
  return pid;
}

/* OOM kills recorded by the container's memory cgroup (v1 memory.oom_control, v2 memory.events). */
static long oom_kills(const char *cgroup) {
  if (!cgroup) return 0;
  const char *files[][2] = {{"/sys/fs/cgroup/memory", "memory.oom_control"}, {"/sys/fs/cgroup", "memory.events"}};
  for (size_t i = 0; i < 2; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", files[i][0], cgroup, files[i][1]);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    char key[64];
    long v, found = 0;
    while (fscanf(f, "%63s %ld", key, &v) == 2)
      if (strcmp(key, "oom_kill") == 0) found = v;
    fclose(f);
    return found;
  }
  return 0;
}

static int write_exit(const options *o, int status, long oom_before, berth_err *err) {
  char tmp[4200], time[64], body[512];
  rfc3339nano(time, sizeof time);
  int code = 0;
  char sig[32] = "";
  if (WIFEXITED(status)) code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) {
    code = 128 + WTERMSIG(status);
    const char *abbrev = sigabbrev_np(WTERMSIG(status));
    snprintf(sig, sizeof sig, "SIG%s", abbrev ? abbrev : "UNKNOWN");
  }
  bool oom = oom_kills(o->cgroup) > oom_before;
  int n = snprintf(body, sizeof body, "{\"exitCode\":%d,%s%s%s\"oomKilled\":%s,\"finishedAt\":\"%s\"}\n", code,
                   sig[0] ? "\"signal\":\"" : "", sig, sig[0] ? "\"," : "", oom ? "true" : "false", time);
  snprintf(tmp, sizeof tmp, "%s.tmp", o->exit_file);
  cleanup_fd int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return berth_fail(err, "open '%s'", tmp);
  if (write(fd, body, (size_t)n) != n) return berth_fail(err, "write '%s'", tmp);
  /* No fsync: the rename already makes the file appear whole to every reader (the daemon dying at
   * any moment is what this guards against); after a power loss the container is gone anyway and a
   * missing exit file reads as "ended, status unknown". The fsync cost ~3 ms of every container's end. */
  if (rename(tmp, o->exit_file) < 0) return berth_fail(err, "rename '%s'", tmp);
  return 0;
}

/* Copies what is readable on fd to the log and the attached clients; returns 0 at end of file, 1 if
 * more may come, -1 on error. A terminal's master reads EIO once no process holds its slave: its end. */
static int pump(int fd, int stream, logfile *log, relay *r, berth_err *err) {
  char buf[16384];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && errno == EIO) return 0;
  if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 1 : berth_fail(err, "read %s", stream == FRAME_STDOUT ? "stdout" : "stderr");
  if (n == 0) return 0;
  relay_output(r, stream, buf, (size_t)n);
  return logfile_write(log, stream == FRAME_STDOUT ? "stdout" : "stderr", buf, (size_t)n, err) < 0 ? -1 : 1;
}

/* Creates the container through the runtime (and starts it, with runc): its pid, or -1 with the
 * reason in err. The container's output goes to out/errp (or the terminal, into *master). */
static int start_container(const options *o, int in, int out[2], int errp[2], int *master, berth_err *err) {
  /* The console socket's path is given through /proc (the state dir's path may be longer than a
   * socket address holds); the runtime connects to it before it enters the container. */
  char console_path[64];
  snprintf(console_path, sizeof console_path, "/proc/%d/cwd/console.sock", (int)getpid());
  cleanup_fd int console = o->terminal ? console_listen("console.sock", err) : -1;
  if (o->terminal && console < 0) return -1;
  /* With berth's launcher one step creates the container and execs its process; its init is cloned
   * as our child (CLONE_PARENT), so there is no `start` and nothing to delete on failure. */
  char *launch[16] = {(char *)o->launcher, "run", "--bundle", (char *)o->bundle, "--id", (char *)o->id, "--pid-file", (char *)o->pid_file,
                      "--log", (char *)o->runtime_log};
  int k = 10;
  if (o->seccomp_cache) launch[k++] = "--seccomp-cache", launch[k++] = (char *)o->seccomp_cache;
  if (o->terminal) launch[k++] = "--console-socket", launch[k++] = console_path;
  launch[k] = NULL;
  char *create[] = {(char *)o->runc, "--root", (char *)o->runc_root, "--log", (char *)o->runtime_log, "--log-format", "json",
                    "create", "--bundle", (char *)o->bundle, "--pid-file", (char *)o->pid_file, o->terminal ? "--console-socket" : (char *)o->id,
                    o->terminal ? console_path : NULL, (char *)o->id, NULL};
  if (o->builtin) {
    int pid = launch_builtin(o, launch, in, out[1], errp[1], console, master, err);
    close(out[1]);
    close(errp[1]);
    if (o->terminal) unlink("console.sock");
    return pid;
  }
  int st = run_runtime(o->launcher ? launch : create, false, in, out[1], errp[1], console, master, err);
  close(out[1]);
  close(errp[1]);
  if (o->terminal) unlink("console.sock");
  if (st < 0) return -1;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    runtime_error(o->runtime_log, err->msg, sizeof err->msg);
    return -1;
  }
  int pid = read_pid(o->pid_file, err);
  if (pid < 0 || o->launcher) return pid;
  char *start[] = {(char *)o->runc, "--root", (char *)o->runc_root, "--log", (char *)o->runtime_log, "--log-format", "json",
                   "start", (char *)o->id, NULL};
  cleanup_fd int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  st = run_runtime(start, false, -1, null, null, -1, NULL, err);
  if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    if (st >= 0) runtime_error(o->runtime_log, err->msg, sizeof err->msg);
    kill(pid, SIGKILL);
    return -1;
  }
  return pid;
}

/* How the monitor reports to whoever waits for the container to run, on `ready`: "ok PID MONITOR_PID"
 * or "error WHY" to the parent that started it (monitor_main), which says it on its stdout or
 * stderr; bare, straight onto the connection, when it was forked for a request (monitor_served). */
static const char *say_ok = "ok ", *say_error = "error ";

/* The monitor proper: runs in its own session after the parent has returned. */
static int monitor(const options *o, int ready) {
  berth_err err = {{0}};
  int out[2], errp[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) return dprintf(ready, "%spipe: %s\n", say_error, strerror(errno)), 1;
  if (o->stdin_open && !o->terminal && pipe2(in, O_CLOEXEC) < 0) return dprintf(ready, "%spipe: %s\n", say_error, strerror(errno)), 1;
  logfile log;
  if (logfile_open(&log, o->log, o->log_max, o->log_files, &err) < 0) return dprintf(ready, "%s%s\n", say_error, err.msg), 1;

  /* Children's exits arrive on a signalfd; the pipes are read without blocking. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return dprintf(ready, "%ssignalfd: %s\n", say_error, strerror(errno)), 1;

  int master = -1;
  int pid = start_container(o, in[0], out, errp, &master, &err);
  if (in[0] >= 0) close(in[0]);
  if (pid < 0) return dprintf(ready, "%s%s\n", say_error, err.msg), 1;
  long oom_before = oom_kills(o->cgroup);
  /* The attach socket exists before the daemon learns that the container runs. */
  int listen_fd = -1;
  if (o->socket_dir && (listen_fd = console_listen("attach.sock", &err)) < 0) {
    kill(pid, SIGKILL);
    return dprintf(ready, "%s%s\n", say_error, err.msg), 1;
  }
  relay clients;
  relay_init(&clients, listen_fd, o->terminal ? master : in[1], master, o->terminal || o->stdin_open);

  dprintf(ready, "%s%d %d\n", say_ok, pid, (int)getpid());
  close(ready);
  /* From here on nobody reads our own stdio. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);

  /* The output: the terminal's master, or the stdout and stderr pipes. */
  int src[2] = {o->terminal ? master : out[0], o->terminal ? -1 : errp[0]};
  if (o->terminal) close(out[0]), close(errp[0]);
  int open_streams = o->terminal ? 1 : 2;
  for (int i = 0; i < 2; i++) if (src[i] >= 0) fcntl(src[i], F_SETFL, fcntl(src[i], F_GETFL) | O_NONBLOCK);
  int status = 0;
  bool exited = false;
  /* Until init has exited and every stream is at end of file (or a second has passed since the
   * exit: a process that escaped the pid namespace's end cannot keep us forever). */
  while (!exited || open_streams > 0) {
    struct pollfd fds[3 + RELAY_MAX_FDS];
    fds[0] = (struct pollfd){src[0], POLLIN, 0};
    fds[1] = (struct pollfd){src[1], POLLIN, 0};
    fds[2] = (struct pollfd){sfd, POLLIN, 0};
    size_t n_relay = relay_pollfds(&clients, fds + 3, RELAY_MAX_FDS);
    int n = poll(fds, 3 + n_relay, exited ? 1000 : -1);
    if (n < 0 && errno != EINTR) break;
    if (n == 0 && exited) break;
    if (n <= 0) continue;
    for (int i = 0; i < 2; i++) {
      if (src[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int r = pump(src[i], i == 0 ? FRAME_STDOUT : FRAME_STDERR, &log, &clients, &err);
      if (r <= 0) {
        /* The terminal's master stays open for resizes until the end. */
        if (src[i] != master) close(src[i]);
        src[i] = -1;
        open_streams--;
      }
    }
    if (fds[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      int ws;
      pid_t w;
      while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
        if (w == pid) {
          status = ws;
          exited = true;
        }
      }
    }
    relay_handle(&clients, fds + 3, n_relay);
  }
  if (write_exit(o, status, oom_before, &err) < 0) return 1;
  /* The attached clients see the end of their stream once the exit is recorded. */
  if (o->socket_dir) unlink("attach.sock");
  relay_close(&clients);
  return 0;
}

/* The monitor in its own session, a subreaper, in its state directory; reports on `ready`. */
static int monitor_session(const options *o, int ready) {
  setsid();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    dprintf(ready, "%sprctl PR_SET_CHILD_SUBREAPER: %s\n", say_error, strerror(errno));
    return 1;
  }
  /* The monitor must not keep the daemon's cwd (a mount point) busy; its sockets are in its state
   * directory, named relative to it (a socket's address holds 108 bytes, the path may be longer). */
  if (chdir(o->socket_dir ? o->socket_dir : "/") < 0) {
    dprintf(ready, "%schdir '%s': %s\n", say_error, o->socket_dir, strerror(errno));
    return 1;
  }
  return monitor(o, ready);
}

static int monitor_main(int argc, char **argv) {
  options o;
  if (parse(argc, argv, &o) < 0) return usage();
  signal(SIGPIPE, SIG_IGN);
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) {
    perror("berth-monitor: pipe");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("berth-monitor: fork");
    return 1;
  }
  if (child > 0) {
    close(ready[1]);
    char msg[4096];
    size_t got = 0;
    ssize_t n;
    while (got + 1 < sizeof msg && (n = read(ready[0], msg + got, sizeof msg - 1 - got)) > 0) got += (size_t)n;
    msg[got] = 0;
    if (strncmp(msg, "ok ", 3) == 0) {
      printf("%s", msg + 3);
      return 0;
    }
    fprintf(stderr, "%s", strncmp(msg, "error ", 6) == 0 ? msg + 6 : "the monitor ended before the container started\n");
    return 1;
  }
  close(ready[0]);
  return monitor_session(&o, ready[1]);
}

/* Forked by the server for a request, its stdout and stderr the connection (monitor-serve.c): it is
 * the monitor itself, no parent in between to fork, wait for and relay what it reports (one process
 * and one hand-off fewer per start). It reports as that parent would; a monitor that ends before
 * it has, the daemon sees as the connection closed on nothing. */
static int monitor_served(int argc, char **argv) {
  options o;
  if (parse(argc, argv, &o) < 0) return usage();
  signal(SIGPIPE, SIG_IGN);
  say_ok = say_error = "";
  return monitor_session(&o, STDOUT_FILENO);
}

int main(int argc, char **argv) {
  /* The builtin launcher re-executing itself from a sealed copy of this program (sealed.h). */
  if (argc > 1 && strcmp(argv[1], "run") == 0) return launcher_main(argc, argv);
  if (argc == 4 && strcmp(argv[1], "--serve") == 0) {
    /* Made once, here, and inherited by every monitor forked and its launcher (mount-template.h).
     * Without it the containers' namespaces are copied from this one, as before: slower, not weaker. */
    berth_err err = {{0}};
    launcher_mount_template = mount_template_make(&err);
    if (launcher_mount_template < 0) fprintf(stderr, "berth-monitor: %s; containers' mount namespaces are copied from the daemon's\n", err.msg);
    return monitor_serve(argv, monitor_served);
  }
  return monitor_main(argc, argv);
}
