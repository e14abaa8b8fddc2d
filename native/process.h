/* The last steps before the container's process runs, shared by run and exec: rlimits, user and
 * groups, capabilities, no_new_privs, cwd, the fd sweep (CVE-2024-21626) and the PATH lookup. */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H
#include "error.h"
#include "spec.h"

/* Does not return on success. */
int process_exec(const spec *s, berth_err *err);
#endif
