/* The daemon's exec helper: `berth-run serve SOCKET`, one long-lived process per daemon.
 *
 * Why: an exec started as `berth-run exec` costs a fork of the daemon (a Node process of 100+ MiB,
 * whose page tables fork copies), an execve, the dynamic linking of json-c and libseccomp, and the
 * sealed re-exec (sealed.h) — most of an exec's time before the process even starts. The helper
 * pays those once; each exec is then a fork of this small process, which runs cmd_exec (the very
 * code of `berth-run exec`) as a child and relays its output.
 *
 * Wire, one connection per exec (SOCKET is a unix socket its user alone may use (umask 077); only the helper's own uid may
 * connect): the daemon sends a u32 (little endian) length and then the arguments of `berth-run
 * exec`, each ended by a NUL ("exec", "--pid", "42", …, "--", "true"). The helper answers with
 * frames in Docker's stdcopy header ([type, 0, 0, 0, length u32 big endian], then the payload):
 * 1 stdout, 2 stderr (berth-run's own errors among them, as `berth-run exec` writes them), and a
 * last frame 3 whose payload is the exit code in decimal (128+signal when killed). The connection
 * closed by the daemon kills the exec (SIGKILL, as the daemon's timeout did to `berth-run exec`).
 * The helper ends when its stdin (a pipe from the daemon) closes, or with its parent. */
#ifndef BERTH_EXEC_SERVE_H
#define BERTH_EXEC_SERVE_H

enum { EXEC_FRAME_STDOUT = 1, EXEC_FRAME_STDERR = 2, EXEC_FRAME_EXIT = 3 };

/* `berth-run serve SOCKET`: argv[0] is "serve". */
int exec_serve(int argc, char **argv);
#endif
