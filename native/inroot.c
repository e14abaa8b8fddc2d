/* berth-inroot: `cp`'s work inside a container's root, where no path can lead out of it.
 *
 *   berth-inroot (--root DIR | --pid PID) stat PATH
 *   berth-inroot (--root DIR | --pid PID) --busybox FILE tar ARGS...
 *
 * The process first enters the container's filesystem: --pid joins the mount namespace of a
 * running container's process (its volumes and tmpfs included), --root chroots into a stopped
 * container's rootfs. From then on the kernel resolves every path, symlinks and ".." included,
 * inside that root: nothing the container does to its paths, before or during the copy, can
 * point outside (CVE-2018-15664 was a path resolved on the host, then used). `stat` prints the
 * lstat of PATH as one JSON line; `tar` runs the host's static busybox as tar there. The busybox is
 * opened before entering and executed from that fd, so the container's own binaries are never run
 * with the host's privileges. Exit 2 with "berth-inroot: ... : No such file or directory" when PATH
 * is missing, 1 on other failures. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "error.h"

static int die(berth_err *err) {
  fprintf(stderr, "berth-inroot: %s\n", err->msg);
  return errno == ENOENT || errno == ENOTDIR ? 2 : 1;
}

static int enter(const char *root, const char *pid, berth_err *err) {
  if (pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/mnt", pid);
    cleanup_fd int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) return berth_fail(err, "open '%s'", path);
    if (unshare(CLONE_FS) < 0) return berth_fail(err, "unshare CLONE_FS");
    if (setns(ns, CLONE_NEWNS) < 0) return berth_fail(err, "setns '%s'", path);
    /* setns made the namespace's root (the container's, after its pivot_root) ours. */
    if (chdir("/") < 0) return berth_fail(err, "chdir '/'");
    return 0;
  }
  if (chdir(root) < 0) return berth_fail(err, "chdir '%s'", root);
  if (chroot(".") < 0) return berth_fail(err, "chroot '%s'", root);
  if (chdir("/") < 0) return berth_fail(err, "chdir '/'");
  return 0;
}

static void json_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static int stat_path(const char *path, berth_err *err) {
  struct stat st;
  if (lstat(path, &st) < 0) return berth_fail(err, "lstat '%s'", path);
  char target[PATH_MAX] = "";
  if (S_ISLNK(st.st_mode)) {
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) return berth_fail(err, "readlink '%s'", path);
    target[n] = 0;
  }
  const char *slash = strrchr(path, '/');
  const char *name = slash && slash[1] ? slash + 1 : path;
  printf("{\"name\":");
  json_string(name);
  printf(",\"size\":%lld,\"mode\":%u,\"mtimeMs\":%lld,\"linkTarget\":", (long long)st.st_size, (unsigned)st.st_mode,
         (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
  json_string(target);
  printf("}\n");
  return fflush(stdout) == 0 ? 0 : berth_fail(err, "write stdout");
}

int main(int argc, char **argv) {
  berth_err err = {{0}};
  const char *root = NULL, *pid = NULL, *busybox = NULL;
  int i = 1;
  for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
    if (strcmp(argv[i], "--root") == 0) root = argv[i + 1];
    else if (strcmp(argv[i], "--pid") == 0) pid = argv[i + 1];
    else if (strcmp(argv[i], "--busybox") == 0) busybox = argv[i + 1];
    else break;
  }
  if ((!root) == (!pid) || i >= argc || (strcmp(argv[i], "stat") == 0 ? i + 2 != argc : strcmp(argv[i], "tar") != 0 || !busybox)) {
    fprintf(stderr, "usage: berth-inroot (--root DIR | --pid PID) stat PATH\n       berth-inroot (--root DIR | --pid PID) --busybox FILE tar ARGS...\n");
    return 64;
  }
  if (pid && strspn(pid, "0123456789") != strlen(pid)) return fprintf(stderr, "berth-inroot: --pid '%s' is not a number\n", pid), 64;
  int bb = -1;
  if (busybox && (bb = open(busybox, O_PATH | O_CLOEXEC)) < 0) return berth_fail(&err, "open '%s'", busybox), die(&err);
  if (enter(root, pid, &err) < 0) return die(&err);
  if (strcmp(argv[i], "stat") == 0) return stat_path(argv[i + 1], &err) < 0 ? die(&err) : 0;
  char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
  /* argv[i] is "tar": busybox runs the applet named by argv[0]. */
  syscall(SYS_execveat, bb, "", &argv[i], env, AT_EMPTY_PATH);
  berth_fail(&err, "exec '%s' as tar", busybox);
  return die(&err);
}
