/* berth-overlay: mounts a container's rootfs for a user namespace of its own — an overlay whose
 * lower layers are idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP, Linux 5.19+ under overlayfs),
 * so the image's root-owned files belong to the container's unprivileged root without a chown copy
 * of any layer; the upper directory is the container's own, owned by that root.
 *
 *   berth-overlay --target DIR --upper DIR --work DIR --uid HOSTUID --gid HOSTGID --size N LOWER...
 *       LOWER: the layer directories, top first (overlayfs' lowerdir order). Container ID 0 maps to
 *       HOSTUID/HOSTGID, N IDs long. The overlay itself is mounted by the host's root (the kernel
 *       does not idmap an overlay mount; it does take idmapped layers), at DIR on the host.
 * Exit 0 when mounted; else 1 with "berth-overlay: what 'path': why" on stderr. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "error.h"

/* An fd of a user namespace whose ID 0 is host uid/gid, size IDs long (the process that made it has exited). */
static int userns_fd(unsigned uid, unsigned gid, unsigned size, berth_err *err) {
  int ready[2], done[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) return berth_fail(err, "pipe");
  pid_t pid = fork();
  if (pid < 0) return berth_fail(err, "fork");
  if (pid == 0) {
    close(ready[0]);
    close(done[1]); /* else the read below never sees the parent's close */
    char c = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'x';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    (void)!read(done[0], &c, 1); /* until the parent has what it needs */
    _exit(0);
  }
  close(ready[1]);
  close(done[0]);
  char c = 0;
  int fd = -1;
  if (read(ready[0], &c, 1) != 1 || c != 'u') berth_failx(err, "unshare a user namespace for the idmap");
  else {
    char path[64], map[64];
    int n = snprintf(map, sizeof map, "0 %u %u\n", uid, size);
    for (int i = 0; i < 2 && !err->msg[0]; i++) {
      snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, i ? "gid_map" : "uid_map");
      if (i) n = snprintf(map, sizeof map, "0 %u %u\n", gid, size);
      cleanup_fd int f = open(path, O_WRONLY | O_CLOEXEC);
      if (f < 0 || write(f, map, (size_t)n) != n) berth_fail(err, "write '%s'", path);
    }
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    if (!err->msg[0] && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) berth_fail(err, "open '%s'", path);
  }
  close(done[1]);
  close(ready[0]);
  waitpid(pid, NULL, 0);
  return err->msg[0] ? -1 : fd;
}

/* A detached copy of the mount at dir, idmapped through userns: an fd to use as a layer. */
static int idmapped(const char *dir, int userns, berth_err *err) {
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0) return berth_fail(err, "open_tree '%s'", dir);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned)userns};
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
    close(fd);
    return berth_fail(err, "idmap '%s' (mount_setattr; Linux 5.19+ takes idmapped layers under overlayfs)", dir);
  }
  return fd;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"target", 1, 0, 't'}, {"upper", 1, 0, 'u'}, {"work", 1, 0, 'w'}, {"uid", 1, 0, 'U'},
                                       {"gid", 1, 0, 'G'},    {"size", 1, 0, 's'},  {0, 0, 0, 0}};
  const char *target = NULL, *upper = NULL, *work = NULL;
  long uid = -1, gid = -1, size = -1;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 't') target = optarg;
    else if (c == 'u') upper = optarg;
    else if (c == 'w') work = optarg;
    else if (c == 'U') uid = strtol(optarg, NULL, 10);
    else if (c == 'G') gid = strtol(optarg, NULL, 10);
    else if (c == 's') size = strtol(optarg, NULL, 10);
    else return 2;
  }
  if (!target || !upper || !work || uid < 0 || gid < 0 || size <= 0 || optind >= argc)
    return fprintf(stderr, "usage: berth-overlay --target DIR --upper DIR --work DIR --uid N --gid N --size N LOWER...\n"), 2;
  berth_err err = {{0}};
  int ns = userns_fd((unsigned)uid, (unsigned)gid, (unsigned)size, &err);
  if (ns < 0) return fprintf(stderr, "berth-overlay: %s\n", err.msg), 1;
  char data[4096];
  size_t len = (size_t)snprintf(data, sizeof data, "lowerdir=");
  for (int i = optind; i < argc; i++) {
    int fd = idmapped(argv[i], ns, &err);
    if (fd < 0) return fprintf(stderr, "berth-overlay: %s\n", err.msg), 1;
    len += (size_t)snprintf(data + len, sizeof data - len, "%s/proc/self/fd/%d", i > optind ? ":" : "", fd);
  }
  len += (size_t)snprintf(data + len, sizeof data - len, ",upperdir=%s,workdir=%s", upper, work);
  if (len >= sizeof data) return fprintf(stderr, "berth-overlay: the layers' options pass the page size: too many layers\n"), 1;
  /* The merged root is the upper directory's: the container's root owns it. */
  if (chown(upper, (uid_t)uid, (gid_t)gid) < 0) return berth_fail(&err, "chown '%s'", upper), fprintf(stderr, "berth-overlay: %s\n", err.msg), 1;
  if (mount("overlay", target, "overlay", 0, data) < 0) return berth_fail(&err, "mount overlay on '%s'", target), fprintf(stderr, "berth-overlay: %s\n", err.msg), 1;
  return 0;
}
