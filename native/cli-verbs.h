/* The verbs the `berth` command's native front answers itself, one file each; cli-front.c
 * dispatches to them. Each takes the arguments after the verb and the daemon's socket, and returns
 * the exit code, or FRONT_FALLBACK (cli-common.h) to hand the command to the Node CLI unchanged. */
#ifndef BERTH_CLI_VERBS_H
#define BERTH_CLI_VERBS_H

/* `exec NAME CMD…` without a terminal (cli-exec.c): args after the verb; the exit code, or FRONT_FALLBACK. */
int front_exec(int argc, char **argv, const char *socket);
/* `run --rm [--name N] [--network N] IMAGE ARGS…` without a terminal (cli-run.c): as front_exec. */
int front_run(int argc, char **argv, const char *socket);
/* `logs [-f] [-t] [-n N] NAME` (cli-logs.c): as front_exec. */
int front_logs(int argc, char **argv, const char *socket);
/* `ps [-a] [-q] [--no-trunc]` (cli-ps.c): as front_exec. */
int front_ps(int argc, char **argv, const char *socket);
/* `build [-t T]… [-f F] [--build-arg K=V]… [--target S] [--no-cache] [--network N] [-q] CONTEXT` (cli-build.c): as front_exec. */
int front_build(int argc, char **argv, const char *socket);
/* `pull [-q] REF` with stderr not a terminal (cli-pull.c): as front_exec. */
int front_pull(int argc, char **argv, const char *socket);
/* `apply -f FILE…` of regular files (cli-apply.c): as front_exec. */
int front_apply(int argc, char **argv, const char *socket);
/* `attach [--no-stdin] [--detach-keys K] [--sig-proxy=B] NAME` (cli-attach.c): as front_exec. */
int front_attach(int argc, char **argv, const char *socket);
#endif
