/* The native front's `ps [-a] [-q] [--no-trunc]` (cli/verbs/ps.ts without --format, --filter, --last,
 * --latest, --size and -o, which go to the Node CLI): GET /v1/containers, newest first, printed as
 * Docker's table (specs/docker/ps.ts's status words and durations, specs/gotemplate/format.ts's
 * tabwriter with minwidth 10 and padding 3) or, with -q, the ids. Written in C, not handed to Node,
 * because `ps` is the verb people run in a loop: the front answers it in one request with no
 * interpreter to start. test/e2e/native-front.test.ts compares both outputs byte for byte. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "http-unix.h"
#include "io.h"

static const front_flag PS_FLAGS[] = {{'a', "all", false}, {'q', "quiet", false}, {0, "no-trunc", false}};
struct ps_flags {
  bool all, quiet, no_trunc;
};

static void ps_flag(size_t which, const char *value, void *ctx) {
  struct ps_flags *f = ctx;
  if (which == 0) f->all = true;
  else if (which == 1) f->quiet = true;
  else f->no_trunc = true;
}

/* Date.parse of the daemon's ISO times (2026-12-02T23:50:20.123Z), in ms; NAN when it is not one. */
static double parse_time(const char *iso) {
  struct tm tm = {0};
  int ms = 0, n = 0;
  if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6) return NAN;
  const char *rest = iso + n;
  if (*rest == '.') {
    int digits = 0;
    for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
      if (digits < 3) ms = ms * 10 + (*rest - '0');
    for (; digits < 3; digits++) ms *= 10;
  }
  if (strcmp(rest, "Z") != 0) return NAN;
  tm.tm_year -= 1900, tm.tm_mon -= 1;
  return (double)timegm(&tm) * 1000 + ms;
}

/* go-units' HumanDuration, as specs/docker/ps.ts humanDuration words it. */
static void human_duration(double ms, char *out, size_t size) {
  double s = floor(ms / 1000);
  if (s < 1) snprintf(out, size, "Less than a second");
  else if (s == 1) snprintf(out, size, "1 second");
  else if (s < 60) snprintf(out, size, "%.0f seconds", s);
  else if (floor(s / 60) == 1) snprintf(out, size, "About a minute");
  else if (floor(s / 60) < 60) snprintf(out, size, "%.0f minutes", floor(s / 60));
  else {
    double h = floor(ms / 3600000 + 0.5);
    if (h == 1) snprintf(out, size, "About an hour");
    else if (h < 48) snprintf(out, size, "%.0f hours", h);
    else if (h < 24 * 7 * 2) snprintf(out, size, "%.0f days", floor(h / 24));
    else if (h < 24 * 30 * 2) snprintf(out, size, "%.0f weeks", floor(h / 24 / 7));
    else if (h < 24 * 365 * 2) snprintf(out, size, "%.0f months", floor(h / 24 / 30));
    else snprintf(out, size, "%.0f years", floor(ms / 3600000 / 24 / 365));
  }
}

/* How long ago an ISO time was; a missing one is now (statusText's `since`). */
static void since(const char *iso, double now, char *out, size_t size) {
  human_duration(iso ? now - parse_time(iso) : 0, out, size);
}

/* specs/docker/ps.ts statusText: Docker's status words. */
static void status_text(json_object *s, double now, char *out, size_t size) {
  json_object *v = NULL;
  char ago[64];
  const char *state = front_field(s, "state"), *phase = front_field(s, "phase");
  if (!(json_object_object_get_ex(s, "managed", &v) && json_object_get_boolean(v))) {
    snprintf(out, size, "%s (not created by berth)", phase ? phase : "undefined");
    return;
  }
  bool has_exit = json_object_object_get_ex(s, "exitCode", &v) && json_object_is_type(v, json_type_int);
  long long exit_code = has_exit ? json_object_get_int64(v) : 0;
  if (state && strcmp(state, "running") == 0) {
    const char *health = front_field(s, "health");
    since(front_field(s, "startedAt"), now, ago, sizeof ago);
    if (!health || !*health) snprintf(out, size, "Up %s", ago);
    else snprintf(out, size, "Up %s (%s)", ago, strcmp(health, "starting") == 0 ? "health: starting" : health);
  } else if (state && strcmp(state, "paused") == 0) {
    since(front_field(s, "startedAt"), now, ago, sizeof ago);
    snprintf(out, size, "Up %s (Paused)", ago);
  } else if (state && strcmp(state, "restarting") == 0) {
    since(front_field(s, "finishedAt"), now, ago, sizeof ago);
    snprintf(out, size, "Restarting (%lld) %s ago", exit_code, ago);
  } else if (state && strcmp(state, "removing") == 0) snprintf(out, size, "Removal In Progress");
  else if (state && strcmp(state, "exited") == 0) {
    since(front_field(s, "finishedAt"), now, ago, sizeof ago);
    if (has_exit) snprintf(out, size, "Exited (%lld) %s ago", exit_code, ago);
    else snprintf(out, size, "Exited");
  } else snprintf(out, size, "Created");
}

