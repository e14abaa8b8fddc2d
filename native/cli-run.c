/* The native front's `run` without a terminal, for the flags whose request it can make exactly as
 * specs/docker/run.ts's dockerRunRequest does: --rm, --name, --network; anything else is
 * FRONT_FALLBACK. One request, POST /v1/containers/run (cli/verbs/run.ts runStreamed): the daemon
 * makes and starts the container and answers NDJSON — started, its log lines, its exit (after
 * removing it for --rm). As the Node CLI's --sig-proxy (on by default), the signals this client gets
 * go to the container once it is named. Errors exit 125, as Docker's `run`. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "cli-sigproxy.h"
#include "http-unix.h"
#include "io.h"

#define RUN_FAILED 125

static const front_flag RUN_FLAGS[] = {{0, "rm", false}, {0, "name", true}, {0, "network", true}};
struct run_flags {
  bool rm;
  const char *name, *network;
};

static void run_flag(size_t which, const char *value, void *ctx) {
  struct run_flags *f = ctx;
  if (which == 0) f->rm = true;
  else if (which == 1) f->name = value;
  else f->network = value;
}

/* The container's name once `started` gave it. */
static char started[256];

/* One event of the run's stream: 0 to go on, else the exit code (RUN_DONE for 0). */
#define RUN_DONE (-1)
static int event(json_object *e, void *ctx) {
  json_object *v = NULL;
  if (!json_object_object_get_ex(e, "type", &v)) return 0;
  const char *type = json_object_get_string(v);
  if (strcmp(type, "started") == 0 && json_object_object_get_ex(e, "name", &v)) {
    snprintf(started, sizeof started, "%s", json_object_get_string(v));
    front_sigproxy_target(started);
  } else if (strcmp(type, "log") == 0) front_print_log(e, false);
  else if (strcmp(type, "exit") == 0) {
    int code = json_object_object_get_ex(e, "exitCode", &v) && !json_object_is_type(v, json_type_null) ? json_object_get_int(v) & 0xff : RUN_FAILED;
    return code == 0 ? RUN_DONE : code;
  }
  return 0;
}

static int stream(http_conn *c, const char *name) {
  int rc = front_ndjson(c, RUN_FAILED, event, NULL);
  if (rc == RUN_DONE) return 0;
  if (rc) return rc;
  const char *who = started[0] ? started : name ? name : "?";
  const char *what = started[0] ? started : name ? name : "";
  char *msg;
  if (asprintf(&msg, "the daemon ended `run` of container \"%s\" before its exit code: see `berth describe container %s`", who, what) < 0) return RUN_FAILED;
  front_print_error(msg);
  free(msg);
  return RUN_FAILED;
}

int front_run(int argc, char **argv, const char *socket) {
  struct run_flags f = {0};
  int i = front_flags(argc, argv, RUN_FLAGS, sizeof RUN_FLAGS / sizeof *RUN_FLAGS, run_flag, &f);
  if (i == FRONT_FALLBACK || i >= argc) return FRONT_FALLBACK;
  for (int k = 0; k < argc; k++)
    if (!front_utf8(argv[k])) return FRONT_FALLBACK;
  /* dockerRunRequest's body for these flags: the arguments replace CMD, each `$` doubled (Kubernetes
   * expands $(VAR) in a spec's args; Docker's pass verbatim), restart "no", pull "missing". */
  json_object *spec = json_object_new_object(), *body = json_object_new_object();
  json_object_object_add(spec, "image", json_object_new_string(argv[i]));
  if (argc - i > 1) {
    json_object *args = json_object_new_array();
    for (int k = i + 1; k < argc; k++) {
      char *escaped = malloc(2 * strlen(argv[k]) + 1), *o = escaped;
      for (const char *p = argv[k]; *p; p++) {
        if (*p == '$') *o++ = '$';
        *o++ = *p;
      }
      *o = '\0';
      json_object_array_add(args, json_object_new_string(escaped));
      free(escaped);
    }
    json_object_object_add(spec, "args", args);
  }
  json_object *restart = json_object_new_object();
  json_object_object_add(restart, "name", json_object_new_string("no"));
  json_object_object_add(restart, "maximumRetryCount", json_object_new_int(0));
  json_object_object_add(spec, "dockerRestartPolicy", restart);
  json_object_object_add(spec, "restartPolicy", json_object_new_string("Never"));
  if (f.network && *f.network) json_object_object_add(spec, "network", json_object_new_string(f.network));
  json_object_object_add(spec, "imagePullPolicy", json_object_new_string("IfNotPresent"));
  if (f.name && *f.name) json_object_object_add(body, "name", json_object_new_string(f.name));
  json_object_object_add(body, "spec", spec);
  size_t len;
  const char *text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);

  front_sigproxy_start(socket);
  http_interrupted = front_sigproxy_forward;
  http_conn c;
  int err = http_connect(&c, socket);
  int rc;
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) rc = front_unreachable(socket, err, RUN_FAILED);
  else if (err) rc = FRONT_FALLBACK;
  else {
    if (http_request(&c, "POST", f.rm ? "/v1/containers/run?rm=1" : "/v1/containers/run", "application/json", text, len) < 0)
      rc = front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, RUN_FAILED);
    else rc = c.status >= 400 ? front_refused(&c, RUN_FAILED) : stream(&c, f.name && *f.name ? f.name : NULL);
    http_close(&c);
  }
  json_object_put(body);
  return rc;
}
