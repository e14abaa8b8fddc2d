/* berth-run's errors, as runc reports them: one JSON line {"level":"error","msg":...} appended to the
 * --log file of `run`, else "berth-run: MSG" on stderr; and the read of a child's error message from
 * its close-on-exec pipe. Shared by `run` (launcher.c) and `exec` (exec-cmd.c). */
#ifndef BERTH_LAUNCHER_REPORT_H
#define BERTH_LAUNCHER_REPORT_H
#include <stddef.h>

/* Where report() writes from now on (run's --log). */
void report_to(const char *log_path);
/* Reports msg; returns 1 (run's exit code on an error). */
int report(const char *msg);
/* Reports msg in the log at path (the monitor, for its builtin launcher's init: launcher.h). */
void report_at(const char *path, const char *msg);
/* Reads the child's error message from the pipe; empty when it closed on a successful exec. */
void read_all(int fd, char *buf, size_t n);
#endif
