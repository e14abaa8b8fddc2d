/* An attached session spoken straight to a container's monitor (cli-attach-stream.c). */
#ifndef BERTH_CLI_ATTACH_STREAM_H
#define BERTH_CLI_ATTACH_STREAM_H
#include <stdbool.h>
#include <stddef.h>

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
#endif
