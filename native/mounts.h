/* The container's root filesystem, in its new mount namespace: the rootfs bound onto itself, the
 * config's mounts in order, the default devices, pivot_root, masked and read-only paths, and the
 * root made read-only. Every target is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), so a
 * symlink in an image can never point a mount at the host. */
#ifndef BERTH_MOUNTS_H
#define BERTH_MOUNTS_H
#include "error.h"
#include "spec.h"

int rootfs_setup(const spec *s, berth_err *err);
/* An O_PATH fd of path resolved inside the directory rootfd (as if rootfd were /), no magic links. */
int open_in_root(int rootfd, const char *path, int flags, berth_err *err);
#endif
