/* See seccomp-cache.h. File layout: "BSCF", u32 kernel filter flags, u64 FNV-1a hash of the
 * libseccomp version and the linux.seccomp text, then the struct sock_filter program as
 * seccomp_export_bpf writes it. */
#define _GNU_SOURCE
#include "seccomp-cache.h"
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "seccomp-filter.h"

struct header {
  char magic[4];
  uint32_t flags;
  uint64_t hash;
};

static struct sock_filter *prog;
static unsigned short prog_len;
static uint32_t prog_flags;

static uint64_t fnv1a(uint64_t h, const char *s) {
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* The cache key: a libseccomp of another version may make another program from the same text; the
 * number after berth-seccomp changes when berth compiles the text differently (2: a binary tree). */
static uint64_t key(const char *text) {
  const struct scmp_version *v = seccomp_version();
  char ver[64];
  snprintf(ver, sizeof ver, "berth-seccomp-2 libseccomp %u.%u.%u ", v->major, v->minor, v->micro);
  return fnv1a(fnv1a(1469598103934665603ULL, ver), text);
}

/* A directory that is root's and writable by no one else (made so when missing). */
static int private_dir(const char *path) {
  struct stat st;
  if (mkdir(path, 0700) < 0 && errno != EEXIST) return 0;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 022);
}

/* Where the BPF of `hash` is kept (see seccomp-cache.h). */
static int cache_path(char *out, size_t size, const char *bundle, const char *dir, uint64_t hash) {
  int k = dir && private_dir(dir) ? snprintf(out, size, "%s/%016llx.bpf", dir, (unsigned long long)hash)
                                        : snprintf(out, size, "%s/seccomp.bpf", bundle);
  return k > 0 && (size_t)k < size ? 0 : -1;
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

int seccomp_prepare(void *json, const char *bundle, const char *dir, berth_err *err) {
  char path[PATH_MAX];
  uint64_t hash = key(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN));
  bool cacheable = cache_path(path, sizeof path, bundle, dir, hash) == 0;
  if (cacheable && read_cache(path, hash)) return 0;
  void *ctx;
  if (seccomp_compile(json, &ctx, err) < 0) return -1;
  /* Generated on the host's side: exported to a memfd, read back, kept. */
  cleanup_fd int mfd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (mfd < 0) return seccomp_release(ctx), berth_fail(err, "memfd_create for the seccomp filter");
  int rc = seccomp_export_bpf(ctx, mfd);
  prog_flags = kernel_flags(ctx);
  seccomp_release(ctx);
  if (rc < 0) return errno = -rc, berth_fail(err, "seccomp: generate the filter");
  off_t size = lseek(mfd, 0, SEEK_END);
  if (size < 0 || lseek(mfd, 0, SEEK_SET) < 0) return berth_fail(err, "seek the seccomp filter");
  if (!take(mfd, (size_t)size)) return berth_failx(err, "seccomp: the generated filter is not a BPF program (%lld bytes)", (long long)size);
  struct header h = {{'B', 'S', 'C', 'F'}, prog_flags, hash};
  if (cacheable) write_cache(path, &h);
  return 0;
}

int seccomp_install(berth_err *err) {
  if (!prog) return 0;
  struct sock_fprog fprog = {.len = prog_len, .filter = prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog_flags, &fprog) < 0) return berth_fail(err, "load the seccomp filter");
  return 0;
}
