#define _GNU_SOURCE
#include "devices.h"
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "mount-target.h"

/* The directory holding path inside rootfd (made where missing), opened; *name is path's last part. */
static int parent_dir(int rootfd, const char *path, const char **name, berth_err *err) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", path);
  char *slash = strrchr(parent, '/');
  if (!slash || !slash[1]) return berth_failx(err, "device path '%s' has no name", path);
  *name = path + (slash - parent) + 1;
  if (slash == parent) slash[1] = 0;
  else *slash = 0;
  cleanup_fd int opath = make_target(rootfd, parent, true, err);
  if (opath < 0) return -1;
  char p[64];
  fdpath(p, sizeof p, opath);
  int dir = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return berth_fail(err, "open '%s' in the rootfs", parent);
  return dir;
}

/* One node at path: made with mknod, or bound from the host's `path` in a user namespace. */
static int make_node(int rootfd, const char *path, mode_t type, dev_t dev, mode_t mode, uid_t uid, gid_t gid, bool userns, berth_err *err) {
  const char *name;
  cleanup_fd int dir = parent_dir(rootfd, path, &name, err);
  if (dir < 0) return -1;
  struct stat st;
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if ((st.st_mode & S_IFMT) == type && st.st_rdev == dev && !userns) return 0;
    if (!userns && unlinkat(dir, name, 0) < 0) return berth_fail(err, "unlink '%s' in the rootfs", path);
  }
  if (userns) {
    int f = openat(dir, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0 && errno != EEXIST) return berth_fail(err, "create '%s' in the rootfs", path);
    if (f >= 0) close(f);
    cleanup_fd int target = open_in_root(rootfd, path, O_PATH, err);
    if (target < 0) return -1;
    char p[64];
    fdpath(p, sizeof p, target);
    if (mount(path, p, NULL, MS_BIND, NULL) < 0) return berth_fail(err, "bind the host's '%s' (a user namespace cannot mknod)", path);
    return 0;
  }
  if (mknodat(dir, name, type | mode, dev) < 0) return berth_fail(err, "mknod '%s'", path);
  if (fchmodat(dir, name, mode, 0) < 0) return berth_fail(err, "chmod '%s'", path);
  if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) return berth_fail(err, "chown '%s'", path);
  return 0;
}

int devices_setup(const spec *s, int rootfd, bool has_pts, berth_err *err) {
  static const struct { const char *path; unsigned maj, min; } DEFAULTS[] = {
      {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7}, {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
  bool userns = spec_has_ns(s, CLONE_NEWUSER);
  for (size_t i = 0; i < sizeof DEFAULTS / sizeof *DEFAULTS; i++)
    if (make_node(rootfd, DEFAULTS[i].path, S_IFCHR, makedev(DEFAULTS[i].maj, DEFAULTS[i].min), 0666, 0, 0, userns, err) < 0) return -1;
  for (size_t i = 0; i < s->n_device_nodes; i++) {
    const spec_device *d = &s->device_nodes[i];
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    dev_t dev = d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
    mode_t mode = d->mode >= 0 ? (mode_t)d->mode & 07777 : 0666;
    if (make_node(rootfd, d->path, type, dev, mode, d->uid >= 0 ? (uid_t)d->uid : 0, d->gid >= 0 ? (gid_t)d->gid : 0, userns, err) < 0) return -1;
  }
  cleanup_fd int opath = make_target(rootfd, "/dev", true, err);
  if (opath < 0) return -1;
  char p[64];
  fdpath(p, sizeof p, opath);
  cleanup_fd int dev = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dev < 0) return berth_fail(err, "open '/dev' in the rootfs");
  static const char *const LINKS[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
                                         {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}, {"pts/ptmx", "ptmx"}};
  for (size_t i = 0; i < sizeof LINKS / sizeof *LINKS; i++) {
    if (strcmp(LINKS[i][1], "ptmx") == 0 && has_pts) unlinkat(dev, "ptmx", 0); /* the instance's ptmx, not the host's */
    if (symlinkat(LINKS[i][0], dev, LINKS[i][1]) < 0 && errno != EEXIST) return berth_fail(err, "symlink '/dev/%s'", LINKS[i][1]);
  }
  return 0;
}

int sysctls_write(const spec *s, int root, berth_err *err) {
  for (size_t i = 0; i < s->n_sysctls; i++) {
    char path[PATH_MAX] = "/proc/sys/";
    size_t n = strlen(path);
    for (const char *c = s->sysctls[i].name; *c && n + 1 < sizeof path; c++) path[n++] = *c == '.' ? '/' : *c;
    path[n] = 0;
    cleanup_fd int fd = openat(root, path + 1, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return berth_fail(err, "sysctl '%s': open '%s' (is it a sysctl of the container's namespaces?)", s->sysctls[i].name, path);
    size_t len = strlen(s->sysctls[i].value);
    if (write(fd, s->sysctls[i].value, len) != (ssize_t)len) return berth_fail(err, "sysctl '%s': write '%s'", s->sysctls[i].name, s->sysctls[i].value);
  }
  return 0;
}
