/* config.json → spec (see spec.h). Unknown fields are ignored, as runc ignores what it does not
 * support; a field of the wrong type is an error that names it. */
#define _GNU_SOURCE
#include "spec.h"
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>

static const char *const CAPS[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
    "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};

int cap_from_name(const char *name) {
  for (size_t i = 0; i < sizeof CAPS / sizeof *CAPS; i++)
    if (strcmp(CAPS[i], name) == 0) return (int)i;
  return -1;
}

static const struct { const char *name; int res; } RLIMITS[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},     {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},     {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME}};

static const struct { const char *name; int flag; } NAMESPACES[] = {
    {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS}, {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER}};

static json_object *get(json_object *o, const char *key) {
  json_object *v = NULL;
  return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int str(json_object *o, const char *key, const char **out, const char *where, berth_err *err) {
  json_object *v = get(o, key);
  if (!v) return 0;
  if (!json_object_is_type(v, json_type_string)) return berth_failx(err, "config.json: %s.%s must be a string", where, key);
  *out = json_object_get_string(v);
  return 0;
}

static int i64(json_object *o, const char *key, int64_t *out, const char *where, berth_err *err) {
  json_object *v = get(o, key);
  if (!v || json_object_is_type(v, json_type_null)) return 0;
  if (!json_object_is_type(v, json_type_int)) return berth_failx(err, "config.json: %s.%s must be an integer", where, key);
  *out = json_object_get_int64(v);
  return 0;
}

/* A JSON array of strings as a NULL-terminated array of pointers into the document. */
static int strs(json_object *o, const char *key, const char ***out, size_t *n, const char *where, berth_err *err) {
  *out = NULL;
  *n = 0;
  json_object *a = get(o, key);
  if (!a || json_object_is_type(a, json_type_null)) return 0;
  if (!json_object_is_type(a, json_type_array)) return berth_failx(err, "config.json: %s.%s must be an array", where, key);
  size_t len = json_object_array_length(a);
  *out = calloc(len + 1, sizeof **out);
  if (!*out) return berth_fail(err, "calloc");
  for (size_t i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    if (!json_object_is_type(e, json_type_string)) return berth_failx(err, "config.json: %s.%s[%zu] must be a string", where, key, i);
    (*out)[i] = json_object_get_string(e);
  }
  *n = len;
  return 0;
}

static int caps(json_object *c, spec *s, berth_err *err) {
  static const char *const sets[CAPSET_N] = {"bounding", "effective", "permitted", "inheritable", "ambient"};
  s->has_caps = c != NULL;
  for (int i = 0; i < CAPSET_N; i++) {
    const char **names;
    size_t n;
    if (strs(c, sets[i], &names, &n, "process.capabilities", err) < 0) return -1;
    for (size_t j = 0; j < n; j++) {
      int cap = cap_from_name(names[j]);
      /* runc ignores capabilities it does not know (with a warning), so bundles written for newer kernels run. */
      if (cap >= 0) s->caps[i] |= 1ULL << cap;
    }
    free(names);
  }
  return 0;
}

static int process(json_object *p, spec *s, berth_err *err) {
  if (!p) return berth_failx(err, "config.json: process is missing");
  if (strs(p, "args", &s->args, &s->n_args, "process", err) < 0) return -1;
  if (s->n_args == 0) return berth_failx(err, "config.json: process.args is empty: the container has nothing to run");
  if (strs(p, "env", &s->env, &s->n_env, "process", err) < 0) return -1;
  if (!s->env && !(s->env = calloc(1, sizeof *s->env))) return berth_fail(err, "calloc");
  s->cwd = "/";
  if (str(p, "cwd", &s->cwd, "process", err) < 0) return -1;
  if (s->cwd[0] != '/') return berth_failx(err, "config.json: process.cwd '%s' must be an absolute path", s->cwd);
  json_object *t = get(p, "terminal");
  /* A pty made in the container, its master sent on --console-socket (launcher.c, console.c). */
  s->terminal = t && json_object_get_boolean(t);
  json_object *u = get(p, "user");
  int64_t uid = 0, gid = 0;
  if (i64(u, "uid", &uid, "process.user", err) < 0 || i64(u, "gid", &gid, "process.user", err) < 0) return -1;
  s->uid = (uid_t)uid;
  s->gid = (gid_t)gid;
  json_object *ag = get(u, "additionalGids");
  if (ag && json_object_is_type(ag, json_type_array)) {
    s->n_additional_gids = json_object_array_length(ag);
    s->additional_gids = calloc(s->n_additional_gids + 1, sizeof(gid_t));
    for (size_t i = 0; i < s->n_additional_gids; i++) s->additional_gids[i] = (gid_t)json_object_get_int64(json_object_array_get_idx(ag, i));
  }
  json_object *nnp = get(p, "noNewPrivileges");
  s->no_new_privileges = nnp && json_object_get_boolean(nnp);
  if (caps(get(p, "capabilities"), s, err) < 0) return -1;
  json_object *rl = get(p, "rlimits");
  if (rl && json_object_is_type(rl, json_type_array)) {
    size_t n = json_object_array_length(rl);
    s->rlimits = calloc(n + 1, sizeof *s->rlimits);
    for (size_t i = 0; i < n; i++) {
      json_object *r = json_object_array_get_idx(rl, i);
      const char *type = "";
      if (str(r, "type", &type, "process.rlimits[]", err) < 0) return -1;
      int res = -1;
      for (size_t k = 0; k < sizeof RLIMITS / sizeof *RLIMITS; k++)
        if (strcmp(RLIMITS[k].name, type) == 0) res = RLIMITS[k].res;
      if (res < 0) return berth_failx(err, "config.json: process.rlimits[%zu].type '%s' is not a known rlimit", i, type);
      s->rlimits[s->n_rlimits++] = (spec_rlimit){res, (uint64_t)json_object_get_uint64(get(r, "soft")), (uint64_t)json_object_get_uint64(get(r, "hard"))};
    }
  }
  return 0;
}

/* A zeroed array with room for each element of a JSON array (and a terminator); n is 0 when a is no array. */
static void *entries_for(json_object *a, size_t size, size_t *n) {
  *n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
  return *n ? calloc(*n + 1, size) : NULL;
}

static int mounts(json_object *m, spec *s, berth_err *err) {
  size_t n;
  s->mounts = entries_for(m, sizeof *s->mounts, &n);
  for (size_t i = 0; i < n; i++) {
    spec_mount *sm = &s->mounts[s->n_mounts++];
    json_object *e = json_object_array_get_idx(m, i);
    sm->type = "";
    sm->source = "";
    if (str(e, "destination", &sm->destination, "mounts[]", err) < 0 || str(e, "type", &sm->type, "mounts[]", err) < 0 ||
        str(e, "source", &sm->source, "mounts[]", err) < 0 || strs(e, "options", &sm->options, &sm->n_options, "mounts[]", err) < 0)
      return -1;
    if (!sm->destination || sm->destination[0] != '/')
      return berth_failx(err, "config.json: mounts[%zu].destination must be an absolute path", i);
  }
  return 0;
}

static int device_rules(json_object *d, spec *s, berth_err *err) {
  size_t n;
  if (!(s->devices = entries_for(d, sizeof *s->devices, &n))) return 0;
  for (; s->n_devices < n; s->n_devices++) {
    spec_device_rule *r = &s->devices[s->n_devices];
    json_object *e = json_object_array_get_idx(d, s->n_devices);
    json_object *allow = get(e, "allow");
    r->allow = allow && json_object_get_boolean(allow);
    const char *type = "a";
    r->access = "rwm";
    r->major = r->minor = -1;
    if (str(e, "type", &type, "linux.resources.devices[]", err) < 0 || str(e, "access", &r->access, "linux.resources.devices[]", err) < 0 ||
        i64(e, "major", &r->major, "linux.resources.devices[]", err) < 0 || i64(e, "minor", &r->minor, "linux.resources.devices[]", err) < 0)
      return -1;
    r->type = type[0] ? type[0] : 'a';
  }
  return 0;
}

static int linux_section(json_object *l, spec *s, berth_err *err) {
  json_object *ns = get(l, "namespaces");
  if (ns && json_object_is_type(ns, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(ns) && s->n_namespaces < 8; i++) {
      json_object *e = json_object_array_get_idx(ns, i);
      const char *type = "", *path = NULL;
      if (str(e, "type", &type, "linux.namespaces[]", err) < 0 || str(e, "path", &path, "linux.namespaces[]", err) < 0) return -1;
      int flag = 0;
      for (size_t k = 0; k < sizeof NAMESPACES / sizeof *NAMESPACES; k++)
        if (strcmp(NAMESPACES[k].name, type) == 0) flag = NAMESPACES[k].flag;
      if (!flag) return berth_failx(err, "config.json: linux.namespaces[%zu].type '%s' is not a namespace", i, type);
      if (flag == CLONE_NEWUSER) return berth_failx(err, "config.json: user namespaces are not supported by berth's launcher");
      s->namespaces[s->n_namespaces++] = (spec_ns){flag, path && path[0] ? path : NULL};
    }
  }
  if (str(l, "cgroupsPath", &s->cgroups_path, "linux", err) < 0) return -1;
  json_object *r = get(l, "resources");
  json_object *mem = get(r, "memory"), *cpu = get(r, "cpu"), *pids = get(r, "pids");
  if (i64(mem, "limit", &s->memory_limit, "linux.resources.memory", err) < 0 || i64(mem, "swap", &s->memory_swap, "linux.resources.memory", err) < 0 ||
      i64(cpu, "shares", &s->cpu_shares, "linux.resources.cpu", err) < 0 || i64(cpu, "quota", &s->cpu_quota, "linux.resources.cpu", err) < 0 ||
      i64(cpu, "period", &s->cpu_period, "linux.resources.cpu", err) < 0 || i64(pids, "limit", &s->pids_limit, "linux.resources.pids", err) < 0)
    return -1;
  if (device_rules(get(r, "devices"), s, err) < 0) return -1;
  if (strs(l, "maskedPaths", &s->masked_paths, &s->n_masked, "linux", err) < 0) return -1;
  if (strs(l, "readonlyPaths", &s->readonly_paths, &s->n_readonly, "linux", err) < 0) return -1;
  const char *prop = NULL;
  if (str(l, "rootfsPropagation", &prop, "linux", err) < 0) return -1;
  s->rootfs_propagation = MS_SLAVE | MS_REC; /* runc's default */
  if (prop) {
    if (strcmp(prop, "private") == 0) s->rootfs_propagation = MS_PRIVATE;
    else if (strcmp(prop, "rprivate") == 0) s->rootfs_propagation = MS_PRIVATE | MS_REC;
    else if (strcmp(prop, "slave") == 0) s->rootfs_propagation = MS_SLAVE;
    else if (strcmp(prop, "rslave") == 0) s->rootfs_propagation = MS_SLAVE | MS_REC;
    else if (strcmp(prop, "shared") == 0) s->rootfs_propagation = MS_SHARED;
    else if (strcmp(prop, "rshared") == 0) s->rootfs_propagation = MS_SHARED | MS_REC;
    else return berth_failx(err, "config.json: linux.rootfsPropagation '%s' is not a propagation", prop);
  }
  return 0;
}

int spec_load(spec *s, const char *bundle, berth_err *err) {
  memset(s, 0, sizeof *s);
  s->memory_limit = s->memory_swap = s->cpu_shares = s->cpu_quota = s->cpu_period = s->pids_limit = -1;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/config.json", bundle);
  json_object *doc = json_object_from_file(path);
  if (!doc) return berth_failx(err, "read '%s': %s", path, json_util_get_last_err() ? json_util_get_last_err() : "not JSON");
  s->doc = doc;
  if (!json_object_is_type(doc, json_type_object)) return berth_failx(err, "read '%s': not a JSON object", path);
  if (process(get(doc, "process"), s, err) < 0) return -1;
  json_object *root = get(doc, "root");
  const char *rp = "rootfs";
  if (str(root, "path", &rp, "root", err) < 0) return -1;
  json_object *ro = get(root, "readonly");
  s->root_readonly = ro && json_object_get_boolean(ro);
  if (rp[0] == '/') s->root_path = rp;
  else {
    char *abs;
    if (asprintf(&abs, "%s/%s", bundle, rp) < 0) return berth_fail(err, "asprintf");
    s->root_path = abs; /* freed with the process */
  }
  if (str(doc, "hostname", &s->hostname, "", err) < 0) return -1;
  if (mounts(get(doc, "mounts"), s, err) < 0) return -1;
  return linux_section(get(doc, "linux"), s, err);
}

bool spec_has_ns(const spec *s, int flag) {
  for (size_t i = 0; i < s->n_namespaces; i++)
    if (s->namespaces[i].flag == flag) return true;
  return false;
}

void spec_free(spec *s) {
  if (s->doc) json_object_put(s->doc);
  s->doc = NULL;
}
