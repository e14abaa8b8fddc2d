/* `berth-run exec --pid PID --bundle DIR [--cwd DIR] [--env K=V]... [--user UID:GID]
 * [--additional-gid GID]... [--tty --console-socket PATH] [--seccomp-cache DIR] -- ARGS...`:
 * runs ARGS in the container of init PID (its namespaces and cgroup, the config's capabilities and
 * limits); returns the process's code (128+signal when killed), 126/127 when it could not run.
 * launcher.c runs it for the command line, exec-serve.c for each request of the daemon. */
#ifndef BERTH_EXEC_CMD_H
#define BERTH_EXEC_CMD_H

/* argv[0] is "exec". */
int cmd_exec(int argc, char **argv);
#endif
