/* What the native front's verbs share (cli-common.c): the hand-over to the Node CLI, errors as the
 * Node CLI prints them, JSON and answers from the daemon, flags as commander reads them. */
#ifndef BERTH_CLI_COMMON_H
#define BERTH_CLI_COMMON_H
#include <stdbool.h>
#include <stddef.h>

/* A verb's answer when it hands the command to the Node CLI unchanged: it has not talked to the
 * daemon yet, so the Node CLI does everything as if the front were not there. */
#define FRONT_FALLBACK (-1000)

/* An error as the Node CLI prints it (cli/action.ts printError): the lines of a message but the
 * last as they are, then "error: " and the last. */
void front_print_error(const char *msg);
/* The daemon cannot be reached (cli/client.ts #unreachable): printed; returns `exit_code`. */
int front_unreachable(const char *address, int err, int exit_code);
/* Valid UTF-8, which the front sends as it is (the Node CLI would send U+FFFD for a byte that is not). */
bool front_utf8(const char *s);
/* A container name the front puts into a path as it is (letters, digits, `_`, `.`, `-`; the Node CLI
 * does not encode it): anything else is handed to the Node CLI. */
bool front_plain_name(const char *name);
/* JSON that is the whole of text[0..len) but white space, as JSON.parse takes it; NULL otherwise. */
struct json_object *front_parse_json(const char *text, size_t len);
/* A member's value as text (a number as JSON writes it), or NULL when absent or null (what
 * JavaScript's `?? …` treats as missing). */
const char *front_field(struct json_object *o, const char *key);
/* {kind, message} of an API error, printed as the Node CLI prints the error errorFromJSON makes of it. */
void front_print_api_error(struct json_object *e);
struct http_conn;
/* The whole body of an answer, NUL-terminated (its length in *len); NULL when memory ran out. */
char *front_read_body(struct http_conn *c, size_t *len);
/* An answer >= 400: its {error} (cli/client.ts send), or what it said; printed; returns `exit_code`. */
int front_refused(struct http_conn *c, int exit_code);
/* A log entry {time, stream, log} as cli/print-log.ts prints it. */
void front_print_log(struct json_object *e, bool timestamps);
/* An NDJSON body, each value to `on` as it comes (a blank line skipped, an {error} line printed and
 * `error_exit`): `on`'s first non-zero answer, or 0 at the end. */
int front_ndjson(struct http_conn *c, int error_exit, int (*on)(struct json_object *value, void *ctx), void *ctx);
/* path.resolve(p): absolute against the working directory, `.`, `..` and repeated or trailing
 * slashes taken out (lexically, symlinks left as they are); malloc'd, NULL when it does not fit. */
char *front_resolve_path(const char *p);
/* The value of an option as commander takes it: the rest of the argument, else the next one (not a flag). */
const char *front_option_value(int argc, char **argv, int *i, const char *inline_value);

/* A flag of a verb: -x, --name; a switch, or one with a value. */
typedef struct {
  char short_name; /* 0: none */
  const char *long_name;
  bool takes_value;
} front_flag;
/* The flags before a verb's first operand, as commander reads them (-eV, -e V, --env=V, --env V, "--"
 * ending them): `on` gets each (its index in flags, its value; "" for a switch). Returns the index of
 * the first operand, or FRONT_FALLBACK for a flag not in flags or a form left to commander. */
int front_flags(int argc, char **argv, const front_flag *flags, size_t n, void (*on)(size_t which, const char *value, void *ctx), void *ctx);
#endif
