/* The container's cgroup: v1 (one directory per controller) or v2 (one unified directory),
 * detected at run time. Created and limited by the launcher, which joins it before it clones the
 * container's init, so the init (and all it forks) starts inside it. Removed by the runtime. */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H
#include "error.h"
#include "spec.h"

/* 2 when /sys/fs/cgroup is the unified hierarchy, 1 otherwise (v1 or hybrid). */
int cgroup_version(void);
/* Creates <path> (relative to each hierarchy), writes the spec's limits and moves the caller in. */
int cgroup_setup(const spec *s, const char *path, berth_err *err);
/* Moves the caller into the existing cgroup <path> (exec). */
int cgroup_join(const char *path, berth_err *err);
#endif
