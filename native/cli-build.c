/* The native front's `build` (cli/verbs/build.ts) for a daemon on a unix socket, which reads the
 * context directory itself: the request names the context's path and sends no body, so an
 * unchanged rebuild costs this client one request and the daemon its cache-key checks. Flags:
 * -t/--tag, -f/--file, --build-arg, --target, --no-cache, --network, -q/--quiet, before or after
 * the one operand; anything else (another flag, "--", a context "-", two operands) is FRONT_FALLBACK.
 * The step lines, the steps' output, warnings and the last lines are printed as the Node CLI prints
 * them; an error exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "http-unix.h"
#include "io.h"

#define BUILD_FAILED 1
#define MAX_REPEATED 64

static const front_flag BUILD_FLAGS[] = {
    {'t', "tag", true}, {'f', "file", true}, {0, "build-arg", true}, {0, "target", true}, {0, "no-cache", false}, {0, "network", true}, {'q', "quiet", false},
};
struct build_flags {
  const char *tags[MAX_REPEATED], *args[MAX_REPEATED];
  size_t ntags, nargs;
  bool too_many, no_cache, quiet;
  const char *file, *target, *network;
};

static void build_flag(size_t which, const char *value, void *ctx) {
  struct build_flags *f = ctx;
  switch (which) {
  case 0:
    if (f->ntags == MAX_REPEATED) f->too_many = true;
    else f->tags[f->ntags++] = value;
    break;
  case 1: f->file = value; break;
  case 2:
    if (f->nargs == MAX_REPEATED) f->too_many = true;
    else f->args[f->nargs++] = value;
    break;
  case 3: f->target = value; break;
  case 4: f->no_cache = true; break;
  case 5: f->network = value; break;
  default: f->quiet = true;
  }
}

/* One name=value of a query as URLSearchParams writes it (application/x-www-form-urlencoded). */
static void query_add(char **q, size_t *len, size_t *cap, const char *name, const char *value) {
  size_t need = *len + strlen(name) + 3 * strlen(value) + 3;
  if (need > *cap) {
    *cap = need * 2;
    *q = realloc(*q, *cap);
    if (!*q) return;
  }
  char *o = *q + *len;
  o += sprintf(o, "%c%s=", *len ? '&' : '?', name);
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("*-._", *p)) *o++ = (char)*p;
    else if (*p == ' ') *o++ = '+';
    else o += sprintf(o, "%%%02X", *p);
  }
  *o = '\0';
  *len = (size_t)(o - *q);
}

static void out(int fd, const char *s) { write_all(fd, s, strlen(s)); }

/* One event of the build's stream, printed as cli/verbs/build.ts prints it. */
static int event(json_object *e, void *ctx) {
  bool quiet = *(bool *)ctx;
  const char *type = front_field(e, "type");
  if (!type) return 0;
  json_object *image = NULL, *tags = NULL, *v = NULL;
  bool done = strcmp(type, "done") == 0;
  if (done && !json_object_object_get_ex(e, "image", &image)) return 0;
  const char *id = done ? front_field(image, "id") : NULL;
  if (quiet) {
    if (done && id) out(1, id), out(1, "\n");
    return 0;
  }
  char *line = NULL;
  if (strcmp(type, "step") == 0) {
    bool cached = json_object_object_get_ex(e, "cached", &v) && json_object_get_boolean(v);
    const char *step = front_field(e, "step"), *steps = front_field(e, "steps"), *stage = front_field(e, "stage"), *text = front_field(e, "text");
    if (asprintf(&line, "STEP %s/%s [%s]: %s%s\n", step ? step : "undefined", steps ? steps : "undefined", stage ? stage : "undefined", text ? text : "undefined", cached ? "  CACHED" : "") >= 0) out(1, line);
  } else if (strcmp(type, "output") == 0) {
    const char *stream = front_field(e, "stream");
    if (json_object_object_get_ex(e, "text", &v)) write_all(stream && strcmp(stream, "stderr") == 0 ? 2 : 1, json_object_get_string(v), (size_t)json_object_get_string_len(v));
  } else if (strcmp(type, "warning") == 0) {
    const char *text = front_field(e, "text");
    if (asprintf(&line, "warning: %s\n", text ? text : "undefined") >= 0) out(2, line);
  } else if (done && id) {
    if (asprintf(&line, "Successfully built %.12s\n", strlen(id) > 7 ? id + 7 : "") >= 0) out(1, line);
    if (json_object_object_get_ex(image, "tags", &tags) && json_object_is_type(tags, json_type_array))
      for (size_t k = 0; k < json_object_array_length(tags); k++) {
        free(line), line = NULL;
        if (asprintf(&line, "Successfully tagged %s\n", json_object_get_string(json_object_array_get_idx(tags, k))) >= 0) out(1, line);
      }
  }
  free(line);
  return 0;
}

