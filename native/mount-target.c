/* Mount targets inside the container's rootfs: resolved there by resolve.c (openat2 RESOLVE_IN_ROOT,
 * or its careful walk), made where missing, each step inside the rootfs. */
#define _GNU_SOURCE
#include "mount-target.h"
#include "resolve.h"
#include "io.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int open_in_root(int rootfd, const char *path, int flags, berth_err *err) {
  /* openat2 where the kernel has it, else a careful walk (resolve.c): same answer either way. */
  return resolve_in_root(rootfd, path, flags, false, err);
}

/* The mount target `path` inside rootfd, created (directories, or an empty file when the source of a
 * bind is not a directory) where missing; returns an O_PATH fd. */
static int make_target_at_depth(int rootfd, const char *path, bool dir, int depth, berth_err *err);
int make_target(int rootfd, const char *path, bool dir, berth_err *err) { return make_target_at_depth(rootfd, path, dir, 0, err); }

static int make_target_at_depth(int rootfd, const char *path, bool dir, int depth, berth_err *err) {
  if (depth > 40) return errno = ELOOP, berth_fail(err, "create mount target '%s' in the rootfs", path);
  int fd = open_in_root(rootfd, path, O_PATH, err);
  if (fd >= 0 || errno != ENOENT) return fd;
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", path);
  char *slash = strrchr(parent, '/');
  while (slash && slash > parent && slash[1] == 0) { /* trailing slashes */
    *slash = 0;
    slash = strrchr(parent, '/');
  }
  if (!slash) return berth_failx(err, "mount target '%s' is not absolute", path);
  char name[NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", slash + 1);
  if (slash == parent) parent[1] = 0;
  else *slash = 0;
  cleanup_fd int pfd = make_target_at_depth(rootfd, parent, true, depth + 1, err);
  if (pfd < 0) return -1;
  /* O_PATH fds cannot be used for *at() creation directly on old kernels: reopen as a directory. */
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
  cleanup_fd int dfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return berth_fail(err, "open '%s' (parent of '%s')", parent, path);
  /* A dangling symlink: what it names is created, inside the rootfs (the next open resolves it there). */
  char link[PATH_MAX];
  ssize_t len = readlinkat(dfd, name, link, sizeof link - 1);
  if (len > 0) {
    link[len] = 0;
    char next[PATH_MAX * 2];
    if (link[0] == '/') snprintf(next, sizeof next, "%s", link);
    else snprintf(next, sizeof next, "%s/%s", parent, link);
    cleanup_fd int made = make_target_at_depth(rootfd, next, dir, depth + 1, err);
    if (made < 0) return -1;
    return open_in_root(rootfd, path, O_PATH, err);
  }
  if (dir) {
    if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST) return berth_fail(err, "mkdir '%s' in the rootfs", path);
  } else {
    int f = openat(dfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0 && errno != EEXIST) return berth_fail(err, "create '%s' in the rootfs", path);
    if (f >= 0) close(f);
  }
  return open_in_root(rootfd, path, O_PATH, err);
}

void fdpath(char *out, size_t n, int fd) { snprintf(out, n, "/proc/self/fd/%d", fd); }
