/* A small template mount namespace for the containers' own. clone(CLONE_NEWNS) copies every mount
 * of the caller's namespace, and the container's pivot_root then detaches them all again: in the
 * daemon's namespace, which holds two mounts per container (its rootfs overlay, its netns pin),
 * that made each start cost more the more containers ran (7-9 ms of CPU at ~1750 mounts, against
 * 1.4 ms for a namespace of a handful). The template holds three: its root (a read-only tmpfs with
 * an empty TEMPLATE_ROOTFS to attach a container's rootfs on) and a bind of the maker's /proc (the
 * init reaches its descriptors by /proc/self/fd until it has pivoted). A container's init joins it
 * and unshares (mounts.c, rootfs_open), taking along detached copies (open_tree) of its rootfs and
 * bind sources made in the daemon's namespace before.
 *
 * Pinned by a descriptor, not by an nsfs bind mount on a file under the berth root: the monitor
 * server (monitor-serve.h) makes it once when it starts and every monitor it forks, and the launcher
 * that monitor forks, inherits it (launcher_mount_template). So there is no mount to leave behind in
 * the daemon's namespace (a test's or an uninstall's rm of the root would meet it busy), no lock
 * between concurrent launchers, and no stale pin when a daemon comes back in another namespace; it
 * goes when the server and the monitors holding it have ended, while the containers made from it
 * keep their own copies. */
#ifndef BERTH_MOUNT_TEMPLATE_H
#define BERTH_MOUNT_TEMPLATE_H
#include "error.h"

/* Where a container's rootfs is attached in its copy of the template, before its pivot_root. */
#define TEMPLATE_ROOTFS "/rootfs"

/* Makes the template (in a child, which unshares, builds it and waits until it is opened): a
 * descriptor of its mount namespace (close-on-exec), or -1. */
int mount_template_make(berth_err *err);
#endif