int front_build(int argc, char **argv, const char *socket) {
  struct build_flags f = {0};
  for (int k = 0; k < argc; k++)
    if (strcmp(argv[k], "--") == 0 || strcmp(argv[k], "-") == 0 || !front_utf8(argv[k])) return FRONT_FALLBACK;
  /* commander takes options on both sides of the operand. */
  int i = front_flags(argc, argv, BUILD_FLAGS, sizeof BUILD_FLAGS / sizeof *BUILD_FLAGS, build_flag, &f);
  if (i == FRONT_FALLBACK || i >= argc) return FRONT_FALLBACK;
  const char *context_arg = argv[i];
  int rest = front_flags(argc - i - 1, argv + i + 1, BUILD_FLAGS, sizeof BUILD_FLAGS / sizeof *BUILD_FLAGS, build_flag, &f);
  if (rest == FRONT_FALLBACK || rest != argc - i - 1 || f.too_many) return FRONT_FALLBACK;

  bool has_file = f.file && *f.file; /* -f "" is no -f, as `o.file ? … : undefined` */
  char *context = front_resolve_path(context_arg), *dockerfile = has_file ? front_resolve_path(f.file) : NULL;
  if (!context || (has_file && !dockerfile)) return free(context), free(dockerfile), FRONT_FALLBACK;
  struct stat st;
  if (stat(context, &st) < 0) {
    char *msg;
    if (asprintf(&msg, "build context %s does not exist", context_arg) >= 0) front_print_error(msg), free(msg);
    free(context), free(dockerfile);
    return BUILD_FAILED;
  }
  /* The query in cli/verbs/build.ts's order: t, buildarg, nocache, network, dockerfile, target, context. */
  size_t len = 0, cap = 256;
  char *q = malloc(cap);
  if (q) *q = '\0';
  for (size_t k = 0; q && k < f.ntags; k++) query_add(&q, &len, &cap, "t", f.tags[k]);
  for (size_t k = 0; q && k < f.nargs; k++) query_add(&q, &len, &cap, "buildarg", f.args[k]);
  if (q && f.no_cache) query_add(&q, &len, &cap, "nocache", "1");
  if (q) query_add(&q, &len, &cap, "network", f.network ? f.network : "default");
  if (q && dockerfile) query_add(&q, &len, &cap, "dockerfile", dockerfile);
  if (q && f.target && *f.target) query_add(&q, &len, &cap, "target", f.target);
  if (q) query_add(&q, &len, &cap, "context", context);
  free(context), free(dockerfile);
  char *target;
  if (!q || asprintf(&target, "/v1/build%s", q) < 0) return free(q), BUILD_FAILED;
  free(q);

  http_conn c;
  int err = http_connect(&c, socket), rc;
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) rc = front_unreachable(socket, err, BUILD_FAILED);
  else if (err) rc = FRONT_FALLBACK;
  else {
    if (http_request(&c, "POST", target, NULL, NULL, 0) < 0) rc = front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, BUILD_FAILED);
    else rc = c.status >= 400 ? front_refused(&c, BUILD_FAILED) : front_ndjson(&c, BUILD_FAILED, event, &f.quiet);
    http_close(&c);
  }
  free(target);
  return rc;
}
