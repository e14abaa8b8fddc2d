/* The native front's `exec` without a terminal: what cli/commands/containers.ts's exec and
 * cli/verbs/containers.ts's exec do, for the arguments commander would take the same way, in one
 * request to POST /v1/containers/NAME/exec?stream=1 (specs/streams/exec-stream.ts). Anything else
 * (-i, -t, --env-file, help, an unknown flag, a name that is not plain) is FRONT_FALLBACK. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "http-unix.h"
#include "io.h"

enum { FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_EXEC_END = 3 };

/* The streamed exec's frames: output written out, the end's exit code or error. */
static int stream(http_conn *c) {
  static char buf[65536 + 8];
  size_t have = 0;
  json_object *end = NULL;
  for (;;) {
    ssize_t r = http_read_body(c, buf + have, sizeof buf - have);
    if (r <= 0) break;
    have += (size_t)r;
    size_t at = 0;
    while (have - at >= 8) {
      unsigned char *h = (unsigned char *)buf + at;
      uint32_t len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
      if (len > 65536 && h[0] != FRAME_EXEC_END) return front_print_error("the daemon sent an exec frame larger than 64 KiB"), 1;
      if (have - at < 8 + (size_t)len) {
        if (8 + (size_t)len > sizeof buf) return front_print_error("the daemon sent an exec frame larger than 64 KiB"), 1;
        break;
      }
      const char *p = buf + at + 8;
      if (h[0] == FRAME_STDOUT) write_all(1, p, len);
      else if (h[0] == FRAME_STDERR) write_all(2, p, len);
      else if (h[0] == FRAME_EXEC_END) {
        json_object_put(end);
        end = front_parse_json(p, len);
      }
      at += 8 + len;
    }
    memmove(buf, buf + at, have - at);
    have -= at;
  }
  json_object *e = NULL, *code = NULL;
  int rc;
  if (!end) rc = (front_print_error("the daemon ended the exec's stream before its exit code (did it stop?)"), 1);
  else if (json_object_object_get_ex(end, "error", &e)) front_print_api_error(e), rc = 1;
  else rc = json_object_object_get_ex(end, "exitCode", &code) ? json_object_get_int(code) & 0xff : 0;
  json_object_put(end);
  return rc;
}

static const front_flag EXEC_FLAGS[] = {{'e', "env", true}, {'u', "user", true}, {'w', "workdir", true}};
struct exec_flags {
  json_object *env;
  const char *user, *workdir;
};

static void exec_flag(size_t which, const char *value, void *ctx) {
  struct exec_flags *f = ctx;
  if (which == 0) json_object_array_add(f->env, json_object_new_string(value));
  else if (which == 1) f->user = value;
  else f->workdir = value;
}

int front_exec(int argc, char **argv, const char *socket) {
  struct exec_flags f = {json_object_new_array(), NULL, NULL};
  json_object *env = f.env;
  int i = front_flags(argc, argv, EXEC_FLAGS, sizeof EXEC_FLAGS / sizeof *EXEC_FLAGS, exec_flag, &f);
  if (i == FRONT_FALLBACK) return json_object_put(env), FRONT_FALLBACK;
  const char *user = f.user, *workdir = f.workdir;
  /* NAME and at least one word of the command; the name goes into the path as it is. */
  if (argc - i < 2) return json_object_put(env), FRONT_FALLBACK;
  const char *name = argv[i];
  if (!front_plain_name(name)) return json_object_put(env), FRONT_FALLBACK;
  for (int k = 0; k < argc; k++)
    if (!front_utf8(argv[k])) return json_object_put(env), FRONT_FALLBACK;
  json_object *body = json_object_new_object(), *args = json_object_new_array();
  for (int k = i + 1; k < argc; k++) json_object_array_add(args, json_object_new_string(argv[k]));
  json_object_object_add(body, "args", args);
  if (json_object_array_length(env)) json_object_object_add(body, "env", env);
  else json_object_put(env);
  if (user && *user) json_object_object_add(body, "user", json_object_new_string(user));
  if (workdir && *workdir) json_object_object_add(body, "cwd", json_object_new_string(workdir));
  size_t len;
  const char *text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);

  http_conn c;
  int err = http_connect(&c, socket);
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) return json_object_put(body), front_unreachable(socket, err, 1);
  if (err) return json_object_put(body), FRONT_FALLBACK;
  char target[PATH_MAX];
  snprintf(target, sizeof target, "/v1/containers/%s/exec?stream=1", name);
  int rc;
  if (http_request(&c, "POST", target, "application/json", text, len) < 0) {
    /* Sent or not, the daemon went away: as the Node CLI says it (EPIPE, ECONNRESET). */
    rc = front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, 1);
  } else rc = c.status >= 400 ? front_refused(&c, 1) : stream(&c);
  http_close(&c);
  json_object_put(body);
  return rc;
}
