/* The streams of a process, served to the clients that attach to it (the daemon, on behalf of
 * `berth attach`, `run -it`, `exec -it`): what the process writes goes to every client, what a
 * client sends goes to the process's stdin (a pty master or a pipe), and resizes go to the pty.
 * berth-monitor serves a container's on its attach socket (clients come and go, the daemon may
 * restart); berth-exectty serves an exec's on its own stdio (one client).
 *
 * The wire is frames with Docker's 8-byte stdcopy header: [type, 0, 0, 0, length (u32, big
 * endian)] then the payload. To the client: 1 stdout, 2 stderr. From the client: 0 stdin, 3 resize
 * (rows, cols: u16 big endian each), 4 close stdin, 5 replay (the output since the start, once:
 * `run -it` attaches after the process started and must not lose its first prompt), 6 terminal.
 *
 * Terminal (6): a client on a terminal of its own hands it over (SCM_RIGHTS with the frame; the
 * payload is its detach keys): from then on the relay reads what is typed there and writes the
 * output there itself, and the client only waits — a typed key passes one relay instead of two
 * (`berth attach`'s native front: cli-attach.c). The relay answers 6 once it holds the terminal,
 * and 7 (detached) when the detach keys are typed there, and then hangs up; the client's end of
 * input (its terminal hung up) ends its attach. Its hangup ends the hand-over. */
#ifndef BERTH_RELAY_H
#define BERTH_RELAY_H
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

enum { FRAME_STDIN = 0, FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_RESIZE = 3, FRAME_CLOSE_STDIN = 4, FRAME_REPLAY = 5, FRAME_TERMINAL = 6, FRAME_DETACHED = 7 };
#define FRAME_MAX 65536
#define RELAY_MAX_CLIENTS 16
#define RELAY_MAX_KEYS 16
/* The most fds relay_pollfds adds: the listening socket, the input, each client's and its terminal. */
#define RELAY_MAX_FDS (2 + 2 * RELAY_MAX_CLIENTS)

typedef struct {
  int in, out;
  bool sock;     /* in is a unix socket (a terminal may come with a frame) */
  int received;  /* an fd that came with the frames read, for the frame it came with; -1: none */
  int term;      /* the client's own terminal, handed over (FRAME_TERMINAL); -1: none */
  unsigned char keys[RELAY_MAX_KEYS]; /* its detach keys */
  size_t n_keys, matched;
  char *buf; /* frames read and not yet handled */
  size_t have;
} relay_client;

typedef struct {
  int listen_fd; /* -1: no socket */
  int input;     /* the pty master or the stdin pipe's write end; -1: none (or closed) */
  int tty;       /* the pty master (resizes); -1: none */
  relay_client clients[RELAY_MAX_CLIENTS];
  size_t n_clients;
  char *pending; /* stdin the process has not taken yet: no client is read meanwhile */
  size_t pending_len;
  char *replay; /* the output since the start, until asked for once or too long */
  size_t replay_len;
} relay;

void relay_init(relay *r, int listen_fd, int input, int tty, bool keep_replay);
int relay_add_client(relay *r, int in, int out);
/* Adds the relay's fds to fds (at most max: RELAY_MAX_FDS is enough); returns how many. */
size_t relay_pollfds(relay *r, struct pollfd *fds, size_t max);
/* Handles what poll reported on the relay's fds. */
void relay_handle(relay *r, const struct pollfd *fds, size_t n);
/* Sends output of a stream (FRAME_STDOUT, FRAME_STDERR) to every client. */
void relay_output(relay *r, int stream, const char *buf, size_t n);
/* Ends every client's connection and the listening socket. */
void relay_close(relay *r);
#endif
