/* See exec-cmd.h. */
#define _GNU_SOURCE
#include "exec-cmd.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup.h"
#include "console.h"
#include "error.h"
#include "launcher-report.h"
#include "ns.h"
#include "process.h"
#include "seccomp-cache.h"
#include "spec.h"

/* exec's overrides of the config's process: argv, env additions, cwd, user. */
static int exec_overrides(spec *s, int argc, char **argv, pid_t *pid, const char **console, berth_err *err) {
  static const struct option opts[] = {{"pid", 1, 0, 'p'},  {"bundle", 1, 0, 'b'}, {"cwd", 1, 0, 'c'}, {"env", 1, 0, 'e'},
                                       {"user", 1, 0, 'u'}, {"additional-gid", 1, 0, 'g'}, {"tty", 0, 0, 't'},
                                       {"console-socket", 1, 0, 'k'}, {"seccomp-cache", 1, 0, 'S'}, {0, 0, 0, 0}};
  bool tty = false;
  const char *bundle = NULL, *cwd = NULL, *user = NULL, *seccomp_cache = NULL;
  static const char *env[256];
  static gid_t gids[64];
  size_t n_env = 0, n_gids = 0;
  int c;
  while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    if (c == 'p') *pid = atoi(optarg);
    else if (c == 'b') bundle = optarg;
    else if (c == 'c') cwd = optarg;
    else if (c == 'e' && n_env < 255) env[n_env++] = optarg;
    else if (c == 'u') user = optarg;
    else if (c == 'g' && n_gids < 64) gids[n_gids++] = (gid_t)atoi(optarg);
    else if (c == 't') tty = true;
    else if (c == 'k') *console = optarg;
    else if (c == 'S') seccomp_cache = optarg;
    else return berth_failx(err, "exec: bad option");
  }
  if (!bundle || *pid <= 0 || optind >= argc)
    return berth_failx(err, "usage: berth-run exec --pid PID --bundle DIR [--cwd DIR] [--env K=V]... [--user UID:GID] -- ARGS...");
  if (tty != (*console != NULL)) return berth_failx(err, "exec: --tty and --console-socket go together");
  if (spec_load(s, bundle, err) < 0) return -1;
  if (s->seccomp && seccomp_prepare(s->seccomp, bundle, seccomp_cache, err) < 0) return -1;
  s->args = (const char **)argv + optind;
  s->n_args = (size_t)(argc - optind);
  if (cwd) s->cwd = cwd;
  if (user) {
    unsigned uid, gid;
    int k = sscanf(user, "%u:%u", &uid, &gid);
    if (k < 1) return berth_failx(err, "exec: --user '%s' must be UID or UID:GID", user);
    s->uid = uid;
    s->gid = k == 2 ? gid : uid;
    s->additional_gids = gids;
    s->n_additional_gids = n_gids;
  }
  /* The container's environment with the exec's variables added, a same name replaced. */
  const char **merged = calloc(s->n_env + n_env + 1, sizeof *merged);
  size_t m = 0;
  for (size_t i = 0; i < s->n_env; i++) {
    size_t klen = strcspn(s->env[i], "=");
    bool replaced = false;
    for (size_t j = 0; j < n_env; j++) replaced |= strncmp(env[j], s->env[i], klen) == 0 && env[j][klen] == '=';
    if (!replaced) merged[m++] = s->env[i];
  }
  for (size_t j = 0; j < n_env; j++) merged[m++] = env[j];
  s->env = merged;
  s->n_env = m;
  s->pdeathsig = SIGKILL;
  return 0;
}

static pid_t exec_child;
static void forward(int sig) {
  if (exec_child > 0) kill(exec_child, sig);
}

int cmd_exec(int argc, char **argv) {
  berth_err err = {{0}};
  spec s;
  pid_t pid = 0;
  const char *console_path = NULL;
  if (exec_overrides(&s, argc, argv, &pid, &console_path, &err) < 0) return report(err.msg), 126;
  /* Connected on the host, before entering the container's mount namespace. */
  cleanup_fd int console = console_path ? console_connect(console_path, &err) : -1;
  if (console_path && console < 0) return report(err.msg), 126;
  if (s.cgroups_path && cgroup_join(s.cgroups_path, &err) < 0) return report(err.msg), 126;
  if (ns_enter(pid, &err) < 0) return report(err.msg), 126;
  int errp[2];
  if (pipe2(errp, O_CLOEXEC) < 0) return berth_fail(&err, "pipe"), report(err.msg), 126;
  exec_child = fork();
  if (exec_child < 0) return berth_fail(&err, "fork"), report(err.msg), 126;
  if (exec_child == 0) {
    close(errp[0]);
    /* A terminal of its own: a new session, the pty made in the container's devpts. */
    if (console >= 0 && setsid() < 0) berth_fail(&err, "setsid");
    else if (console < 0 || console_setup(console, s.uid, &err) == 0) process_exec(&s, &err);
    if (write(errp[1], err.msg, strlen(err.msg)) < 0) _exit(2);
    _exit(127);
  }
  close(errp[1]);
  if (console >= 0) close(console);
  console = -1;
  struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
  char msg[sizeof err.msg];
  read_all(errp[0], msg, sizeof msg);
  int status;
  while (waitpid(exec_child, &status, 0) < 0)
    if (errno != EINTR) return berth_fail(&err, "waitpid"), report(err.msg), 126;
  if (msg[0]) return report(msg), strstr(msg, "not found") ? 127 : 126;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
