/* berth-cli: the `berth` command's native front. bin/berth (a shell script) runs it when it is built;
 * it answers the verbs a user waits on most in C and hands every other command, unchanged, to the
 * Node CLI (execve of node with bin/berth: the same arguments, environment and exit codes).
 *
 * Why: Node's own start costs 100+ ms on a small host, more than `docker exec` takes whole, so no
 * CLI in Node can be faster than Docker's on these verbs. What the front answers, it answers byte for
 * byte as the Node CLI does (stdout, stderr, exit code; test/cli/native-front.test.ts compares them);
 * anything it does not fully understand (a flag it does not know, a TCP address, BERTH_DEBUG, help)
 * goes to the Node CLI before the daemon has been asked anything.
 *
 *   berth --version | -v            the version in package.json
 *   berth [--socket S] exec [-e K=V]… [-u USER] [-w DIR] NAME CMD…  (also `container exec`)
 *                                   one request, the output streamed, the process's exit code
 *   berth [--socket S] run [--rm] [--name N] [--network N] IMAGE ARGS…   (also `container run`)
 *                                   one request: the container made, started, its output streamed, its exit code
 *   berth [--socket S] logs [-f] [-t] [-n N] NAME   (also `container logs`)
 *   berth [--socket S] attach [--no-stdin] [--detach-keys K] [--sig-proxy=B] NAME   (also `container attach`)
 *                                   this terminal relayed to the container's monitor itself, when
 *                                   this client may open its socket (cli-attach.c)
 *   berth [--socket S] build [-t T]… [-f F] [--build-arg K=V]… [--target S] [--no-cache] [--network N] [-q] CONTEXT
 *                                   (also `image build`) one request naming the context directory, the daemon reads it
 *   berth [--socket S] pull [-q] REF   (also `image pull`; stderr not a terminal) one request, its progress lines */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli-common.h"
#include "cli-verbs.h"
#include "io.h"

#define DEFAULT_SOCKET "/run/berth/berth.sock"

/* The checkout: this program is <repo>/native/build/berth-cli. */
static char repo[PATH_MAX];

static bool find_repo(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return false;
  self[n] = '\0';
  const char *tail = "/native/build/berth-cli";
  size_t t = strlen(tail);
  if ((size_t)n <= t || strcmp(self + n - t, tail) != 0) return false;
  snprintf(repo, sizeof repo, "%.*s", (int)((size_t)n - t), self);
  return true;
}

/* The Node CLI, as bin/berth runs it without the front (the heap flag and the malloc setting:
 * bin/berth says why). */
static int fallback(int argc, char **argv) {
  char script[PATH_MAX + 16];
  snprintf(script, sizeof script, "%s/bin/berth", repo);
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) return perror("berth"), 1;
  args[0] = "node";
  args[1] = "--max-semi-space-size=1";
  args[2] = script;
  for (int i = 1; i < argc; i++) args[i + 2] = argv[i];
  setenv("MALLOC_TRIM_THRESHOLD_", "131072", 0);
  execvp("node", args);
  fprintf(stderr, "berth: cannot run node (the Node CLI, bin/berth): %s\n", strerror(errno));
  return 127;
}

/* `--version`: package.json's version, as bin/berth prints it. */
static int version(void) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/package.json", repo);
  json_object *pkg = json_object_from_file(path);
  json_object *v = NULL;
  if (!pkg || !json_object_object_get_ex(pkg, "version", &v) || !json_object_is_type(v, json_type_string)) return FRONT_FALLBACK;
  printf("%s\n", json_object_get_string(v));
  json_object_put(pkg);
  return fflush(stdout) == 0 ? 0 : 1;
}

/* A host:port (or tcp://) address, which the Node CLI reaches over TCP (cli/client.ts's pattern). */
static bool is_tcp(const char *a) {
  if (strncmp(a, "tcp://", 6) == 0) a += 6;
  const char *colon = a[0] == '[' ? strstr(a, "]:") : strrchr(a, ':');
  if (!colon) return false;
  if (a[0] == '[') colon++;
  else if (strcspn(a, "/:") != (size_t)(colon - a)) return false;
  const char *port = colon + 1;
  return *port && strspn(port, "0123456789") == strlen(port);
}

static int dispatch(int argc, char **argv) {
  const char *debug = getenv("BERTH_DEBUG");
  if (debug && *debug) return FRONT_FALLBACK; /* the Node CLI prints stacks */
  if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)) return version();
  /* Global options before the verb (commander's positional options): only --socket here. */
  const char *socket = NULL;
  int i = 1;
  while (i < argc && strncmp(argv[i], "--socket", 8) == 0) {
    if (socket) return FRONT_FALLBACK;
    if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc && argv[i + 1][0] != '-') socket = argv[i + 1], i += 2;
    else if (strncmp(argv[i], "--socket=", 9) == 0) socket = argv[i] + 9, i++;
    else return FRONT_FALLBACK;
  }
  if (!socket) socket = getenv("BERTH_SOCKET");
  if (!socket) socket = DEFAULT_SOCKET;
  if (!*socket || is_tcp(socket)) return FRONT_FALLBACK;
  /* `image build|pull` are `build|pull` (cli/groups.ts), as `container exec` is `exec`. */
  if (i + 1 < argc && strcmp(argv[i], "image") == 0) {
    if (strcmp(argv[i + 1], "build") == 0) return front_build(argc - i - 2, argv + i + 2, socket);
    if (strcmp(argv[i + 1], "pull") == 0) return front_pull(argc - i - 2, argv + i + 2, socket);
    return FRONT_FALLBACK;
  }
  if (i < argc && strcmp(argv[i], "apply") == 0) return front_apply(argc - i - 1, argv + i + 1, socket);
  if (i < argc && strcmp(argv[i], "build") == 0) return front_build(argc - i - 1, argv + i + 1, socket);
  if (i < argc && strcmp(argv[i], "pull") == 0) return front_pull(argc - i - 1, argv + i + 1, socket);
  /* Docker's group: `container exec` is `exec`, `container ls|list` is `ps` (cli/groups.ts). */
  bool group = i < argc && strcmp(argv[i], "container") == 0;
  if (group) i++;
  if (i < argc && (strcmp(argv[i], "ps") == 0 || (group && (strcmp(argv[i], "ls") == 0 || strcmp(argv[i], "list") == 0))))
    return front_ps(argc - i - 1, argv + i + 1, socket);
  if (i < argc && strcmp(argv[i], "exec") == 0) return front_exec(argc - i - 1, argv + i + 1, socket);
  if (i < argc && strcmp(argv[i], "run") == 0) return front_run(argc - i - 1, argv + i + 1, socket);
  if (i < argc && strcmp(argv[i], "logs") == 0) return front_logs(argc - i - 1, argv + i + 1, socket);
  if (i < argc && strcmp(argv[i], "attach") == 0) return front_attach(argc - i - 1, argv + i + 1, socket);
  return FRONT_FALLBACK;
}

int main(int argc, char **argv) {
  if (!find_repo()) {
    fprintf(stderr, "berth: cannot tell where berth is installed: /proc/self/exe is not a native/build/berth-cli\n");
    return 127;
  }
  int rc = dispatch(argc, argv);
  return rc == FRONT_FALLBACK ? fallback(argc, argv) : rc;
}
