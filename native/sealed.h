/* CVE-2019-5736: a process in the container must never be able to reopen and overwrite the launcher
 * binary through /proc/<pid>/exe while the launcher runs inside the container's namespaces. The
 * launcher therefore re-executes itself from a sealed memfd copy (writes refused by the kernel) and
 * marks itself non-dumpable (its /proc entries closed to the container's root, which lacks
 * CAP_SYS_PTRACE). */
#ifndef BERTH_SEALED_H
#define BERTH_SEALED_H
#include "error.h"

/* Returns 0 when already running from a sealed copy; otherwise re-executes (or fails). */
int sealed_reexec(char **argv, berth_err *err);
#endif
