/* The `berth` command's native front (cli-front.c): the verbs it answers itself, and what they share. */
#ifndef BERTH_CLI_FRONT_H
#define BERTH_CLI_FRONT_H
#include <stdbool.h>
#include <stddef.h>

/* A verb's answer when it hands the command to the Node CLI unchanged: it has not talked to the
 * daemon yet, so the Node CLI does everything as if the front were not there. */
#define FRONT_FALLBACK (-1000)

/* `exec NAME CMD…` without a terminal (cli-exec.c): args after the verb; the exit code, or FRONT_FALLBACK. */
int front_exec(int argc, char **argv, const char *socket);
/* An error as the Node CLI prints it (cli/action.ts printError): the lines of a message but the
 * last as they are, then "error: " and the last. */
void front_print_error(const char *msg);
/* The daemon cannot be reached (cli/client.ts #unreachable): printed; returns `exit_code`. */
int front_unreachable(const char *address, int err, int exit_code);
/* `run --rm [--name N] [--network N] IMAGE ARGS…` without a terminal (cli-run.c): as front_exec. */
int front_run(int argc, char **argv, const char *socket);
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
/* `logs [-f] [-t] [-n N] NAME` (cli-logs.c): as front_exec. */
int front_logs(int argc, char **argv, const char *socket);
/* `ps [-a] [-q] [--no-trunc]` (cli-ps.c): as front_exec. */
int front_ps(int argc, char **argv, const char *socket);
/* `build [-t T]… [-f F] [--build-arg K=V]… [--target S] [--no-cache] [--network N] [-q] CONTEXT` (cli-build.c): as front_exec. */
int front_build(int argc, char **argv, const char *socket);
/* `pull [-q] REF` with stderr not a terminal (cli-pull.c): as front_exec. */
int front_pull(int argc, char **argv, const char *socket);
/* path.resolve(p): absolute against the working directory, `.`, `..` and repeated or trailing
 * slashes taken out (lexically, symlinks left as they are); malloc'd, NULL when it does not fit. */
char *front_resolve_path(const char *p);
/* `apply -f FILE…` of regular files (cli-apply.c): as front_exec. */
int front_apply(int argc, char **argv, const char *socket);
/* The value of an option as commander takes it: the rest of the argument, else the next one (not a flag). */
const char *front_option_value(int argc, char **argv, int *i, const char *inline_value);

/* Docker's --sig-proxy (cli-sigproxy.c): handlers that note INT, TERM, HUP, QUIT, USR1, USR2; the
 * container they go to once known; what is noted sent on (after a wait is interrupted). */
void front_sigproxy_start(const char *socket);
void front_sigproxy_target(const char *name);
void front_sigproxy_forward(void);

/* `attach [--no-stdin] [--detach-keys K] [--sig-proxy=B] NAME` (cli-attach.c): as front_exec. */
int front_attach(int argc, char **argv, const char *socket);

/* An attached session spoken straight to a container's monitor (cli-attach-stream.c). */
typedef struct {
  int monitor; /* the monitor's attach socket */
  int watch;   /* a connection to the daemon whose answer (or end) pump returns for; -1: none */
  bool tty, stdin, stdin_once;
  bool handed; /* the monitor holds this client's terminal (front_stream_hand_over) */
  const unsigned char *detach_keys; /* terminal only */
  size_t n_detach_keys, matched;
  char buf[65536 + 8]; /* the monitor's frames not yet whole */
  size_t have;
} front_stream;
enum { STREAM_GOING, STREAM_ENDED, STREAM_DETACHED, STREAM_WATCHED };
/* This terminal raw (libuv's raw mode), restored by front_terminal_restore and by the signals that
 * end the client; false when stdin is not a terminal. */
bool front_terminal_raw(void);
void front_terminal_restore(void);
/* A container with a terminal: TERM and HUP end the client (143, 129), and the terminal's size is sent
 * now and on each SIGWINCH (a terminal on stdout). */
void front_stream_start(front_stream *s);
/* On a terminal with input: the terminal handed to the monitor (its keys and output relayed there). */
void front_stream_hand_over(front_stream *s);
/* The terminal back from the monitor: returns once the monitor no longer holds it (the shell that
 * reads it next must not lose a key to the monitor). */
void front_stream_release(front_stream *s);
/* Relays until the output ends (or stdin does, when that ends the attach), the detach keys are typed,
 * or `watch` is readable: STREAM_ENDED, STREAM_DETACHED, STREAM_WATCHED. */
int front_stream_pump(front_stream *s);

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
