/* The native front's `pull [-q] REF` when stderr is not a terminal (a terminal gets the Node CLI's
 * progress bars): POST /v1/images/pull, one line per layer state on stderr as it comes, then
 * Docker's last lines on stdout (cli/verbs/images.ts pull and showProgress). An error exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "http-unix.h"
#include "io.h"

#define PULL_FAILED 1

static const front_flag PULL_FLAGS[] = {{'q', "quiet", false}};

struct pull_state {
  bool quiet;
  json_object *last; /* the `done` line */
  char **said;       /* "id status" lines already printed */
  size_t nsaid;
};

static void set_quiet(size_t which, const char *value, void *ctx) {
  (void)which, (void)value;
  ((struct pull_state *)ctx)->quiet = true;
}

static const char *field(json_object *e, const char *name) {
  json_object *v = NULL;
  return json_object_object_get_ex(e, name, &v) && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

static void say(const char *line) { write_all(2, line, strlen(line)); }

static int event(json_object *e, void *ctx) {
  struct pull_state *s = ctx;
  if (!json_object_is_type(e, json_type_object)) return 0;
  const char *status = field(e, "status"), *id = field(e, "id"), *message = field(e, "message");
  if (status && strcmp(status, "done") == 0 && !(id && *id)) {
    json_object_put(s->last);
    s->last = json_object_get(e);
    return 0;
  }
  char *line = NULL;
  if (id && strcmp(id, "mirror") == 0) {
    if (asprintf(&line, "%s\n", message ? message : status ? status : "undefined") >= 0) say(line);
  } else if (!status || strcmp(status, "downloading") != 0) {
    char *key;
    if (asprintf(&key, "%s %s", id ? id : "undefined", status ? status : "undefined") < 0) return 0;
    for (size_t k = 0; k < s->nsaid; k++)
      if (strcmp(s->said[k], key) == 0) return free(key), 0;
    char **more = realloc(s->said, (s->nsaid + 1) * sizeof *more);
    if (!more) return free(key), 0;
    s->said = more;
    s->said[s->nsaid++] = key;
    const char *shown = !status ? "undefined" : strcmp(status, "exists") == 0 ? "already present" : status;
    if (asprintf(&line, "%s: %s\n", id ? id : "undefined", shown) >= 0) say(line);
  }
  free(line);
  return 0;
}

/* Docker's last lines: the digest, the status, the reference pulled. */
static int finish(struct pull_state *s) {
  json_object *image = NULL;
  if (!s->last || !json_object_object_get_ex(s->last, "image", &image) || !json_object_is_type(image, json_type_object)) {
    /* What the Node CLI's `res.image.digest` throws when the stream ended without its last line. */
    front_print_error("Cannot read properties of undefined (reading 'digest')");
    return PULL_FAILED;
  }
  const char *digest = field(image, "digest"), *ref = field(image, "ref");
  char *text;
  int n = s->quiet ? asprintf(&text, "%s\n", digest ? digest : "undefined")
                   : asprintf(&text, "Digest: %s\nStatus: Downloaded newer image for %s\n%s\n", digest ? digest : "undefined", ref ? ref : "undefined", ref ? ref : "undefined");
  if (n < 0) return PULL_FAILED;
  write_all(1, text, (size_t)n);
  free(text);
  return 0;
}

int front_pull(int argc, char **argv, const char *socket) {
  if (isatty(2)) return FRONT_FALLBACK; /* progress bars: cli-progress */
  struct pull_state s = {0};
  for (int k = 0; k < argc; k++)
    if (strcmp(argv[k], "--") == 0 || !front_utf8(argv[k])) return FRONT_FALLBACK;
  int i = front_flags(argc, argv, PULL_FLAGS, 1, set_quiet, &s);
  if (i == FRONT_FALLBACK || i >= argc) return FRONT_FALLBACK;
  int rest = front_flags(argc - i - 1, argv + i + 1, PULL_FLAGS, 1, set_quiet, &s);
  if (rest == FRONT_FALLBACK || rest != argc - i - 1) return FRONT_FALLBACK;
  json_object *body = json_object_new_object();
  json_object_object_add(body, "ref", json_object_new_string(argv[i]));
  size_t len;
  const char *text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
  http_conn c;
  int err = http_connect(&c, socket), rc;
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) rc = front_unreachable(socket, err, PULL_FAILED);
  else if (err) rc = FRONT_FALLBACK;
  else {
    if (http_request(&c, "POST", "/v1/images/pull", "application/json", text, len) < 0) rc = front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, PULL_FAILED);
    else if (c.status >= 400) rc = front_refused(&c, PULL_FAILED);
    else if ((rc = front_ndjson(&c, PULL_FAILED, event, &s)) == 0) rc = finish(&s);
    http_close(&c);
  }
  json_object_put(body);
  json_object_put(s.last);
  for (size_t k = 0; k < s.nsaid; k++) free(s.said[k]);
  free(s.said);
  return rc;
}
