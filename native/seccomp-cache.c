/* See seccomp-cache.h. File layout: "BSCF", u32 kernel filter flags, u64 FNV-1a hash of the
 * linux.seccomp text, then the struct sock_filter program as seccomp_export_bpf writes it. */
#define _GNU_SOURCE
#include "seccomp-cache.h"
#include "seccomp-filter.h"
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

struct header {
  char magic[4];
  uint32_t flags;
  uint64_t hash;
};

static struct sock_filter *prog;
static unsigned short prog_len;
static uint32_t prog_flags;

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* The kernel's flags for the filter's attributes, as seccomp_load passes them. */
static uint32_t kernel_flags(void *ctx) {
  uint32_t v, f = 0;
  if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v) f |= SECCOMP_FILTER_FLAG_TSYNC;
  if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &v) == 0 && v) f |= SECCOMP_FILTER_FLAG_LOG;
  if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &v) == 0 && v) f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  return f;
}

/* A program of n bytes read from fd (after the header); 0 when it is not a whole one. */
static int take(int fd, size_t n) {
  if (n == 0 || n % sizeof(struct sock_filter) || n / sizeof(struct sock_filter) > BPF_MAXINSNS) return 0;
  struct sock_filter *p = malloc(n);
  if (!p) return 0;
  if (read(fd, p, n) != (ssize_t)n) return free(p), 0;
  prog = p;
  prog_len = (unsigned short)(n / sizeof(struct sock_filter));
  return 1;
}

/* The cache when it is root's, not writable by others, and made from this text. */
static int read_cache(const char *path, uint64_t hash) {
  cleanup_fd int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  struct header h;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) return 0;
  if (read(fd, &h, sizeof h) != sizeof h || memcmp(h.magic, "BSCF", 4) != 0 || h.hash != hash) return 0;
  prog_flags = h.flags;
  return take(fd, (size_t)st.st_size - sizeof h);
}

/* Writes the cache aside, then renames it into place: a reader never sees half of one. Best effort. */
static void write_cache(const char *path, const struct header *h) {
  char tmp[PATH_MAX + 16];
  int k = snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
  if (k < 0 || (size_t)k >= sizeof tmp) return;
  cleanup_fd int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  size_t n = prog_len * sizeof *prog;
  if (write(fd, h, sizeof *h) != sizeof *h || write(fd, prog, n) != (ssize_t)n || rename(tmp, path) < 0) unlink(tmp);
}

int seccomp_cache_prepare(void **ctxp, const char *json, const char *bundle, berth_err *err) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/seccomp.bpf", bundle);
  uint64_t hash = fnv1a(json);
  if (read_cache(path, hash)) return 0;
  if (seccomp_compile_pending(ctxp, err) < 0) return -1;
  void *ctx = *ctxp;
  /* Generated once here, on the host's side: exported to a memfd, read back, kept. */
  cleanup_fd int mfd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (mfd < 0) return berth_fail(err, "memfd_create for the seccomp filter");
  int rc = seccomp_export_bpf(ctx, mfd);
  if (rc < 0) return errno = -rc, berth_fail(err, "seccomp: generate the filter");
  off_t size = lseek(mfd, 0, SEEK_END);
  if (size < 0 || lseek(mfd, 0, SEEK_SET) < 0) return berth_fail(err, "seek the seccomp filter");
  if (!take(mfd, (size_t)size)) return berth_failx(err, "seccomp: the generated filter is not a BPF program (%lld bytes)", (long long)size);
  prog_flags = kernel_flags(ctx);
  struct header h = {{'B', 'S', 'C', 'F'}, prog_flags, hash};
  write_cache(path, &h);
  return 0;
}

int seccomp_cache_install(berth_err *err) {
  if (!prog) return 0;
  struct sock_fprog fprog = {.len = prog_len, .filter = prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog_flags, &fprog) < 0) return berth_fail(err, "load the seccomp filter (cached)");
  return 1;
}
