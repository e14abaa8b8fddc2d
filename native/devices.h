/* The container's device nodes, made in its /dev before pivot_root: the OCI runtime spec's default
 * devices and those of linux.devices (a privileged container's), with the /dev symlinks every Linux
 * program expects; and the config's sysctls, written through the container's /proc. */
#ifndef BERTH_DEVICES_H
#define BERTH_DEVICES_H
#include <stdbool.h>
#include "error.h"
#include "spec.h"

/* In a user namespace the kernel refuses mknod of a device: each node is then bound from the host's
 * node of the same path, as runc does. */
int devices_setup(const spec *s, int rootfd, bool has_pts, berth_err *err);
/* Writes linux.sysctl; root is the container's "/" (after pivot_root). */
int sysctls_write(const spec *s, int root, berth_err *err);
#endif
