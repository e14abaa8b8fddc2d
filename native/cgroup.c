#define _GNU_SOURCE
#include "cgroup.h"
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define ROOT "/sys/fs/cgroup"
/* The v1 controllers a container gets a directory in: its limits, stats, pause and device rules.
 * cpu and cpuacct are usually one hierarchy (cpu,cpuacct) reached by both names. */
static const char *const V1[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "devices"};

int cgroup_version(void) {
  struct statfs fs;
  return statfs(ROOT, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
}

static int write_file(const char *dir, const char *file, const char *value, berth_err *err) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return berth_fail(err, "open '%s'", path);
  ssize_t n = write(fd, value, strlen(value));
  if (n < 0) return berth_fail(err, "write '%s' to '%s'", value, path);
  return 0;
}

/* mkdir -p of dir below base (which exists). */
static int mkdirs(const char *base, const char *rel, berth_err *err) {
  char path[PATH_MAX];
  int n = snprintf(path, sizeof path, "%s/%s", base, rel);
  if (n < 0 || (size_t)n >= sizeof path) return berth_failx(err, "cgroup path '%s' is too long", rel);
  for (char *p = path + strlen(base) + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(path, 0755) < 0 && errno != EEXIST) return berth_fail(err, "mkdir '%s'", path);
    *p = '/';
  }
  if (mkdir(path, 0755) < 0 && errno != EEXIST) return berth_fail(err, "mkdir '%s'", path);
  return 0;
}

static int check_path(const char *path, berth_err *err) {
  if (strchr(path, ':')) return berth_failx(err, "cgroupsPath '%s': systemd cgroup paths are not supported; give a path like /berth/<id>", path);
  for (const char *p = path; *p; p++)
    if (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/')) return berth_failx(err, "cgroupsPath '%s' must not contain '..'", path);
  return 0;
}

static int v1_devices(const spec *s, const char *dir, berth_err *err) {
  /* The config's rules in order (Docker's and berth's start by denying all), then the devices every
   * container gets, as runc allows them: the default nodes, pty master and slaves, mknod of any. */
  for (size_t i = 0; i < s->n_devices; i++) {
    const spec_device_rule *r = &s->devices[i];
    char rule[64], maj[24] = "*", min[24] = "*";
    if (r->major >= 0) snprintf(maj, sizeof maj, "%lld", (long long)r->major);
    if (r->minor >= 0) snprintf(min, sizeof min, "%lld", (long long)r->minor);
    if (r->type == 'a') snprintf(rule, sizeof rule, "a");
    else snprintf(rule, sizeof rule, "%c %s:%s %s", r->type, maj, min, r->access);
    if (write_file(dir, r->allow ? "devices.allow" : "devices.deny", rule, err) < 0) return -1;
  }
  static const char *const allowed[] = {"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                                        "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"};
  for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
    if (write_file(dir, "devices.allow", allowed[i], err) < 0) return -1;
  return 0;
}

static int setup_v1(const spec *s, const char *rel, berth_err *err) {
  char dir[PATH_MAX];
  for (size_t i = 0; i < sizeof V1 / sizeof *V1; i++) {
    char base[64];
    snprintf(base, sizeof base, ROOT "/%s", V1[i]);
    if (access(base, F_OK) < 0) continue; /* a controller this host does not mount */
    if (mkdirs(base, rel, err) < 0) return -1;
    snprintf(dir, sizeof dir, "%s/%s", base, rel);
    const char *c = V1[i];
    char v[32];
    if (strcmp(c, "memory") == 0 && s->memory_limit > 0) {
      snprintf(v, sizeof v, "%lld", (long long)s->memory_limit);
      if (write_file(dir, "memory.limit_in_bytes", v, err) < 0) return -1;
      if (s->memory_swap > 0) {
        snprintf(v, sizeof v, "%lld", (long long)s->memory_swap);
        if (write_file(dir, "memory.memsw.limit_in_bytes", v, err) < 0) return -1;
      }
    }
    if (strcmp(c, "cpu") == 0) {
      if (s->cpu_shares > 0 && (snprintf(v, sizeof v, "%lld", (long long)s->cpu_shares), write_file(dir, "cpu.shares", v, err) < 0)) return -1;
      if (s->cpu_period > 0 && (snprintf(v, sizeof v, "%lld", (long long)s->cpu_period), write_file(dir, "cpu.cfs_period_us", v, err) < 0)) return -1;
      if (s->cpu_quota != -1 && (snprintf(v, sizeof v, "%lld", (long long)s->cpu_quota), write_file(dir, "cpu.cfs_quota_us", v, err) < 0)) return -1;
    }
    if (strcmp(c, "pids") == 0 && s->pids_limit != -1) {
      if (s->pids_limit > 0) snprintf(v, sizeof v, "%lld", (long long)s->pids_limit);
      else snprintf(v, sizeof v, "max");
      if (write_file(dir, "pids.max", v, err) < 0) return -1;
    }
    if (strcmp(c, "devices") == 0 && v1_devices(s, dir, err) < 0) return -1;
  }
  return 0;
}

/* Turns on the controllers for the children of every level from the root down to rel's parent. */
static int v2_enable(const char *rel, berth_err *err) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, ROOT "/%s", rel);
  char *end = strrchr(path, '/');
  for (char *p = path + strlen(ROOT); p && p <= end; p = strchr(p + 1, '/')) {
    char saved = *p;
    *p = 0;
    berth_err ignored;
    /* A controller the parent lacks cannot be enabled; the limit that needs it then fails, with its name. */
    for (const char *c = "+memory\0+cpu\0+pids\0"; *c; c += strlen(c) + 1) write_file(path, "cgroup.subtree_control", c, &ignored);
    *p = saved;
    if (p == end) break;
  }
  (void)err;
  return 0;
}

