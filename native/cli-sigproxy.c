/* Docker's --sig-proxy in the native front (cli/sig-proxy.ts): the signals this client gets go to the
 * container (POST /v1/containers/NAME/kill?signal=SIG, its answer ignored, as the Node CLI's) once
 * the container is named, instead of ending the client. The handler only notes a signal; the verb
 * forwards what is noted when its wait is interrupted (the handlers have no SA_RESTART). */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli-sigproxy.h"
#include "http-unix.h"

static const int PROXIED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
static const char *const PROXIED_NAMES[] = {"SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"};
#define N_PROXIED (sizeof PROXIED / sizeof *PROXIED)
static volatile sig_atomic_t pending[N_PROXIED];
static char target_name[256];
static const char *proxy_socket;

static void on_signal(int sig) {
  for (size_t k = 0; k < N_PROXIED; k++)
    if (PROXIED[k] == sig) pending[k] = 1;
}

void front_sigproxy_start(const char *socket) {
  proxy_socket = socket;
  struct sigaction sa = {.sa_handler = on_signal};
  for (size_t k = 0; k < N_PROXIED; k++) sigaction(PROXIED[k], &sa, NULL);
}

void front_sigproxy_target(const char *name) {
  snprintf(target_name, sizeof target_name, "%s", name);
}

void front_sigproxy_forward(void) {
  for (size_t k = 0; k < N_PROXIED; k++) {
    if (!pending[k]) continue;
    pending[k] = 0;
    if (!target_name[0]) continue;
    /* The name as encodeURIComponent writes it. */
    char target[PATH_MAX], *t = target + snprintf(target, sizeof target, "/v1/containers/");
    for (const unsigned char *p = (const unsigned char *)target_name; *p && t < target + sizeof target - 64; p++)
      t += strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()", *p) ? sprintf(t, "%c", *p) : sprintf(t, "%%%02X", *p);
    snprintf(t, (size_t)(target + sizeof target - t), "/kill?signal=%s", PROXIED_NAMES[k]);
    http_conn c;
    if (http_connect(&c, proxy_socket) == 0) {
      if (http_request(&c, "POST", target, NULL, NULL, 0) == 0) {
        char sink[4096];
        while (http_read_body(&c, sink, sizeof sink) > 0) {
        }
      }
      http_close(&c);
    }
  }
}
