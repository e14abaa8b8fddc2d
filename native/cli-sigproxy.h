/* Docker's --sig-proxy for the native front's attached verbs (cli-sigproxy.c). */
#ifndef BERTH_CLI_SIGPROXY_H
#define BERTH_CLI_SIGPROXY_H

/* Docker's --sig-proxy: handlers that note INT, TERM, HUP, QUIT, USR1, USR2; the
 * container they go to once known; what is noted sent on (after a wait is interrupted). */
void front_sigproxy_start(const char *socket);
void front_sigproxy_target(const char *name);
void front_sigproxy_forward(void);
#endif
