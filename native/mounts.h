/* The container's root filesystem, in its new mount namespace: the rootfs bound onto itself, the
 * config's mounts in order, the default devices, pivot_root, masked and read-only paths, and the
 * root made read-only. Every target is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), so a
 * symlink in an image can never point a mount at the host. */
#ifndef BERTH_MOUNTS_H
#define BERTH_MOUNTS_H
#include <stdbool.h>
#include "error.h"
#include "spec.h"

typedef struct {
  int rootfd; /* the rootfs, bound onto itself */
  int *sources; /* per mount: its bind source, or -1 */
} rootfs_fds;

/* The first steps, taken with the launcher's own credentials (in a user namespace, before the
 * init becomes the namespace's root, whose IDs may not reach the bundle's directories): the root's
 * propagation, the rootfs bound onto itself and opened, every bind source opened. */
int rootfs_open(const spec *s, rootfs_fds *fds, berth_err *err);
/* The rest, ending in the container's root: mounts, devices, pivot_root, sysctls, masked and
 * read-only paths. */
int rootfs_setup(const spec *s, rootfs_fds *fds, berth_err *err);
#endif