/* Code points of UTF-8 text, as JavaScript's [...s].length counts them. */
static size_t code_points(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
  return n;
}

/* A growing string. */
typedef struct {
  char *p;
  size_t len, cap;
} buf;
static void put(buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (b->len + n + 1 > cap) cap *= 2;
    char *grown = realloc(b->p, cap);
    if (!grown) abort();
    b->p = grown, b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* The COMMAND cell: unescapeVars'd arguments joined by spaces, cut to 20 code points with "…" unless
 * --no-trunc, as a JSON string (JSON.stringify's escapes). */
static char *command_cell(json_object *s, bool trunc) {
  buf cmd = {0}, out = {0};
  puts_(&cmd, "");
  json_object *args = NULL;
  if (json_object_object_get_ex(s, "command", &args) && json_object_is_type(args, json_type_array))
    for (size_t k = 0; k < json_object_array_length(args); k++) {
      const char *a = json_object_get_string(json_object_array_get_idx(args, k));
      if (k) put(&cmd, " ", 1);
      for (; a && *a; a++) put(&cmd, a, 1), a += a[0] == '$' && a[1] == '$'; /* $$ → $ */
    }
  if (trunc && code_points(cmd.p) > 20) {
    size_t at = 0, seen = 0; /* the first 19 code points: up to where the 20th starts */
    for (; cmd.p[at]; at++)
      if ((cmd.p[at] & 0xc0) != 0x80 && seen++ == 19) break;
    cmd.len = at, cmd.p[at] = '\0';
    puts_(&cmd, "\xe2\x80\xa6");
  }
  put(&out, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)cmd.p; *c; c++) {
    char esc[8];
    if (*c == '"' || *c == '\\') esc[0] = '\\', esc[1] = (char)*c, put(&out, esc, 2);
    else if (*c == '\n') puts_(&out, "\\n");
    else if (*c == '\r') puts_(&out, "\\r");
    else if (*c == '\t') puts_(&out, "\\t");
    else if (*c == '\b') puts_(&out, "\\b");
    else if (*c == '\f') puts_(&out, "\\f");
    else if (*c < 0x20) snprintf(esc, sizeof esc, "\\u%04x", *c), puts_(&out, esc);
    else put(&out, (const char *)c, 1);
  }
  put(&out, "\"", 1);
  free(cmd.p);
  return out.p;
}

enum { COLUMNS = 7 };
static const char *HEADERS[COLUMNS] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"};

/* Newest first, as the Node CLI's sort by `created` (stable: the daemon's order among equals). */
typedef struct {
  json_object *s;
  const char *created;
  size_t at;
} entry;
static int newest_first(const void *a, const void *b) {
  const entry *x = a, *y = b;
  int c = strcmp(y->created ? y->created : "", x->created ? x->created : "");
  return c ? c : (x->at > y->at) - (x->at < y->at);
}

static void print_table(entry *items, size_t n, bool trunc) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  double now = (double)ts.tv_sec * 1000 + (double)(ts.tv_nsec / 1000000); /* Date.now() */
  char ***cells = calloc(n + 1, sizeof *cells);
  size_t width[COLUMNS];
  for (size_t c = 0; c < COLUMNS; c++) width[c] = 10; /* tabwriter's minwidth */
  for (size_t r = 0; r <= n; r++) {
    char **row = cells[r] = calloc(COLUMNS, sizeof *row);
    if (r == 0) {
      for (size_t c = 0; c < COLUMNS; c++) row[c] = strdup(HEADERS[c]);
    } else {
      json_object *s = items[r - 1].s, *ports = NULL;
      const char *id = front_field(s, "id"), *name = front_field(s, "name");
      char text[512];
      row[0] = strndup(id ? id : "", trunc ? 12 : SIZE_MAX);
      row[1] = strdup(front_field(s, "image") ? front_field(s, "image") : "");
      row[2] = command_cell(s, trunc);
      human_duration(now - parse_time(items[r - 1].created), text, sizeof text);
      if (asprintf(&row[3], "%s ago", text) < 0) abort();
      status_text(s, now, text, sizeof text);
      row[4] = strdup(text);
      buf p = {0};
      puts_(&p, "");
      if (json_object_object_get_ex(s, "ports", &ports) && json_object_is_type(ports, json_type_array))
        for (size_t k = 0; k < json_object_array_length(ports); k++) {
          if (k) puts_(&p, ", ");
          puts_(&p, json_object_get_string(json_object_array_get_idx(ports, k)));
        }
      row[5] = p.p;
      row[6] = name && *name ? strdup(name) : strndup(id ? id : "", 12);
    }
    for (size_t c = 0; c + 1 < COLUMNS; c++)
      if (code_points(row[c]) + 3 > width[c]) width[c] = code_points(row[c]) + 3; /* padding 3 */
  }
  buf out = {0};
  for (size_t r = 0; r <= n; r++) {
    for (size_t c = 0; c < COLUMNS; c++) {
      puts_(&out, cells[r][c]);
      for (size_t k = code_points(cells[r][c]); c + 1 < COLUMNS && k < width[c]; k++) put(&out, " ", 1);
      free(cells[r][c]);
    }
    put(&out, "\n", 1);
    free(cells[r]);
  }
  free(cells);
  write_all(1, out.p, out.len);
  free(out.p);
}

