/* The container's cgroup: v1 (one directory per controller) or v2 (one unified directory),
 * detected at run time. Created and limited by the launcher, which joins it before it clones the
 * container's init, so the init (and all it forks) starts inside it. Removed by the runtime. */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H
#include "error.h"
#include "spec.h"

/* 2 when /sys/fs/cgroup is the unified hierarchy, 1 otherwise (v1 or hybrid). */
int cgroup_version(void);
/* Creates <path> (relative to each hierarchy) and writes the spec's limits. */
int cgroup_setup(const spec *s, const char *path, berth_err *err);
/* Moves process pid into the cgroup <path> made by cgroup_setup. The first move after a quiet
 * moment waits for an RCU grace period in the kernel (milliseconds): the launcher does it while the
 * container's rootfs is being set up. */
int cgroup_enter(const char *path, pid_t pid, berth_err *err);
/* Moves the caller into the existing cgroup <path> (exec). */
int cgroup_join(const char *path, berth_err *err);
#endif
