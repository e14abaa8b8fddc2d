#define _GNU_SOURCE
#include "process.h"
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "caps.h"
#include "seccomp-cache.h"

static int rlimits(const spec *s, berth_err *err) {
  for (size_t i = 0; i < s->n_rlimits; i++) {
    struct rlimit r = {(rlim_t)s->rlimits[i].soft, (rlim_t)s->rlimits[i].hard};
    /* Raising a hard limit needs CAP_SYS_RESOURCE, which this host may not have: say so. */
    if (setrlimit(s->rlimits[i].resource, &r) < 0)
      return berth_fail(err, "setrlimit %d to %llu/%llu (raising a hard limit needs CAP_SYS_RESOURCE)", s->rlimits[i].resource,
                        (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
  }
  return 0;
}

static int user(const spec *s, berth_err *err) {
  if (setgroups(s->n_additional_gids, s->additional_gids) < 0) return berth_fail(err, "setgroups");
  if (setresgid(s->gid, s->gid, s->gid) < 0) return berth_fail(err, "setgid %u", (unsigned)s->gid);
  if (setresuid(s->uid, s->uid, s->uid) < 0) return berth_fail(err, "setuid %u", (unsigned)s->uid);
  return 0;
}

/* The value of NAME= in the container's environment. */
static const char *env_get(const spec *s, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; s->env[i]; i++)
    if (strncmp(s->env[i], name, n) == 0 && s->env[i][n] == '=') return s->env[i] + n + 1;
  return NULL;
}

/* args[0] looked up in the container's PATH (not the launcher's), as runc does. */
static int lookup(const spec *s, char *out, size_t n, berth_err *err) {
  const char *arg0 = s->args[0];
  if (strchr(arg0, '/')) return snprintf(out, n, "%s", arg0), 0;
  const char *path = env_get(s, "PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char *p = path; *p;) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    snprintf(out, n, "%.*s/%s", (int)len, len ? p : ".", arg0);
    struct stat st;
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return 0;
    if (!end) break;
    p = end + 1;
  }
  errno = ENOENT;
  return berth_fail(err, "exec '%s': not found in the container's PATH", arg0);
}

static int oom_score_adj(const spec *s, berth_err *err) {
  if (s->oom_score_adj == INT64_MIN) return 0;
  cleanup_fd int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  char v[24];
  int n = snprintf(v, sizeof v, "%lld", (long long)s->oom_score_adj);
  if (fd < 0 || write(fd, v, (size_t)n) != n) return berth_fail(err, "write oom_score_adj %s", v);
  return 0;
}

int process_exec(const spec *s, berth_err *err) {
  if (rlimits(s, err) < 0 || oom_score_adj(s, err) < 0) return -1;
  /* Without no_new_privs, installing a filter takes CAP_SYS_ADMIN: it goes in while the launcher
   * still holds it; with no_new_privs, as late as possible, so that few calls run under it (runc's
   * order both ways). */
  if (s->seccomp && !s->no_new_privileges && seccomp_install(err) < 0) return -1;
  if (s->has_caps && caps_drop_bounding(s->caps[CAPSET_BOUNDING], err) < 0) return -1;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return berth_fail(err, "prctl PR_SET_KEEPCAPS");
  if (user(s, err) < 0) return -1;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return berth_fail(err, "prctl PR_SET_KEEPCAPS");
  /* CVE-2024-21626: the cwd is entered only now, inside the container, and must be reachable from
   * its root — a leaked host directory fd (/proc/self/fd/N) would give "(unreachable)/..." here. */
  if (strncmp(s->cwd, "/proc/self/fd", 13) == 0 || strncmp(s->cwd, "/proc/thread-self/fd", 20) == 0)
    return berth_failx(err, "process.cwd '%s' is under /proc/self/fd: refused (CVE-2024-21626)", s->cwd);
  if (chdir(s->cwd) < 0) return berth_fail(err, "chdir '%s'", s->cwd);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/') return berth_failx(err, "process.cwd '%s' is outside the container: refused", s->cwd);
  char path[PATH_MAX];
  if (lookup(s, path, sizeof path, err) < 0) return -1;
  if (s->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return berth_fail(err, "prctl PR_SET_NO_NEW_PRIVS");
  if (s->has_caps && caps_apply(s->caps[CAPSET_EFFECTIVE], s->caps[CAPSET_PERMITTED], s->caps[CAPSET_INHERITABLE], s->caps[CAPSET_AMBIENT], err) < 0)
    return -1;
  umask(s->umask >= 0 ? (mode_t)s->umask : 022);
  /* Set after the uid change, which clears it. */
  if (s->pdeathsig && prctl(PR_SET_PDEATHSIG, s->pdeathsig, 0, 0, 0) < 0) return berth_fail(err, "prctl PR_SET_PDEATHSIG");
  /* No host fd may reach the container (CVE-2024-21626): every fd above stderr closes at exec. The
   * launcher's own error pipe is among them, which is how the parent learns the exec succeeded. */
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) return berth_fail(err, "close_range");
  if (s->seccomp && s->no_new_privileges && seccomp_install(err) < 0) return -1;
  execve(path, (char *const *)s->args, (char *const *)s->env);
  return berth_fail(err, "exec '%s'", path);
}
