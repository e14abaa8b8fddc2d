/* syscall-check CALL...: a test tool (static, copied into test rootfses) that makes each system call
 * in a child of its own and prints "CALL OK" or "CALL ERRNAME", one line each. The arguments are
 * chosen so that a call a seccomp filter lets through fails with something other than EPERM when
 * the caller lacks the capability (a missing path: ENOENT; an unknown command: EINVAL), so EPERM
 * means the filter (or, for unshare and keyctl, which need no capability, a refusal).
 *   unshare   unshare(CLONE_NEWUSER)           keyctl    keyctl(GET_KEYRING_ID, user keyring)
 *   mount     mount on a missing directory     bpf       bpf(an unknown command)
 *   tmpfs     a private mount namespace with a tmpfs on /tmp (never the caller's: the tool is
 *             harmless on a host too)                        chroot    chroot("/") */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long call(const char *name) {
  if (strcmp(name, "unshare") == 0) return unshare(CLONE_NEWUSER);
  if (strcmp(name, "keyctl") == 0) return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* KEY_SPEC_USER_KEYRING */, 0);
  if (strcmp(name, "mount") == 0) return mount("none", "/berth-no-such-dir", "tmpfs", 0, NULL);
  if (strcmp(name, "bpf") == 0) return syscall(SYS_bpf, 9999, NULL, 0);
  if (strcmp(name, "tmpfs") == 0) {
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return -1;
    return mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m");
  }
  if (strcmp(name, "chroot") == 0) return chroot("/");
  fprintf(stderr, "syscall-check: unknown call '%s'\n", name);
  exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) _exit(call(argv[i]) < 0 ? (errno & 0xff) : 0);
    int status;
    if (waitpid(pid, &status, 0) < 0) return perror("waitpid"), 1;
    if (WIFSIGNALED(status)) printf("%s SIG%s\n", argv[i], sigabbrev_np(WTERMSIG(status)));
    else if (WEXITSTATUS(status) == 0) printf("%s OK\n", argv[i]);
    else printf("%s %s\n", argv[i], strerrorname_np(WEXITSTATUS(status)));
  }
  return 0;
}