int front_ps(int argc, char **argv, const char *socket) {
  struct ps_flags f = {0};
  int i = front_flags(argc, argv, PS_FLAGS, sizeof PS_FLAGS / sizeof *PS_FLAGS, ps_flag, &f);
  if (i == FRONT_FALLBACK || i != argc) return FRONT_FALLBACK; /* ps takes no operands */
  http_conn c;
  int err = http_connect(&c, socket);
  if (err == ENOENT || err == ECONNREFUSED || err == EACCES || err == ENOTSOCK) return front_unreachable(socket, err, 1);
  if (err) return FRONT_FALLBACK;
  int rc = 0;
  if (http_request(&c, "GET", f.all ? "/v1/containers?all=1" : "/v1/containers", NULL, NULL, 0) < 0) rc = front_unreachable(socket, errno == EPIPE ? EPIPE : ECONNRESET, 1);
  else if (c.status >= 400) rc = front_refused(&c, 1);
  else {
    size_t len;
    char *text = front_read_body(&c, &len);
    json_object *body = text ? front_parse_json(text, len) : NULL, *list = NULL;
    if (!body || !json_object_object_get_ex(body, "items", &list) || !json_object_is_type(list, json_type_array)) {
      front_print_error("the daemon's container list is not {items: [...]}");
      rc = 1;
    } else {
      size_t n = json_object_array_length(list);
      entry *items = calloc(n ? n : 1, sizeof *items);
      for (size_t k = 0; k < n; k++) items[k] = (entry){json_object_array_get_idx(list, k), front_field(json_object_array_get_idx(list, k), "created"), k};
      qsort(items, n, sizeof *items, newest_first);
      if (f.quiet) {
        buf out = {0};
        puts_(&out, "");
        for (size_t k = 0; k < n; k++) {
          /* A container not created yet has no id: its name, so that `rm $(berth ps -aq)` still reaches it. */
          const char *id = front_field(items[k].s, "id"), *shown = id ? id : front_field(items[k].s, "name");
          put(&out, shown ? shown : "undefined", shown ? (f.no_trunc || !id ? strlen(shown) : strnlen(shown, 12)) : 9);
          put(&out, "\n", 1);
        }
        write_all(1, out.p, out.len);
        free(out.p);
      } else print_table(items, n, !f.no_trunc);
      free(items);
    }
    json_object_put(body);
    free(text);
  }
  http_close(&c);
  return rc;
}
