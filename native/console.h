/* Terminals: runc's --console-socket protocol, on both of its sides. The pseudo-terminal is made
 * inside the container (its own devpts instance, as runc makes it), and its master is passed over a
 * unix socket (SCM_RIGHTS) to whoever holds it: berth-monitor for a container, berth-exectty for an
 * exec. So the monitor takes runc's terminals and berth-run's alike. */
#ifndef BERTH_CONSOLE_H
#define BERTH_CONSOLE_H
#include <sys/types.h>
#include "error.h"

/* Connects to the socket at path (before entering the container: the path is the host's). */
int console_connect(const char *path, berth_err *err);
/* In the process about to exec, inside the container and in a new session: opens /dev/ptmx, makes
 * the slave its controlling terminal and stdin/stdout/stderr (owned by uid), sends the master on
 * sock and closes both. */
int console_setup(int sock, uid_t uid, berth_err *err);
/* A listening socket at path (relative paths are the caller's cwd's). */
int console_listen(const char *path, berth_err *err);
/* Accepts one connection on a listening socket and returns the fd it passes. */
int console_receive(int listen_fd, berth_err *err);
#endif
