#define _GNU_SOURCE
#include "ns.h"
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>

int ns_clone_flags(const spec *s) {
  int flags = 0;
  for (size_t i = 0; i < s->n_namespaces; i++)
    if (!s->namespaces[i].path) flags |= s->namespaces[i].flag;
  return flags;
}

int ns_join_paths(const spec *s, berth_err *err) {
  for (size_t i = 0; i < s->n_namespaces; i++) {
    const spec_ns *n = &s->namespaces[i];
    if (!n->path) continue;
    cleanup_fd int fd = open(n->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return berth_fail(err, "open namespace '%s'", n->path);
    if (setns(fd, n->flag) < 0) return berth_fail(err, "setns '%s'", n->path);
  }
  return 0;
}

int ns_enter(pid_t pid, berth_err *err) {
  /* Every fd is opened first, through the host's /proc (the container's mount namespace would hide
   * it). The user namespace is joined last: until then the host's root may join the others, also
   * those its user namespace does not own (a network namespace the network manager made). */
  static const struct { const char *name; int flag; } ORDER[] = {{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
                                                                {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
                                                                {"user", CLONE_NEWUSER}};
  enum { N = sizeof ORDER / sizeof *ORDER };
  int fds[N];
  for (size_t i = 0; i < N; i++) {
    char path[64], self[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, ORDER[i].name);
    snprintf(self, sizeof self, "/proc/self/ns/%s", ORDER[i].name);
    struct stat a, b;
    fds[i] = -1;
    if (stat(path, &a) < 0) {
      for (size_t j = 0; j < i; j++) if (fds[j] >= 0) close(fds[j]);
      return berth_fail(err, "stat '%s' (is the container running?)", path);
    }
    if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) continue; /* shared with the host */
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      for (size_t j = 0; j < i; j++) if (fds[j] >= 0) close(fds[j]);
      return berth_fail(err, "open '%s'", path);
    }
  }
  int rc = 0;
  for (size_t i = 0; i < N; i++) {
    if (fds[i] < 0) continue;
    if (rc == 0 && setns(fds[i], ORDER[i].flag) < 0) rc = berth_fail(err, "setns %s of pid %d", ORDER[i].name, (int)pid);
    close(fds[i]);
  }
  return rc;
}
