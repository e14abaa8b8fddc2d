/* resolve-check ROOT PATH [walk]: prints where PATH resolves inside ROOT (the host path of the object
 * found), by openat2 or, with "walk", by the fallback walk. Built for test/runtime/resolve.test.ts,
 * which checks both give the same answer on hostile symlink trees. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "resolve.h"

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: resolve-check ROOT PATH [walk]\n"), 2;
  berth_err err = {{0}};
  cleanup_fd int root = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return perror(argv[1]), 1;
  cleanup_fd int fd = resolve_in_root(root, argv[2], O_PATH, argc > 3 && strcmp(argv[3], "walk") == 0, &err);
  if (fd < 0) return printf("error %s\n", strerror(errno)), 0;
  char proc[64], out[4096];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, out, sizeof out - 1);
  if (n < 0) return perror(proc), 1;
  out[n] = 0;
  printf("%s\n", out);
  return 0;
}
