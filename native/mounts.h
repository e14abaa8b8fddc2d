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
  int rootfd; /* the rootfs, bound onto itself (or attached in the template's copy) */
  int *sources; /* per mount: its bind source (a detached copy of it, with a template), or -1 */
  bool detached; /* the sources are detached copies, to move into place */
} rootfs_fds;

/* The first steps, taken with the launcher's own credentials (in a user namespace, before the
 * init becomes the namespace's root, whose IDs may not reach the bundle's directories): the root's
 * propagation, the rootfs bound onto itself and opened, every bind source opened.
 * With a template (template_fd >= 0, mount-template.h; the init was cloned without CLONE_NEWNS,
 * so it is still in the launcher's namespace): detached copies of the rootfs and of every bind
 * source, made here; then the init moves to a new namespace copied from the template, and
 * attaches the rootfs there. */
int rootfs_open(const spec *s, rootfs_fds *fds, int template_fd, berth_err *err);
/* Whether the config's mounts can be made from the template: each a bind (copied before the move)
 * whose source neither holds the rootfs nor lies in it, or of a filesystem that names no path
 * (proc, tmpfs…). Another (a block device, an overlay's lowerdir=) names paths of the launcher's
 * namespace, which the template does not have. */
bool rootfs_fits_template(const spec *s);
/* The rest, ending in the container's root: mounts, devices, pivot_root, sysctls, masked and
 * read-only paths. */
int rootfs_setup(const spec *s, rootfs_fds *fds, berth_err *err);
#endif
