/* The native front's `apply -f FILE [-f FILE]…` of regular files (cli/verbs/manifests.ts apply
 * without --dry-run, --prune, -o, --wait or --timeout, and without a directory or stdin, which go
 * to the Node CLI): POST /v1/apply with each file's path (resolved as path.resolve does) and text;
 * the daemon parses and checks them (file:line:col errors, nothing applied if any is invalid) and
 * says what it did, printed as "kind/name action", its warnings on stderr. In C because apply is
 * what a user (or a script, or a watched-directory tool) runs again and again: no interpreter to
 * start before the one request. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "http-unix.h"
#include "io.h"

#define MAX_FILES 64

static const front_flag APPLY_FLAGS[] = {{'f', "filename", true}};
struct apply_flags {
  const char *files[MAX_FILES];
  size_t n;
  bool too_many;
};

static void apply_flag(size_t which, const char *value, void *ctx) {
  struct apply_flags *f = ctx;
  if (f->n == MAX_FILES) f->too_many = true;
  else f->files[f->n++] = value;
}

/* A regular file's whole text, when it is UTF-8 without NUL (what readFile(f, 'utf8') gives back
 * unchanged); NULL otherwise, and the Node CLI reads it (or says why it cannot). */
static char *read_text(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) return fd >= 0 ? close(fd) : 0, NULL;
  size_t n = (size_t)st.st_size;
  char *text = malloc(n + 1);
  int r = text ? read_full(fd, text, n) : -1;
  close(fd);
  if (r < 0) return free(text), NULL;
  text[n] = '\0';
  if (memchr(text, '\0', n) || !front_utf8(text)) return free(text), NULL;
  *len = n;
  return text;
}

static void print_outcome(json_object *out) {
  json_object *list = NULL;
  if (json_object_object_get_ex(out, "warnings", &list) && json_object_is_type(list, json_type_array))
    for (size_t k = 0; k < json_object_array_length(list); k++) {
      char *line;
      if (asprintf(&line, "Warning: %s\n", json_object_get_string(json_object_array_get_idx(list, k))) >= 0) write_all(2, line, strlen(line)), free(line);
    }
  if (!json_object_object_get_ex(out, "results", &list) || !json_object_is_type(list, json_type_array)) return;
  for (size_t k = 0; k < json_object_array_length(list); k++) {
    json_object *r = json_object_array_get_idx(list, k);
    const char *kind = front_field(r, "kind"), *name = front_field(r, "name"), *action = front_field(r, "action");
    char *line, *lower = strdup(kind ? kind : "");
    for (char *p = lower; p && *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p); /* kinds are ASCII */
    if (lower && asprintf(&line, "%s/%s %s\n", lower, name ? name : "undefined", action ? action : "undefined") >= 0)
      write_all(1, line, strlen(line)), free(line);
    free(lower);
  }
}

int front_apply(int argc, char **argv, const char *socket) {
  struct apply_flags f = {0};
  int i = front_flags(argc, argv, APPLY_FLAGS, 1, apply_flag, &f);
  if (i == FRONT_FALLBACK || i != argc || f.too_many || f.n == 0) return FRONT_FALLBACK;
  /* Every file read first, as the Node CLI does before it asks the daemon anything. */
  json_object *documents = json_object_new_array();
  for (size_t k = 0; k < f.n; k++) {
    size_t len;
    char *path = strcmp(f.files[k], "-") == 0 ? NULL : front_resolve_path(f.files[k]);
    char *text = path ? read_text(path, &len) : NULL;
    if (!text) return free(path), json_object_put(documents), FRONT_FALLBACK;
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "file", json_object_new_string(path));
    json_object_object_add(doc, "text", json_object_new_string_len(text, (int)len));
    json_object_array_add(documents, doc);
    free(path), free(text);
  }
  json_object *body = json_object_new_object();
  json_object_object_add(body, "documents", documents);
  json_object_object_add(body, "dryRun", json_object_new_boolean(false));
  size_t len;
  const char *text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);

  http_conn c;
  int err = http_connect(&c, socket), rc = 0;
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) rc = front_unreachable(socket, err, 1);
  else if (err) rc = FRONT_FALLBACK;
  else {
    if (http_request(&c, "POST", "/v1/apply", "application/json", text, len) < 0) rc = front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, 1);
    else if (c.status >= 400) rc = front_refused(&c, 1);
    else {
      size_t n;
      char *answer = front_read_body(&c, &n);
      json_object *out = answer ? front_parse_json(answer, n) : NULL;
      if (out) print_outcome(out);
      else front_print_error("the daemon's answer to apply is not JSON"), rc = 1;
      json_object_put(out);
      free(answer);
    }
    http_close(&c);
  }
  json_object_put(body);
  return rc;
}
