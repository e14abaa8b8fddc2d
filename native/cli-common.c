/* What the native front's verbs share (cli-common.h): arguments as commander takes them, JSON as the
 * Node CLI reads it, the API's errors as it prints them. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli-common.h"
#include "http-unix.h"
#include "io.h"

bool front_plain_name(const char *name) {
  return *name && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(name);
}

bool front_utf8(const char *s) {
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

const char *front_option_value(int argc, char **argv, int *i, const char *inline_value) {
  if (inline_value) return inline_value;
  if (*i + 1 >= argc || argv[*i + 1][0] == '-') return NULL;
  return argv[++*i];
}

/* path.resolve(p): absolute against the working directory, `.`, `..` and repeated or trailing
 * slashes taken out (lexically, symlinks left as they are). NULL when it does not fit. */
char *front_resolve_path(const char *p) {
  char cwd[PATH_MAX];
  if (p[0] != '/' && !getcwd(cwd, sizeof cwd)) return NULL;
  char *joined;
  if (asprintf(&joined, "%s/%s", p[0] == '/' ? "" : cwd, p) < 0) return NULL;
  size_t len = strlen(joined);
  char *out = malloc(len + 2), *o = out;
  if (!out) return free(joined), NULL;
  *o = '\0';
  for (char *save = NULL, *part = strtok_r(joined, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
    if (strcmp(part, ".") == 0) continue;
    if (strcmp(part, "..") == 0) {
      char *slash = strrchr(out, '/');
      o = slash ? slash : out;
      *o = '\0';
      continue;
    }
    o += sprintf(o, "/%s", part);
  }
  if (o == out) strcpy(out, "/");
  free(joined);
  return out;
}

json_object *front_parse_json(const char *text, size_t len) {
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

const char *front_field(json_object *o, const char *key) {
  json_object *v = NULL;
  return json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

void front_print_api_error(json_object *e) {
  json_object *m = NULL;
  front_print_error(json_object_object_get_ex(e, "message", &m) && json_object_is_type(m, json_type_string) ? json_object_get_string(m) : "unknown error");
}

char *front_read_body(http_conn *c, size_t *len) {
  size_t cap = 65536;
  char *text = malloc(cap + 1), *grown;
  ssize_t r;
  *len = 0;
  while (text && (r = http_read_body(c, text + *len, cap - *len)) > 0)
    if ((*len += (size_t)r) == cap) {
      if (!(grown = realloc(text, (cap *= 2) + 1))) return free(text), NULL;
      text = grown;
    }
  if (text) text[*len] = '\0';
  return text;
}

int front_refused(http_conn *c, int exit_code) {
  size_t len;
  char *text = front_read_body(c, &len);
  if (!text) return exit_code;
  json_object *body = front_parse_json(text, len), *e = NULL;
  int rc;
  if (body && json_object_is_type(body, json_type_object) && json_object_object_get_ex(body, "error", &e) && json_object_is_type(e, json_type_object)) front_print_api_error(e), rc = exit_code;
  else {
    /* text.slice(0, 500) counts UTF-16 units; the daemon's answers are ASCII, which is all this cuts right. */
    char *msg;
    if (asprintf(&msg, "daemon answered %d: %.500s", c->status, text) < 0) return exit_code;
    front_print_error(msg);
    free(msg);
    rc = exit_code;
  }
  json_object_put(body);
  free(text);
  return rc;
}

int front_flags(int argc, char **argv, const front_flag *flags, size_t n, void (*on)(size_t which, const char *value, void *ctx), void *ctx) {
  int i = 0;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) return i + 1;
    if (a[0] != '-' || a[1] == '\0') return i;
    const char *inline_value = NULL;
    size_t k = 0;
    if (a[1] == '-') {
      const char *eq = strchr(a + 2, '=');
      size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
      while (k < n && !(flags[k].long_name && strlen(flags[k].long_name) == len && strncmp(flags[k].long_name, a + 2, len) == 0)) k++;
      if (eq) inline_value = eq + 1;
    } else {
      /* -aq: switches in a row, as commander splits them, until one that takes the rest as its value. */
      for (;;) {
        k = 0;
        while (k < n && flags[k].short_name != a[1]) k++;
        if (k == n || flags[k].takes_value || !a[2]) break;
        on(k, "", ctx);
        a++;
      }
      if (a[2]) inline_value = a + 2;
    }
    if (k == n) return FRONT_FALLBACK;
    if (!flags[k].takes_value) {
      /* A switch alone ("--rm"): its other spellings are left to commander. */
      if (inline_value) return FRONT_FALLBACK;
      on(k, "", ctx);
      continue;
    }
    const char *v = front_option_value(argc, argv, &i, inline_value);
    if (!v) return FRONT_FALLBACK;
    on(k, v, ctx);
  }
  return i;
}

void front_print_log(json_object *e, bool timestamps) {
  json_object *log = NULL, *stream = NULL, *time = NULL;
  if (!json_object_object_get_ex(e, "log", &log)) return;
  int fd = json_object_object_get_ex(e, "stream", &stream) && strcmp(json_object_get_string(stream), "stderr") == 0 ? 2 : 1;
  if (timestamps && json_object_object_get_ex(e, "time", &time)) {
    write_all(fd, json_object_get_string(time), (size_t)json_object_get_string_len(time));
    write_all(fd, " ", 1);
  }
  write_all(fd, json_object_get_string(log), (size_t)json_object_get_string_len(log));
}

static bool blank(const char *p, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (!strchr(" \t\r\n", p[k]) || !p[k]) return false;
  return true;
}

/* One line: the stream's error, or the value for `on`. */
static int ndjson_line(const char *text, size_t len, int error_exit, int (*on)(json_object *, void *), void *ctx) {
  if (blank(text, len)) return 0; /* the Node CLI trims each line and skips an empty one */
  json_object *e = front_parse_json(text, len), *v = NULL;
  if (!e) return front_print_error("the daemon sent a line that is not JSON"), error_exit;
  int rc;
  /* {"error": {...}} alone ends the stream with that error (cli/client.ts streamError). */
  if (json_object_is_type(e, json_type_object) && json_object_object_length(e) == 1 && json_object_object_get_ex(e, "error", &v) && json_object_is_type(v, json_type_object))
    front_print_api_error(v), rc = error_exit;
  else rc = on(e, ctx);
  json_object_put(e);
  return rc;
}

int front_ndjson(http_conn *c, int error_exit, int (*on)(json_object *value, void *ctx), void *ctx) {
  size_t cap = 65536, have = 0;
  char *buf = malloc(cap);
  int rc = 0;
  ssize_t r;
  while (buf && rc == 0 && (r = http_read_body(c, buf + have, cap - have)) > 0) {
    have += (size_t)r;
    size_t at = 0;
    char *nl;
    while (rc == 0 && (nl = memchr(buf + at, '\n', have - at))) {
      size_t len = (size_t)(nl - buf - at);
      rc = ndjson_line(buf + at, len, error_exit, on, ctx);
      at += len + 1;
    }
    memmove(buf, buf + at, have - at);
    have -= at;
    if (have == cap && !(buf = realloc(buf, cap *= 2))) break;
  }
  if (rc == 0 && buf && have) rc = ndjson_line(buf, have, error_exit, on, ctx);
  free(buf);
  return rc;
}

void front_print_error(const char *msg) {
  const char *last = strrchr(msg, '\n');
  size_t head = last ? (size_t)(last - msg) + 1 : 0;
  const char *tail = last ? last + 1 : msg;
  size_t n = head + strlen("error: ") + strlen(tail) + 1;
  char *out = malloc(n + 1);
  if (!out) return;
  snprintf(out, n + 1, "%.*serror: %s\n", (int)head, msg, tail);
  write_all(2, out, n);
  free(out);
}

int front_unreachable(const char *address, int err, int exit_code) {
  const char *code = err == ENOENT ? "ENOENT" : err == ECONNREFUSED ? "ECONNREFUSED" : err == EACCES ? "EACCES" : err == ENOTSOCK ? "ENOTSOCK" : err == EPIPE ? "EPIPE" : "ECONNRESET";
  char msg[PATH_MAX + 256];
  snprintf(msg, sizeof msg, "cannot reach the berth daemon at %s: is `berth daemon` running? (%s; set --socket or BERTH_SOCKET)", address, code);
  front_print_error(msg);
  return exit_code;
}
