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
/* v1: opens <controller>/<path>/tasks of every controller (at most max) for cgroup_enter_self;
 * returns how many (0 on v2, where cgroup_enter is the way in). */
int cgroup_open_tasks(const char *path, int *fds, size_t max, berth_err *err);
/* Moves the calling thread — the whole process when it has one thread — by writing "0" to each
 * tasks file: a single thread moving itself skips the kernel's global threadgroup lock, whose
 * write side waits for an RCU grace period (5-15 ms here). */
int cgroup_enter_self(const int *fds, size_t n, berth_err *err);
/* Moves the caller (single-threaded) into the existing cgroup <path> (exec). */
int cgroup_join(const char *path, berth_err *err);
#endif
