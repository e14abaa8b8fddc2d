#define _GNU_SOURCE
#include "mounts.h"
#include "mount-target.h"
#include "devices.h"
#include "mount-template.h"
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

static const struct { const char *name; bool clear; unsigned long flag; } FLAGS[] = {
    {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},          {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},        {"nodev", false, MS_NODEV},       {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},     {"exec", true, MS_NOEXEC},        {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},  {"dirsync", false, MS_DIRSYNC},   {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK},    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},   {"diratime", true, MS_NODIRATIME}, {"nodiratime", false, MS_NODIRATIME},
    {"bind", false, MS_BIND},         {"rbind", false, MS_BIND | MS_REC}, {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME}};
static const struct { const char *name; unsigned long flag; } PROPAGATION[] = {
    {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED}, {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},     {"rslave", MS_SLAVE | MS_REC},     {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};

typedef struct {
  unsigned long flags, propagation;
  char data[1024];
} mount_opts;

static void parse_options(const spec_mount *m, mount_opts *o) {
  memset(o, 0, sizeof *o);
  for (size_t i = 0; i < m->n_options; i++) {
    const char *opt = m->options[i];
    bool known = false;
    for (size_t k = 0; k < sizeof FLAGS / sizeof *FLAGS && !known; k++) {
      if (strcmp(FLAGS[k].name, opt) != 0) continue;
      known = true;
      if (FLAGS[k].clear) o->flags &= ~FLAGS[k].flag;
      else o->flags |= FLAGS[k].flag;
    }
    for (size_t k = 0; k < sizeof PROPAGATION / sizeof *PROPAGATION && !known; k++) {
      if (strcmp(PROPAGATION[k].name, opt) != 0) continue;
      known = true;
      o->propagation |= PROPAGATION[k].flag;
    }
    if (known) continue;
    /* Anything else is filesystem data (mode=755, size=65536k, newinstance...), as runc passes it. */
    size_t len = strlen(o->data);
    snprintf(o->data + len, sizeof o->data - len, "%s%s", len ? "," : "", opt);
  }
  if (strcmp(m->type, "bind") == 0) o->flags |= MS_BIND;
}

/* The flags of the mount at path that a bind remount must keep (the kernel refuses to drop locked
 * ones; in a user namespace the atime flags are locked too). */
static unsigned long kept_flags(const char *path) {
  struct statvfs st;
  if (statvfs(path, &st) < 0) return 0;
  static const struct { unsigned long st, ms; } F[] = {{ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC},
                                                       {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
  unsigned long f = 0;
  for (size_t i = 0; i < sizeof F / sizeof *F; i++)
    if (st.f_flag & F[i].st) f |= F[i].ms;
  return f;
}

static bool is_bind(const spec_mount *m) {
  if (strcmp(m->type, "bind") == 0) return true;
  for (size_t i = 0; i < m->n_options; i++)
    if (strcmp(m->options[i], "bind") == 0 || strcmp(m->options[i], "rbind") == 0) return true;
  return false;
}

/* source_fd: the bind source opened by rootfs_open (its path may be out of the container's reach);
 * detached: a detached copy of it (open_tree), moved onto the target instead of bound. */
static int mount_one(int rootfd, const spec_mount *m, int source_fd, bool detached, berth_err *err) {
  mount_opts o;
  parse_options(m, &o);
  bool bind = o.flags & MS_BIND;
  bool dir = true;
  char source[64];
  if (bind) {
    struct stat st;
    if (fstat(source_fd, &st) < 0) return berth_fail(err, "stat '%s' (source of mount '%s')", m->source, m->destination);
    dir = S_ISDIR(st.st_mode);
    fdpath(source, sizeof source, source_fd);
  }
  cleanup_fd int fd = make_target(rootfd, m->destination, dir, err);
  if (fd < 0) return -1;
  char target[64];
  fdpath(target, sizeof target, fd);
  if (bind) {
    int r = detached ? move_mount(source_fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
                     : mount(source, target, NULL, o.flags & (MS_BIND | MS_REC), NULL);
    if (r < 0) return berth_fail(err, "bind '%s' on '%s'", m->source, m->destination);
    unsigned long extra = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (extra || o.propagation) {
      /* The fd is the covered directory: the new mount is reached by resolving the path again. */
      cleanup_fd int top = open_in_root(rootfd, m->destination, O_PATH, err);
      if (top < 0) return -1;
      fdpath(target, sizeof target, top);
      if (extra && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | extra | kept_flags(target), NULL) < 0)
        return berth_fail(err, "remount '%s' with its options", m->destination);
      if (o.propagation && mount(NULL, target, NULL, o.propagation, NULL) < 0)
        return berth_fail(err, "set the propagation of '%s'", m->destination);
    }
    return 0;
  }
  if (mount(m->source, target, m->type, o.flags, o.data[0] ? o.data : NULL) < 0)
    return berth_fail(err, "mount %s '%s' on '%s'", m->type, m->source, m->destination);
  if (o.propagation) {
    cleanup_fd int top = open_in_root(rootfd, m->destination, O_PATH, err);
    if (top < 0) return -1;
    fdpath(target, sizeof target, top);
    if (mount(NULL, target, NULL, o.propagation, NULL) < 0) return berth_fail(err, "set the propagation of '%s'", m->destination);
  }
  return 0;
}

static int pivot(int rootfd, berth_err *err) {
  if (fchdir(rootfd) < 0) return berth_fail(err, "chdir into the rootfs");
  if (syscall(SYS_pivot_root, ".", ".") < 0) return berth_fail(err, "pivot_root into the rootfs");
  /* The old root now sits on top of the new one: detach it without the unmount reaching the host. */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) return berth_fail(err, "make the old root a slave");
  if (umount2(".", MNT_DETACH) < 0) return berth_fail(err, "detach the old root");
  if (chdir("/") < 0) return berth_fail(err, "chdir '/'");
  return 0;
}

static int mask_paths(const spec *s, int root, berth_err *err) {
  for (size_t i = 0; i < s->n_masked; i++) {
    berth_err ignored;
    cleanup_fd int fd = open_in_root(root, s->masked_paths[i], O_PATH, &ignored);
    if (fd < 0) {
      if (errno == ENOENT || errno == ELOOP) continue;
      return berth_fail(err, "open masked path '%s'", s->masked_paths[i]);
    }
    struct stat st;
    char p[64];
    fdpath(p, sizeof p, fd);
    if (fstat(fd, &st) < 0) return berth_fail(err, "stat '%s'", s->masked_paths[i]);
    int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k") : mount("/dev/null", p, NULL, MS_BIND, NULL);
    if (r < 0) return berth_fail(err, "mask '%s'", s->masked_paths[i]);
  }
  return 0;
}

static int readonly_paths(const spec *s, int root, berth_err *err) {
  for (size_t i = 0; i < s->n_readonly; i++) {
    const char *path = s->readonly_paths[i];
    berth_err ignored;
    cleanup_fd int fd = open_in_root(root, path, O_PATH, &ignored);
    if (fd < 0) {
      if (errno == ENOENT || errno == ELOOP) continue;
      return berth_fail(err, "open read-only path '%s'", path);
    }
    char p[64];
    fdpath(p, sizeof p, fd);
    if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) return berth_fail(err, "bind read-only path '%s'", path);
    cleanup_fd int top = open_in_root(root, path, O_PATH, err);
    if (top < 0) return -1;
    fdpath(p, sizeof p, top);
    if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | kept_flags(p), NULL) < 0)
      return berth_fail(err, "remount '%s' read-only", path);
  }
  return 0;
}

