/* The OCI runtime config (config.json) as the launcher holds it once parsed: the types alone, which
 * spec.c (the document's top level) and spec-linux.c (its linux section) fill, and which the launcher
 * reads. Strings point into the parsed document, which lives as long as the spec. */
#ifndef BERTH_SPEC_TYPES_H
#define BERTH_SPEC_TYPES_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum { CAPSET_BOUNDING, CAPSET_EFFECTIVE, CAPSET_PERMITTED, CAPSET_INHERITABLE, CAPSET_AMBIENT, CAPSET_N };

typedef struct {
  const char *destination, *type, *source;
  const char **options;
  size_t n_options;
} spec_mount;

typedef struct {
  int flag; /* CLONE_NEW* */
  const char *path; /* NULL: a new namespace */
} spec_ns;

typedef struct {
  int resource;
  uint64_t soft, hard;
} spec_rlimit;

typedef struct {
  bool allow;
  char type; /* 'a', 'c', 'b' */
  int64_t major, minor; /* -1: any */
  const char *access;
} spec_device_rule;

typedef struct {
  uint32_t container_id, host_id, size;
} spec_idmap;

typedef struct {
  const char *name, *value; /* "net.ipv4.ip_forward", "1" */
} spec_sysctl;

typedef struct {
  const char *path;
  char type; /* 'c', 'b', 'u', 'p' */
  int64_t major, minor;
  int64_t mode, uid, gid; /* -1: not set */
} spec_device;

typedef struct {
  void *doc; /* json_object *, owner of every string */
  const char **args;
  size_t n_args;
  const char **env; /* NULL-terminated */
  size_t n_env;
  const char *cwd;
  bool terminal;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool no_new_privileges;
  bool has_caps;
  uint64_t caps[CAPSET_N];
  spec_rlimit *rlimits;
  size_t n_rlimits;
  const char *root_path; /* absolute */
  bool root_readonly;
  const char *hostname;
  spec_mount *mounts;
  size_t n_mounts;
  spec_ns namespaces[8];
  size_t n_namespaces;
  const char *cgroups_path;
  int64_t memory_limit, memory_swap, cpu_shares, cpu_quota, cpu_period, pids_limit; /* -1: not set */
  spec_device_rule *devices;
  size_t n_devices;
  const char **masked_paths;
  size_t n_masked;
  const char **readonly_paths;
  size_t n_readonly;
  unsigned long rootfs_propagation;
  int pdeathsig; /* exec: the process dies with the launcher that waits for it */
  const char *domainname;
  int64_t oom_score_adj; /* INT64_MIN: not set */
  int64_t umask; /* -1: 022 */
  spec_idmap uid_maps[8], gid_maps[8]; /* linux.uidMappings / gidMappings: a new user namespace */
  size_t n_uid_maps, n_gid_maps;
  spec_sysctl *sysctls;
  size_t n_sysctls;
  spec_device *device_nodes; /* linux.devices: nodes made in the container's /dev */
  size_t n_device_nodes;
  void *seccomp; /* the json_object of linux.seccomp, prepared as BPF by seccomp-cache.c; NULL: none */
} spec;
#endif
