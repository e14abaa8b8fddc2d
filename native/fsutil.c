/* berth-fsutil ROOT: what Node cannot do to an unpacked layer, read as commands from stdin, one per
 * line, each path relative to ROOT:
 *   w PATH   an overlay whiteout at PATH (a 0/0 character device), replacing what is there;
 *   o PATH   mark the directory PATH opaque (xattr trusted.overlay.opaque = "y");
 *   q PATH   print "y" if the directory PATH is opaque, else "n" (a container's upper dir, for commit).
 * Layers are hostile: every path is walked one component at a time from ROOT with O_NOFOLLOW, so a
 * symlink in the layer ("etc -> /etc") can never make us write outside it. Exit 1 on the first error. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "error.h"

/* Opens the parent directory of rel (inside root, no symlinks) and returns its fd; *base is the last component. */
static int open_parent(int root, char *rel, char **base, berth_err *err) {
  int dir = dup(root);
  if (dir < 0) return berth_fail(err, "dup");
  char *save = NULL, *part = strtok_r(rel, "/", &save);
  if (!part) return close(dir), berth_failx(err, "empty path");
  for (;;) {
    char *next = strtok_r(NULL, "/", &save);
    if (!next) {
      *base = part;
      return dir;
    }
    if (strcmp(part, "..") == 0 || strcmp(part, ".") == 0) {
      close(dir);
      return berth_failx(err, "path component '%s' is not allowed", part);
    }
    int sub = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(dir);
    if (sub < 0) return berth_fail(err, "open '%s'", part);
    dir = sub;
    part = next;
  }
}

static int whiteout(int root, char *rel, berth_err *err) {
  char *base;
  cleanup_fd int dir = open_parent(root, rel, &base, err);
  if (dir < 0) return -1;
  if (strcmp(base, "..") == 0 || strcmp(base, ".") == 0) return berth_failx(err, "whiteout of '%s' is not allowed", base);
  if (unlinkat(dir, base, 0) < 0 && errno != ENOENT && errno != EISDIR) return berth_fail(err, "unlink '%s'", base);
  if (mknodat(dir, base, S_IFCHR | 0000, makedev(0, 0)) < 0) return berth_fail(err, "mknod '%s'", base);
  return 0;
}

static int opaque(int root, char *rel, berth_err *err) {
  char *base;
  cleanup_fd int dir = open_parent(root, rel, &base, err);
  if (dir < 0) return -1;
  cleanup_fd int target = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0) return berth_fail(err, "open '%s'", base);
  if (fsetxattr(target, "trusted.overlay.opaque", "y", 1, 0) < 0) return berth_fail(err, "setxattr '%s'", base);
  return 0;
}

/* Prints "y" when the directory PATH is opaque, else "n" (one answer per query, in order). */
static int query_opaque(int root, char *rel, berth_err *err) {
  char *base;
  cleanup_fd int dir = open_parent(root, rel, &base, err);
  if (dir < 0) return -1;
  cleanup_fd int target = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0) return berth_fail(err, "open '%s'", base);
  char v[4] = "";
  ssize_t n = fgetxattr(target, "trusted.overlay.opaque", v, sizeof v);
  if (n < 0 && errno != ENODATA) return berth_fail(err, "getxattr '%s'", base);
  printf("%s\n", n == 1 && v[0] == 'y' ? "y" : "n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: berth-fsutil ROOT < commands\n");
    return 2;
  }
  berth_err err = {{0}};
  cleanup_fd int root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    berth_fail(&err, "open '%s'", argv[1]);
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[n - 1] == '\n') line[--n] = 0;
    if (n < 3 || line[1] != ' ') continue;
    char *path = line + 2;
    int r = line[0] == 'w'   ? whiteout(root, path, &err)
            : line[0] == 'o' ? opaque(root, path, &err)
            : line[0] == 'q' ? query_opaque(root, path, &err)
                             : berth_failx(&err, "unknown command '%c'", line[0]);
    if (r < 0) {
      fprintf(stderr, "%s: %s\n", path, err.msg);
      return 1;
    }
  }
  free(line);
  return 0;
}