/* A detached copy of path's mount (open_tree: only the mounts under path are copied, not the
 * namespace's), with the propagation the container's root would have given it: before, a copy of
 * the whole namespace was made rslave (runc's default) and then bound, and the bind inherited that. */
static int detached_copy(const char *path, bool recursive, unsigned long root_propagation) {
  int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  struct mount_attr prop = {.propagation = root_propagation & ~MS_REC};
  if (fd >= 0 && (root_propagation & MS_REC) && mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &prop, sizeof prop) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/* The copies are made before the container's own mounts: the mountinfo lists them first (the
 * kernel orders it by creation), and a bind whose source overlaps the rootfs would miss what the
 * container mounts there first (rootfs_fits_template keeps those on the copied namespace). */
static int rootfs_open_detached(const spec *s, rootfs_fds *fds, int template_fd, berth_err *err) {
  fds->rootfd = detached_copy(s->root_path, true, s->rootfs_propagation);
  if (fds->rootfd < 0) return berth_fail(err, "bind the rootfs '%s'", s->root_path);
  /* The init is single-threaded and shares no fs_struct: it may change its mount namespace. */
  if (setns(template_fd, CLONE_NEWNS) < 0) return berth_fail(err, "join the mount namespace template");
  close(template_fd);
  if (unshare(CLONE_NEWNS) < 0) return berth_fail(err, "unshare the mount namespace");
  if (mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0) return berth_fail(err, "set the propagation of '/'");
  /* pivot_root needs the new root to be a mount point: the copy is one, attached on the template's directory. */
  if (move_mount(fds->rootfd, "", AT_FDCWD, TEMPLATE_ROOTFS, MOVE_MOUNT_F_EMPTY_PATH) < 0) return berth_fail(err, "bind the rootfs '%s'", s->root_path);
  return 0;
}

/* a is b or under it (both canonical). */
static bool within(const char *a, const char *b) {
  size_t n = strlen(b);
  return strncmp(a, b, n) == 0 && (a[n] == 0 || a[n] == '/' || strcmp(b, "/") == 0);
}

bool rootfs_fits_template(const spec *s) {
  static const char *const PATHLESS[] = {"proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2"};
  char root[PATH_MAX], source[PATH_MAX];
  bool have_root = realpath(s->root_path, root) != NULL;
  for (size_t i = 0; i < s->n_mounts; i++) {
    if (is_bind(&s->mounts[i])) {
      /* A source holding the rootfs (a recursive bind of '/', as node-exporter's) or inside it: in
       * the copied namespace (as with runc) it shows the container's own mounts made before it
       * there (its /proc, /dev…), which a copy made before them cannot. */
      if (have_root && realpath(s->mounts[i].source, source) && (within(root, source) || within(source, root))) return false;
      continue;
    }
    bool pathless = false;
    for (size_t k = 0; k < sizeof PATHLESS / sizeof *PATHLESS && !pathless; k++) pathless = strcmp(s->mounts[i].type, PATHLESS[k]) == 0;
    if (!pathless) return false;
  }
  return true;
}

int rootfs_open(const spec *s, rootfs_fds *fds, int template_fd, berth_err *err) {
  fds->rootfd = -1;
  fds->detached = template_fd >= 0;
  if (!(fds->sources = calloc(s->n_mounts + 1, sizeof *fds->sources))) return berth_fail(err, "calloc");
  /* Every bind source, opened here (with a template: a detached copy of it, made in this namespace). */
  for (size_t i = 0; i < s->n_mounts; i++) {
    const spec_mount *m = &s->mounts[i];
    fds->sources[i] = -1;
    if (!is_bind(m)) continue;
    mount_opts o;
    if (fds->detached) parse_options(m, &o);
    fds->sources[i] = fds->detached ? detached_copy(m->source, o.flags & MS_REC, s->rootfs_propagation) : open(m->source, O_PATH | O_CLOEXEC);
    if (fds->sources[i] < 0) return berth_fail(err, "open '%s' (source of mount '%s')", m->source, m->destination);
  }
  if (fds->detached) return rootfs_open_detached(s, fds, template_fd, err);
  if (mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0) return berth_fail(err, "set the propagation of '/'");
  /* pivot_root needs the new root to be a mount point; binding it onto itself also keeps the
   * container's mounts from showing up under the bundle on the host. */
  if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0) return berth_fail(err, "bind the rootfs '%s'", s->root_path);
  fds->rootfd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fds->rootfd < 0) return berth_fail(err, "open the rootfs '%s'", s->root_path);
  return 0;
}

