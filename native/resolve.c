/* Path resolution inside a rootfs. The kernel's openat2(RESOLVE_IN_ROOT) is used where it exists;
 * the fallback walks the path one component at a time with O_PATH|O_NOFOLLOW, reads each symlink
 * itself and restarts an absolute target at the root, and stops ".." at the root, so that a
 * hostile image's symlinks (/etc -> /host/etc, a -> ../../..) resolve inside it, never on the host.
 * Magic links (/proc/self/fd/N, /proc/self/root) are refused as openat2 refuses them: the walk never
 * follows a link whose target is not a plain string path it can resolve itself. */
#define _GNU_SOURCE
#include "resolve.h"
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SYMLINKS 40

static bool same_inode(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int walk_in_root(int rootfd, const char *path, int flags, berth_err *err) {
  char rest[PATH_MAX * 2];
  if (snprintf(rest, sizeof rest, "%s", path) >= (int)sizeof rest) return errno = ENAMETOOLONG, berth_fail(err, "open '%s' in the rootfs", path);
  int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
  if (cur < 0) return berth_fail(err, "dup the rootfs fd for '%s'", path);
  int links = 0;
  char *p = rest;
  for (;;) {
    if (*p == '/') {
      close(cur);
      if ((cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3)) < 0) return berth_fail(err, "dup the rootfs fd for '%s'", path);
      while (*p == '/') p++;
    }
    if (!*p) break;
    char *end = strchrnul(p, '/');
    char name[NAME_MAX + 1];
    size_t len = (size_t)(end - p);
    if (len > NAME_MAX) return close(cur), errno = ENAMETOOLONG, berth_fail(err, "open '%s' in the rootfs", path);
    memcpy(name, p, len);
    name[len] = 0;
    p = end;
    while (*p == '/') p++;
    if (strcmp(name, ".") == 0) continue;
    if (strcmp(name, "..") == 0 && same_inode(cur, rootfd)) continue; /* ".." of the root is the root */
    int next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return close(cur), berth_fail(err, "open '%s' in the rootfs", path);
    struct stat st;
    if (fstat(next, &st) < 0) return close(next), close(cur), berth_fail(err, "stat '%s' in the rootfs", path);
    if (!S_ISLNK(st.st_mode)) {
      close(cur);
      cur = next;
      continue;
    }
    /* A symlink: its target replaces this component, resolved from here (or from the root). */
    char target[PATH_MAX];
    ssize_t n = readlinkat(next, "", target, sizeof target - 1);
    close(next);
    if (n < 0) return close(cur), berth_fail(err, "readlink '%s' in the rootfs", path);
    target[n] = 0;
    if (++links > MAX_SYMLINKS) return close(cur), errno = ELOOP, berth_fail(err, "open '%s' in the rootfs", path);
    char joined[PATH_MAX * 2];
    if (snprintf(joined, sizeof joined, "%s%s%s", target, *p ? "/" : "", p) >= (int)sizeof joined)
      return close(cur), errno = ENAMETOOLONG, berth_fail(err, "open '%s' in the rootfs", path);
    memcpy(rest, joined, strlen(joined) + 1);
    p = rest;
  }
  if ((flags & O_PATH) == O_PATH) return cur;
  /* The caller wants more than a path: reopen the object found (it is not a symlink). */
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", cur);
  int fd = open(proc, (flags & ~O_CREAT) | O_CLOEXEC);
  close(cur);
  if (fd < 0) return berth_fail(err, "open '%s' in the rootfs", path);
  return fd;
}

int resolve_in_root(int rootfd, const char *path, int flags, bool force_walk, berth_err *err) {
  if (!force_walk) {
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd >= 0) return fd;
    if (errno != ENOSYS) return berth_fail(err, "open '%s' in the rootfs", path);
  }
  return walk_in_root(rootfd, path, flags, err);
}