static int setup_v2(const spec *s, const char *rel, berth_err *err) {
  if (v2_enable(rel, err) < 0 || mkdirs(ROOT, rel, err) < 0) return -1;
  char dir[PATH_MAX], v[64];
  snprintf(dir, sizeof dir, ROOT "/%s", rel);
  if (s->memory_limit > 0 && (snprintf(v, sizeof v, "%lld", (long long)s->memory_limit), write_file(dir, "memory.max", v, err) < 0)) return -1;
  if (s->memory_swap > 0 && s->memory_limit > 0) {
    /* OCI's swap is memory+swap (v1 memsw); v2's swap.max is swap alone. */
    snprintf(v, sizeof v, "%lld", (long long)(s->memory_swap - s->memory_limit));
    if (write_file(dir, "memory.swap.max", v, err) < 0) return -1;
  }
  if (s->cpu_shares > 0) {
    /* runc's conversion of v1 shares [2, 262144] to v2 weight [1, 10000]. */
    snprintf(v, sizeof v, "%lld", (long long)(1 + ((s->cpu_shares - 2) * 9999) / 262142));
    if (write_file(dir, "cpu.weight", v, err) < 0) return -1;
  }
  if (s->cpu_quota != -1 || s->cpu_period > 0) {
    char q[24] = "max";
    if (s->cpu_quota > 0) snprintf(q, sizeof q, "%lld", (long long)s->cpu_quota);
    snprintf(v, sizeof v, "%s %lld", q, (long long)(s->cpu_period > 0 ? s->cpu_period : 100000));
    if (write_file(dir, "cpu.max", v, err) < 0) return -1;
  }
  if (s->pids_limit != -1) {
    if (s->pids_limit > 0) snprintf(v, sizeof v, "%lld", (long long)s->pids_limit);
    else snprintf(v, sizeof v, "max");
    if (write_file(dir, "pids.max", v, err) < 0) return -1;
  }
  /* Device rules on v2 need an eBPF program; berth's launcher does not load one (the default
   * devices are still the only nodes in the container's /dev). */
  return 0;
}

int cgroup_setup(const spec *s, const char *path, berth_err *err) {
  if (check_path(path, err) < 0) return -1;
  while (*path == '/') path++;
  if (!*path) return berth_failx(err, "cgroupsPath must name a cgroup below the root");
  return cgroup_version() == 2 ? setup_v2(s, path, err) : setup_v1(s, path, err);
}

int cgroup_open_tasks(const char *path, int *fds, size_t max, berth_err *err) {
  if (cgroup_version() == 2) return 0;
  if (check_path(path, err) < 0) return -1;
  while (*path == '/') path++;
  size_t n = 0;
  for (size_t i = 0; i < sizeof V1 / sizeof *V1 && n < max; i++) {
    char file[PATH_MAX];
    snprintf(file, sizeof file, ROOT "/%s/%s/tasks", V1[i], path);
    if (access(file, F_OK) < 0) continue;
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      for (size_t j = 0; j < n; j++) close(fds[j]);
      return berth_fail(err, "open '%s'", file);
    }
    fds[n++] = fd;
  }
  return (int)n;
}

int cgroup_enter_self(const int *fds, size_t n, berth_err *err) {
  for (size_t i = 0; i < n; i++)
    if (write(fds[i], "0", 1) < 0) return berth_fail(err, "move into the container's cgroup (tasks file %zu)", i);
  return 0;
}

int cgroup_join(const char *path, berth_err *err) {
  int fds[8];
  int n = cgroup_open_tasks(path, fds, 8, err);
  if (n < 0) return -1;
  if (n == 0) return cgroup_enter(path, getpid(), err);
  int rc = cgroup_enter_self(fds, (size_t)n, err);
  for (int i = 0; i < n; i++) close(fds[i]);
  return rc;
}

int cgroup_enter(const char *path, pid_t who, berth_err *err) {
  if (check_path(path, err) < 0) return -1;
  while (*path == '/') path++;
  char pid[24], dir[PATH_MAX];
  snprintf(pid, sizeof pid, "%d", (int)who);
  if (cgroup_version() == 2) {
    snprintf(dir, sizeof dir, ROOT "/%s", path);
    return write_file(dir, "cgroup.procs", pid, err);
  }
  for (size_t i = 0; i < sizeof V1 / sizeof *V1; i++) {
    snprintf(dir, sizeof dir, ROOT "/%s/%s", V1[i], path);
    if (access(dir, F_OK) < 0) continue;
    if (write_file(dir, "cgroup.procs", pid, err) < 0) return -1;
  }
  return 0;
}
