/* The `berth` command's native front (cli-front.c): the verbs it answers itself, and what they share. */
#ifndef BERTH_CLI_FRONT_H
#define BERTH_CLI_FRONT_H

/* A verb's answer when it hands the command to the Node CLI unchanged: it has not talked to the
 * daemon yet, so the Node CLI does everything as if the front were not there. */
#define FRONT_FALLBACK (-1000)

/* `exec NAME CMD…` without a terminal (cli-exec.c): args after the verb; the exit code, or FRONT_FALLBACK. */
int front_exec(int argc, char **argv, const char *socket);
/* An error as the Node CLI prints it (cli/action.ts printError): the lines of a message but the
 * last as they are, then "error: " and the last. */
void front_print_error(const char *msg);
/* The daemon cannot be reached (cli/client.ts #unreachable); 1. */
int front_unreachable(const char *address, int err);
#endif