int rootfs_setup(const spec *s, rootfs_fds *fds, berth_err *err) {
  int rootfd = fds->rootfd;
  bool dev_bound = false, has_pts = false;
  mode_t old = umask(0);
  for (size_t i = 0; i < s->n_mounts; i++) {
    if (mount_one(rootfd, &s->mounts[i], fds->sources[i], fds->detached, err) < 0) return -1;
    if (fds->sources[i] >= 0) close(fds->sources[i]);
    if (strcmp(s->mounts[i].destination, "/dev") == 0 && strcmp(s->mounts[i].type, "bind") == 0) dev_bound = true;
    if (strcmp(s->mounts[i].destination, "/dev/pts") == 0) has_pts = true;
  }
  if (!dev_bound && devices_setup(s, rootfd, has_pts, err) < 0) return -1;
  umask(old);
  if (pivot(rootfd, err) < 0) return -1;
  close(rootfd);
  cleanup_fd int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return berth_fail(err, "open '/'");
  /* Sysctls are written through the container's own /proc, before /proc/sys turns read-only. */
  if (sysctls_write(s, root, err) < 0) return -1;
  if (readonly_paths(s, root, err) < 0 || mask_paths(s, root, err) < 0) return -1;
  if (s->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags("/"), NULL) < 0)
    return berth_fail(err, "remount '/' read-only");
  return 0;
}
