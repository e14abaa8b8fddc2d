/* berth-run: berth's OCI launcher. It runs the bundles runc runs, for what berth supports of the
 * runtime spec, with runc's semantics — in one process and one clone, which is why it is faster.
 *
 *   berth-run run --bundle DIR --id ID --pid-file FILE [--log FILE] [--console-socket PATH] [--seccomp-cache DIR]
 *       creates the container and execs its process; exits 0 once the process runs (its pid in
 *       FILE). The init is cloned with CLONE_PARENT: it is the child of whoever started berth-run
 *       (berth-monitor, a subreaper, which waits for it and records its exit). With process.terminal
 *       the init makes a pty in the container and sends its master on --console-socket (runc's way).
 *   berth-run exec --pid PID --bundle DIR [--cwd DIR] [--env K=V]... [--user UID:GID]
 *                  [--additional-gid GID]... [--tty --console-socket PATH] [--seccomp-cache DIR] -- ARGS...
 *       runs ARGS in the container of init PID (its namespaces and cgroup, the config's
 *       capabilities and limits); exits with the process's code (128+signal when killed).
 *   berth-run serve SOCKET
 *       the daemon's exec helper (exec-serve.h): the same exec, asked for over SOCKET.
 * Errors: one JSON line {"level":"error","msg":...} in --log (as runc writes them), else stderr. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup.h"
#include "console.h"
#include "launcher.h"
#include "error.h"
#include "exec-cmd.h"
#include "exec-serve.h"
#include "launcher-report.h"
#include "mounts.h"
#include "ns.h"
#include "process.h"
#include "sealed.h"
#include "seccomp-cache.h"
#include "spec.h"

int launcher_pid_fd = -1, launcher_exec_fd = -1, launcher_mount_template = -1;

static pid_t clone_child(unsigned long flags) {
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Blocks until the parent has done its part (one byte): placed the init in its cgroup, written its
 * ID mappings; EOF means it gave up. */
static int wait_for_parent(int fd, const char *what, berth_err *err) {
  char c;
  ssize_t n;
  while ((n = read(fd, &c, 1)) < 0 && errno == EINTR) {
  }
  close(fd);
  return n == 1 ? 0 : berth_failx(err, "the launcher did not %s", what);
}

/* In a new user namespace, once the parent has mapped it: the init becomes the namespace's root
 * (its host ids are the mapped ones from now on). */
static int become_root(berth_err *err) {
  if (setresgid(0, 0, 0) < 0) return berth_fail(err, "setgid 0 in the user namespace");
  if (setresuid(0, 0, 0) < 0) return berth_fail(err, "setuid 0 in the user namespace");
  return 0;
}

/* The container's init, in its new namespaces, up to the exec. On v1 it moves itself into its cgroup
 * first (tasks); on v2 it waits for the launcher to have moved it. In a user namespace it waits for
 * its mappings (and its cgroup) before anything. Its cgroup namespace (if any) is made only once it
 * is inside its cgroup, so that cgroup is its root. */
