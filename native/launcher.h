/* berth-run's commands (launcher.c), as a function: the berth-run program (berth-run.c) and the
 * monitor's builtin launcher (monitor.c, --builtin-launcher) both call it. */
#ifndef BERTH_LAUNCHER_H
#define BERTH_LAUNCHER_H
#include <sys/types.h>
#include "error.h"
int launcher_main(int argc, char **argv);
/* The monitor's builtin launcher (set in the monitor's fork before launcher_main; -1 otherwise):
 * pipes to the monitor, which then waits for the container's exec itself. `run` writes the init's
 * pid (decimal) on launcher_pid_fd once it has released the init, and ends there, without waiting
 * for the exec or writing the pid file; the init writes on launcher_exec_fd why it could not exec,
 * if it could not, and its exec closes it. */
extern int launcher_pid_fd, launcher_exec_fd;
/* The template mount namespace (mount-template.h) the monitor server made, inherited through its
 * forks (-1: none, as in berth-run run on its own, a monitor spawned without the server, or a sealed
 * re-exec): `run` copies a container's mount namespace from it instead of from its own. */
extern int launcher_mount_template;
/* The pid file, written aside and renamed into place. */
int launcher_write_pid_file(const char *path, pid_t pid, berth_err *err);
#endif
