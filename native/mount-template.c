#define _GNU_SOURCE
#include "mount-template.h"
#include "io.h"
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* In the child: a new namespace made into the template. Its copy of the maker's mounts only serves
 * to stand on until the pivot_root, which detaches them (once, here, instead of at every start). */
static int build(berth_err *err) {
  if (unshare(CLONE_NEWNS) < 0) return berth_fail(err, "unshare a mount namespace");
  /* Nothing done here may reach the maker's namespace through a shared peer. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return berth_fail(err, "make the new mount namespace private");
  cleanup_fd int proc = open_tree(AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (proc < 0) return berth_fail(err, "bind '/proc'");
  cleanup_fd int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0) return berth_fail(err, "fsopen tmpfs");
  if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return berth_fail(err, "create the template's tmpfs");
  cleanup_fd int root = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (root < 0) return berth_fail(err, "fsmount the template's tmpfs");
  if (mkdirat(root, TEMPLATE_ROOTFS + 1, 0755) < 0 || mkdirat(root, "proc", 0555) < 0) return berth_fail(err, "mkdir in the template's tmpfs");
  /* Attached on top of '/' (any place would do in this private copy), /proc into it, then made the root. */
  if (move_mount(root, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) return berth_fail(err, "attach the template's tmpfs");
  if (move_mount(proc, "", root, "proc", MOVE_MOUNT_F_EMPTY_PATH) < 0) return berth_fail(err, "attach '/proc' in the template");
  if (fchdir(root) < 0) return berth_fail(err, "chdir into the template");
  if (syscall(SYS_pivot_root, ".", ".") < 0) return berth_fail(err, "pivot_root into the template");
  if (umount2(".", MNT_DETACH) < 0) return berth_fail(err, "detach the old root from the template");
  if (chdir("/") < 0) return berth_fail(err, "chdir '/'");
  /* Nothing is ever written into it: its one directory is only a place to mount on. */
  struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
  if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof ro) < 0) return berth_fail(err, "make the template read-only");
  return 0;
}

int mount_template_make(berth_err *err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return berth_fail(err, "socketpair");
  pid_t pid = fork();
  if (pid < 0) return close(sv[0]), close(sv[1]), berth_fail(err, "fork the mount template's maker");
  if (pid == 0) {
    /* Says "" (done) or why not, then holds the namespace until the parent has opened it (EOF). */
    close(sv[0]);
    berth_err e = {{0}};
    int rc = build(&e);
    if (write_all(sv[1], e.msg, rc < 0 ? strlen(e.msg) : 1) < 0) _exit(1);
    char c;
    while (read(sv[1], &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(sv[1]);
  char msg[sizeof err->msg];
  ssize_t n;
  while ((n = read(sv[0], msg, sizeof msg - 1)) < 0 && errno == EINTR) {
  }
  int fd = -1;
  if (n == 1 && msg[0] == 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) berth_fail(err, "open '%s' (the mount template)", path);
  } else if (n > 0) {
    msg[n] = 0;
    berth_failx(err, "make the mount template: %s", msg);
  } else {
    berth_failx(err, "make the mount template: its maker ended without a word");
  }
  close(sv[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return fd;
}