static int init_setup(const spec *s, int gofd, const int *tasks, size_t n_tasks, bool cgroupns, int template_fd, berth_err *err) {
  bool userns = spec_has_ns(s, CLONE_NEWUSER);
  rootfs_fds fds;
  if (userns && wait_for_parent(gofd, "map the user namespace", err) < 0) return -1;
  if (rootfs_open(s, &fds, template_fd, err) < 0 || (userns && become_root(err) < 0)) return -1;
  if (n_tasks && cgroup_enter_self(tasks, n_tasks, err) < 0) return -1;
  if (setsid() < 0) return berth_fail(err, "setsid");
  if (spec_has_ns(s, CLONE_NEWUTS) && s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
    return berth_fail(err, "sethostname '%s'", s->hostname);
  if (spec_has_ns(s, CLONE_NEWUTS) && s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return berth_fail(err, "setdomainname '%s'", s->domainname);
  if (!spec_has_ns(s, CLONE_NEWNS)) return berth_failx(err, "config.json: linux.namespaces must have a mount namespace");
  if (rootfs_setup(s, &fds, err) < 0) return -1;
  if (!n_tasks && !userns && wait_for_parent(gofd, "place the init in its cgroup", err) < 0) return -1;
  if (cgroupns && unshare(CLONE_NEWCGROUP) < 0) return berth_fail(err, "unshare the cgroup namespace");
  return 0;
}

/* Never returns: execs the container's process (on a terminal of its own when console >= 0), or
 * reports why not on errfd. */
static void init_child(const spec *s, int errfd, int gofd, const int *tasks, size_t n_tasks, bool cgroupns, int template_fd, int console) {
  berth_err err = {{0}};
  if (init_setup(s, gofd, tasks, n_tasks, cgroupns, template_fd, &err) == 0 && (console < 0 || console_setup(console, s->uid, &err) == 0)) process_exec(s, &err);
  if (write(errfd, err.msg, strlen(err.msg)) < 0) _exit(2);
  _exit(1);
}

/* /proc/<pid>/uid_map or gid_map, from the config's mappings. */
static int write_idmap(pid_t pid, const char *file, const spec_idmap *m, size_t n, berth_err *err) {
  char path[64], body[8 * 40] = "";
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  size_t len = 0;
  for (size_t i = 0; i < n; i++) len += (size_t)snprintf(body + len, sizeof body - len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, body, len) != (ssize_t)len) return berth_fail(err, "write '%s'", path);
  return 0;
}

int launcher_write_pid_file(const char *path, pid_t pid, berth_err *err) {
  char tmp[PATH_MAX], body[24];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int n = snprintf(body, sizeof body, "%d", (int)pid);
  cleanup_fd int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return berth_fail(err, "open '%s'", tmp);
  if (write(fd, body, (size_t)n) != n) return berth_fail(err, "write '%s'", tmp);
  if (rename(tmp, path) < 0) return berth_fail(err, "rename '%s'", tmp);
  return 0;
}

static int cmd_run(int argc, char **argv) {
  static const struct option opts[] = {{"bundle", 1, 0, 'b'},         {"id", 1, 0, 'i'},            {"pid-file", 1, 0, 'p'}, {"log", 1, 0, 'l'},
                                       {"console-socket", 1, 0, 'k'}, {"seccomp-cache", 1, 0, 'S'}, {0, 0, 0, 0}};
  const char *bundle = NULL, *id = NULL, *pid_file = NULL, *console_path = NULL, *seccomp_cache = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'b') bundle = optarg;
    else if (c == 'i') id = optarg;
    else if (c == 'p') pid_file = optarg;
    else if (c == 'l') report_to(optarg);
    else if (c == 'k') console_path = optarg;
    else if (c == 'S') seccomp_cache = optarg;
    else return 2;
  }
  if (!bundle || !id || !pid_file) return fprintf(stderr, "usage: berth-run run --bundle DIR --id ID --pid-file FILE [--log FILE]\n"), 2;
  berth_err err = {{0}};
  spec s;
  if (spec_load(&s, bundle, &err) < 0 || (s.seccomp && seccomp_prepare(s.seccomp, bundle, seccomp_cache, &err) < 0)) return report(err.msg);
  if (s.terminal && !console_path) return report("config.json: process.terminal needs --console-socket (where the terminal's master goes)");
  /* Connected on the host, used by the init once inside the container. */
  cleanup_fd int console = s.terminal ? console_connect(console_path, &err) : -1;
  if (s.terminal && console < 0) return report(err.msg);
  /* The sealed copy matters when container processes can see this one: a joined pid namespace (or
   * none). In a new one, the init is alone until it has exec'd the container's process. */
  bool new_pid_ns = false;
  for (size_t i = 0; i < s.n_namespaces; i++) new_pid_ns |= s.namespaces[i].flag == CLONE_NEWPID && !s.namespaces[i].path;
  if (!new_pid_ns && sealed_reexec(argv - 1, &err) < 0) return report(err.msg);
  char default_cgroup[PATH_MAX];
  snprintf(default_cgroup, sizeof default_cgroup, "/berth/%s", id);
  const char *cgroup = s.cgroups_path ? s.cgroups_path : default_cgroup;
  if (cgroup_setup(&s, cgroup, &err) < 0) return report(err.msg);
  /* v1: the init moves itself in (no grace period); v2: the launcher moves it while it sets up. */
  int tasks[8];
  int n_tasks = cgroup_open_tasks(cgroup, tasks, 8, &err);
  if (n_tasks < 0) return report(err.msg);
  if (ns_join_paths(&s, &err) < 0) return report(err.msg);
  /* The init's word on its exec goes to the monitor straight, when it waits for it (launcher.h). */
  int ready = launcher_pid_fd;
  int errp[2] = {-1, launcher_exec_fd}, gop[2];
  if ((ready < 0 && pipe2(errp, O_CLOEXEC) < 0) || pipe2(gop, O_CLOEXEC) < 0) return berth_fail(&err, "pipe"), report(err.msg);
  int flags = ns_clone_flags(&s);
  /* A new mount namespace is copied from the template (mount-template.h), not from this one: the
   * init is cloned into this namespace and moves itself (rootfs_open). Not in a new user namespace:
   * the init, once in it, has no right to join the template (the host's), and the copies it would
   * make of its mounts there would be locked; nor for a mount namespace joined by path (no clone
   * of one), nor for mounts that name paths of this namespace (rootfs_fits_template). Those copy
   * this namespace, as before. */
  int template_fd = (flags & CLONE_NEWNS) && !(flags & CLONE_NEWUSER) && rootfs_fits_template(&s) ? launcher_mount_template : -1;
  if (template_fd >= 0) flags &= ~CLONE_NEWNS;
  pid_t pid = clone_child((unsigned long)(flags & ~CLONE_NEWCGROUP) | CLONE_PARENT);
  if (pid < 0) return berth_fail(&err, "clone the container's init"), report(err.msg);
  if (pid == 0) {
    if (errp[0] >= 0) close(errp[0]);
    close(gop[1]);
    init_child(&s, errp[1], gop[0], tasks, (size_t)n_tasks, flags & CLONE_NEWCGROUP, template_fd, console);
  }
  close(errp[1]);
  close(gop[0]);
  for (int i = 0; i < n_tasks; i++) close(tasks[i]);
  bool userns = flags & CLONE_NEWUSER;
  if (userns && (write_idmap(pid, "uid_map", s.uid_maps, s.n_uid_maps, &err) < 0 || write_idmap(pid, "gid_map", s.gid_maps, s.n_gid_maps, &err) < 0))
    return kill(pid, SIGKILL), report(err.msg);
  /* v2: the init sets up its rootfs meanwhile; it execs only after the byte that says it is in its
   * cgroup. In a user namespace it waits for that byte before anything. */
  if (n_tasks == 0 && cgroup_enter(cgroup, pid, &err) < 0) return kill(pid, SIGKILL), report(err.msg);
  if ((userns || n_tasks == 0) && write(gop[1], "g", 1) != 1) return berth_fail(&err, "release the init"), kill(pid, SIGKILL), report(err.msg);
  close(gop[1]);
  /* The monitor takes it from here: the init's exec, the pid file. */
  if (ready >= 0) return dprintf(ready, "%d", (int)pid) < 0 ? (berth_fail(&err, "tell the monitor"), kill(pid, SIGKILL), report(err.msg)) : 0;
  char msg[sizeof err.msg];
  read_all(errp[0], msg, sizeof msg);
  if (msg[0]) return report(msg);
  if (launcher_write_pid_file(pid_file, pid, &err) < 0) {
    kill(pid, SIGKILL);
    return report(err.msg);
  }
  return 0;
}

int launcher_main(int argc, char **argv) {
  berth_err err = {{0}};
  if (argc < 2) return fprintf(stderr, "usage: berth-run run|exec|serve ...\n"), 2;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return perror("berth-run: prctl PR_SET_DUMPABLE"), 1;
  if (strcmp(argv[1], "run") == 0) return cmd_run(argc - 1, argv + 1);
  if (sealed_reexec(argv, &err) < 0) return fprintf(stderr, "berth-run: %s\n", err.msg), 1;
  if (strcmp(argv[1], "exec") == 0) return cmd_exec(argc - 1, argv + 1);
  if (strcmp(argv[1], "serve") == 0) return exec_serve(argc - 1, argv + 1);
  return fprintf(stderr, "berth-run: unknown command '%s' (run, exec, serve)\n", argv[1]), 2;
}
