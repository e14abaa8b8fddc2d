/* The native front's `logs [-f] [-t] [-n N|--tail N] NAME` (cli/verbs/containers.ts logs, without
 * --since/--until/--details, which go to the Node CLI): GET /v1/containers/NAME/logs, its NDJSON
 * entries printed as they come, until the end (or, with -f, the container's). */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "http-unix.h"

static const front_flag LOGS_FLAGS[] = {{'f', "follow", false}, {'t', "timestamps", false}, {'n', "tail", true}};
struct logs_flags {
  bool follow, timestamps;
  const char *tail;
};

static void logs_flag(size_t which, const char *value, void *ctx) {
  struct logs_flags *f = ctx;
  if (which == 0) f->follow = true;
  else if (which == 1) f->timestamps = true;
  else f->tail = value;
}

static int entry(json_object *e, void *ctx) {
  front_print_log(e, ((struct logs_flags *)ctx)->timestamps);
  return 0;
}

int front_logs(int argc, char **argv, const char *socket) {
  struct logs_flags f = {0};
  int i = front_flags(argc, argv, LOGS_FLAGS, sizeof LOGS_FLAGS / sizeof *LOGS_FLAGS, logs_flag, &f);
  /* One operand, the name, as it goes into the path (the Node CLI does not encode it). */
  if (i == FRONT_FALLBACK || argc - i != 1) return FRONT_FALLBACK;
  const char *name = argv[i];
  if (!front_plain_name(name)) return FRONT_FALLBACK;
  /* --tail as URLSearchParams writes it: a number or "all" needs no encoding; an empty one is left out. */
  if (f.tail && *f.tail && strspn(f.tail, "0123456789") != strlen(f.tail) && strcmp(f.tail, "all") != 0) return FRONT_FALLBACK;
  const char *tail = f.tail && *f.tail ? f.tail : NULL;
  char target[PATH_MAX];
  snprintf(target, sizeof target, "/v1/containers/%s/logs%s%s%s%s", name, f.follow || tail ? "?" : "", f.follow ? "follow=1" : "", f.follow && tail ? "&" : "", tail ? "tail=" : "");
  if (tail) strncat(target, tail, sizeof target - strlen(target) - 1);
  http_conn c;
  int err = http_connect(&c, socket);
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) return front_unreachable(socket, err, 1);
  if (err) return FRONT_FALLBACK;
  int rc;
  if (http_request(&c, "GET", target, NULL, NULL, 0) < 0) rc = front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, 1);
  else rc = c.status >= 400 ? front_refused(&c, 1) : front_ndjson(&c, 1, entry, &f);
  http_close(&c);
  return rc;
}
