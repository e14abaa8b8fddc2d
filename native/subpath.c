/* berth-subpath BASE SUBPATH TARGET: a volume's subPath, bound where a container's mount takes it
 * from. SUBPATH is resolved inside BASE as if BASE were "/" (resolve_in_root: openat2
 * RESOLVE_IN_ROOT, or the component walk), so no symlink a container left in the volume
 * ("sub -> /", "a -> ../../..") leads out of it; a missing directory is made (0755) in its resolved
 * parent, one component at a time. The object found is held by an O_PATH fd and bind-mounted from
 * /proc/self/fd/N onto TARGET (made here: a directory, or an empty file for a file), so what gets
 * mounted is what was resolved even if the volume changes meanwhile; the runtime then binds TARGET,
 * which no container can reach. Exit 1 with "berth-subpath: verb 'path': strerror" on failure. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "resolve.h"

/* The fd of SUBPATH inside base, its missing directories made. */
static int open_subpath(int base, const char *subpath, berth_err *err) {
  char copy[PATH_MAX], prefix[PATH_MAX] = ".";
  if (snprintf(copy, sizeof copy, "%s", subpath) >= (int)sizeof copy) return errno = ENAMETOOLONG, berth_fail(err, "subPath '%s'", subpath);
  int cur = fcntl(base, F_DUPFD_CLOEXEC, 3);
  if (cur < 0) return berth_fail(err, "dup the volume's fd");
  char *save = NULL;
  for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
    if (strcmp(part, ".") == 0) continue;
    if (strcmp(part, "..") == 0) return close(cur), berth_failx(err, "subPath '%s': \"..\" is not allowed", subpath);
    size_t len = strlen(prefix);
    if (snprintf(prefix + len, sizeof prefix - len, "/%s", part) >= (int)(sizeof prefix - len)) return close(cur), errno = ENAMETOOLONG, berth_fail(err, "subPath '%s'", subpath);
    int next = resolve_in_root(base, prefix, O_PATH, false, err);
    if (next < 0 && errno == ENOENT) {
      /* cur is the resolved parent: the new directory is made there, by name, never through a link. */
      if (mkdirat(cur, part, 0755) < 0 && errno != EEXIST) return close(cur), berth_fail(err, "mkdir '%s' in the volume", prefix + 2);
      next = resolve_in_root(base, prefix, O_PATH, false, err);
    }
    close(cur);
    if (next < 0) return berth_fail(err, "open '%s' in the volume", prefix + 2);
    cur = next;
  }
  return cur;
}

int main(int argc, char **argv) {
  if (argc != 4) return fprintf(stderr, "usage: berth-subpath BASE SUBPATH TARGET\n"), 2;
  berth_err err = {{0}};
  cleanup_fd int base = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (base < 0) berth_fail(&err, "open '%s'", argv[1]);
  cleanup_fd int fd = base < 0 ? -1 : open_subpath(base, argv[2], &err);
  struct stat st;
  int ok = fd >= 0;
  if (ok && fstat(fd, &st) < 0) ok = 0, berth_fail(&err, "stat '%s'", argv[2]);
  if (ok && S_ISDIR(st.st_mode)) {
    if (mkdir(argv[3], 0755) < 0 && errno != EEXIST) ok = 0, berth_fail(&err, "mkdir '%s'", argv[3]);
  } else if (ok) {
    int t = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (t < 0) ok = 0, berth_fail(&err, "create '%s'", argv[3]);
    else close(t);
  }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (ok && mount(proc, argv[3], NULL, MS_BIND, NULL) < 0) ok = 0, berth_fail(&err, "bind '%s' of '%s' on '%s'", argv[2], argv[1], argv[3]);
  if (ok) return 0;
  fprintf(stderr, "berth-subpath: %s\n", err.msg);
  return 1;
}
