/* Mount targets inside the container's rootfs (mount-target.c), for the mounts and the devices:
 * opened or made where the path resolves inside the rootfs, never on the host. */
#ifndef BERTH_MOUNT_TARGET_H
#define BERTH_MOUNT_TARGET_H
#include <stdbool.h>
#include <stddef.h>
#include "error.h"

/* An O_PATH fd of path resolved inside the directory rootfd (as if rootfd were /), no magic links. */
int open_in_root(int rootfd, const char *path, int flags, berth_err *err);
/* An O_PATH fd of the mount target path inside rootfd, made (directories, or an empty file when
 * dir is false) where missing. */
int make_target(int rootfd, const char *path, bool dir, berth_err *err);
/* "/proc/self/fd/<fd>" */
void fdpath(char *out, size_t n, int fd);
#endif
