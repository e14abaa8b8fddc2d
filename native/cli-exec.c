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
#include "cli-front.h"
#include "http-unix.h"
#include "io.h"

enum { FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_EXEC_END = 3 };

/* Valid UTF-8 (the Node CLI would send U+FFFD for a byte that is not; the front leaves that case to it). */
static bool utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 3 : -1;
    if (n < 0) return false;
    p++;
    for (int i = 0; i < n; i++, p++)
      if ((*p & 0xc0) != 0x80) return false;
  }
  return true;
}

/* commander's value of a short or long option: the rest of the argument, or the next one. */
static const char *value(int argc, char **argv, int *i, const char *inline_value) {
  if (inline_value) return inline_value;
  if (*i + 1 >= argc || argv[*i + 1][0] == '-') return NULL;
  return argv[++*i];
}

/* The JSON at text (the whole of it), or NULL. */
static json_object *parse(const char *text, size_t len) {
  json_tokener *tok = json_tokener_new();
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  json_object *o = json_tokener_parse_ex(tok, text, (int)len);
  /* Only white space after it, as JSON.parse takes (text is not NUL-terminated: a frame's payload). */
  for (size_t k = o ? json_tokener_get_parse_end(tok) : len; k < len; k++)
    if (!strchr(" \t\r\n", text[k]) || !text[k]) {
      json_object_put(o), o = NULL;
      break;
    }
  json_tokener_free(tok);
  return o;
}

/* {kind, message} as errorFromJSON reads it; 1. */
static int print_api_error(json_object *e) {
  json_object *m = NULL;
  front_print_error(json_object_object_get_ex(e, "message", &m) && json_object_is_type(m, json_type_string) ? json_object_get_string(m) : "unknown error");
  return 1;
}

/* An answer >= 400: its {error} (cli/client.ts send), or what it said. */
static int refused(http_conn *c) {
  size_t cap = 65536, len = 0;
  char *text = malloc(cap + 1);
  ssize_t r;
  while (text && (r = http_read_body(c, text + len, cap - len)) > 0)
    if ((len += (size_t)r) == cap && !(text = realloc(text, (cap *= 2) + 1))) break;
  if (!text) return 1;
  text[len] = '\0';
  json_object *body = parse(text, len), *e = NULL;
  int rc;
  if (body && json_object_is_type(body, json_type_object) && json_object_object_get_ex(body, "error", &e) && json_object_is_type(e, json_type_object)) rc = print_api_error(e);
  else {
    /* text.slice(0, 500) counts UTF-16 units; the daemon's answers are ASCII, which is all this cuts right. */
    char *msg;
    if (asprintf(&msg, "daemon answered %d: %.500s", c->status, text) < 0) return 1;
    front_print_error(msg);
    free(msg);
    rc = 1;
  }
  json_object_put(body);
  free(text);
  return rc;
}

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
        end = parse(p, len);
      }
      at += 8 + len;
    }
    memmove(buf, buf + at, have - at);
    have -= at;
  }
  json_object *e = NULL, *code = NULL;
  int rc;
  if (!end) rc = (front_print_error("the daemon ended the exec's stream before its exit code (did it stop?)"), 1);
  else if (json_object_object_get_ex(end, "error", &e)) rc = print_api_error(e);
  else rc = json_object_object_get_ex(end, "exitCode", &code) ? json_object_get_int(code) & 0xff : 0;
  json_object_put(end);
  return rc;
}

int front_exec(int argc, char **argv, const char *socket) {
  json_object *env = json_object_new_array();
  const char *user = NULL, *workdir = NULL;
  int i = 0;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break;
    char opt;
    const char *inline_value = NULL;
    if (a[1] == '-') {
      const char *eq = strchr(a, '=');
      size_t n = eq ? (size_t)(eq - a) : strlen(a);
      if (n == 5 && strncmp(a, "--env", n) == 0) opt = 'e';
      else if (n == 6 && strncmp(a, "--user", n) == 0) opt = 'u';
      else if (n == 9 && strncmp(a, "--workdir", n) == 0) opt = 'w';
      else return json_object_put(env), FRONT_FALLBACK;
      if (eq) inline_value = eq + 1;
    } else {
      opt = a[1];
      if (a[2]) inline_value = a + 2;
    }
    if (opt != 'e' && opt != 'u' && opt != 'w') return json_object_put(env), FRONT_FALLBACK;
    const char *v = value(argc, argv, &i, inline_value);
    if (!v) return json_object_put(env), FRONT_FALLBACK;
    if (opt == 'e') json_object_array_add(env, json_object_new_string(v));
    else if (opt == 'u') user = v;
    else workdir = v;
  }
  /* NAME and at least one word of the command; the name goes into the path as it is. */
  if (argc - i < 2) return json_object_put(env), FRONT_FALLBACK;
  const char *name = argv[i];
  if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(name)) return json_object_put(env), FRONT_FALLBACK;
  for (int k = 0; k < argc; k++)
    if (!utf8(argv[k])) return json_object_put(env), FRONT_FALLBACK;
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
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) return json_object_put(body), front_unreachable(socket, err);
  if (err) return json_object_put(body), FRONT_FALLBACK;
  char target[PATH_MAX];
  snprintf(target, sizeof target, "/v1/containers/%s/exec?stream=1", name);
  int rc;
  if (http_request(&c, "POST", target, "application/json", text, len) < 0) {
    /* Sent or not, the daemon went away: as the Node CLI says it (EPIPE, ECONNRESET). */
    rc = front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET);
  } else rc = c.status >= 400 ? refused(&c) : stream(&c);
  http_close(&c);
  json_object_put(body);
  return rc;
}
