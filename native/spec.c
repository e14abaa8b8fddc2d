/* config.json → spec (see spec.h): the top level, process and mounts; the linux section is read by
 * spec-linux.c. A field of the wrong type, and a field the launcher does not implement, is an error
 * that names it (runc would apply what berth's launcher cannot: refusing keeps the two equal). */
#define _GNU_SOURCE
#include "spec.h"
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include "spec-json.h"

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

/* What the launcher implements of each object; anything else set is refused (jonly). */
static const char *const TOP[] = {"ociVersion", "process", "root", "hostname", "domainname", "mounts", "annotations", "linux", NULL};
static const char *const PROCESS[] = {"terminal", "consoleSize", "user", "args", "env", "cwd", "capabilities", "noNewPrivileges", "rlimits", "oomScoreAdj", NULL};
static const char *const USER[] = {"uid", "gid", "umask", "additionalGids", NULL};
static const char *const CAPSETS[] = {"bounding", "effective", "permitted", "inheritable", "ambient", NULL};
static const char *const RLIMIT[] = {"type", "soft", "hard", NULL};
static const char *const ROOT_FIELDS[] = {"path", "readonly", NULL};
static const char *const MOUNT[] = {"destination", "type", "source", "options", NULL};

static int caps(json_object *c, spec *s, berth_err *err) {
  s->has_caps = c != NULL;
  if (jonly(c, "process.capabilities", CAPSETS, err) < 0) return -1;
  for (int i = 0; i < CAPSET_N; i++) {
    const char **names;
    size_t n;
    if (jstrs(c, CAPSETS[i], &names, &n, "process.capabilities", err) < 0) return -1;
    for (size_t j = 0; j < n; j++) {
      int cap = cap_from_name(names[j]);
      /* runc ignores capabilities it does not know (with a warning), so bundles written for newer kernels run. */
      if (cap >= 0) s->caps[i] |= 1ULL << cap;
    }
    free(names);
  }
  return 0;
}

static int user(json_object *u, spec *s, berth_err *err) {
  int64_t uid = 0, gid = 0;
  if (jonly(u, "process.user", USER, err) < 0 || ji64(u, "uid", &uid, "process.user", err) < 0 || ji64(u, "gid", &gid, "process.user", err) < 0 ||
      ji64(u, "umask", &s->umask, "process.user", err) < 0)
    return -1;
  s->uid = (uid_t)uid;
  s->gid = (gid_t)gid;
  json_object *ag;
  if (jarray(u, "additionalGids", &ag, "process.user", err) < 0) return -1;
  if (ag) {
    s->n_additional_gids = json_object_array_length(ag);
    s->additional_gids = calloc(s->n_additional_gids + 1, sizeof(gid_t));
    if (!s->additional_gids) return berth_fail(err, "calloc");
    for (size_t i = 0; i < s->n_additional_gids; i++) s->additional_gids[i] = (gid_t)json_object_get_int64(json_object_array_get_idx(ag, i));
  }
  return 0;
}

static int rlimits(json_object *p, spec *s, berth_err *err) {
  json_object *rl;
  if (jarray(p, "rlimits", &rl, "process", err) < 0) return -1;
  if (!rl) return 0;
  size_t n = json_object_array_length(rl);
  if (!(s->rlimits = calloc(n + 1, sizeof *s->rlimits))) return berth_fail(err, "calloc");
  for (size_t i = 0; i < n; i++) {
    json_object *r = json_object_array_get_idx(rl, i);
    char where[48];
    snprintf(where, sizeof where, "process.rlimits[%zu]", i);
    const char *type = "";
    if (jonly(r, where, RLIMIT, err) < 0 || jstr(r, "type", &type, where, err) < 0) return -1;
    int res = -1;
    for (size_t k = 0; k < sizeof RLIMITS / sizeof *RLIMITS; k++)
      if (strcmp(RLIMITS[k].name, type) == 0) res = RLIMITS[k].res;
    if (res < 0) return berth_failx(err, "config.json: %s.type '%s' is not a known rlimit", where, type);
    /* Unlimited is 2^64-1, past int64: read unsigned. */
    s->rlimits[s->n_rlimits++] = (spec_rlimit){res, json_object_get_uint64(jget(r, "soft")), json_object_get_uint64(jget(r, "hard"))};
  }
  return 0;
}

static int process(json_object *p, spec *s, berth_err *err) {
  if (!p) return berth_failx(err, "config.json: process is missing");
  if (jonly(p, "process", PROCESS, err) < 0) return -1;
  if (jstrs(p, "args", &s->args, &s->n_args, "process", err) < 0) return -1;
  if (s->n_args == 0) return berth_failx(err, "config.json: process.args is empty: the container has nothing to run");
  if (jstrs(p, "env", &s->env, &s->n_env, "process", err) < 0) return -1;
  if (!s->env && !(s->env = calloc(1, sizeof *s->env))) return berth_fail(err, "calloc");
  s->cwd = "/";
  if (jstr(p, "cwd", &s->cwd, "process", err) < 0) return -1;
  if (s->cwd[0] != '/') return berth_failx(err, "config.json: process.cwd '%s' must be an absolute path", s->cwd);
  /* A pty made in the container, its master sent on --console-socket (launcher.c, console.c). */
  if (jbool(p, "terminal", &s->terminal, "process", err) < 0) return -1;
  if (user(jget(p, "user"), s, err) < 0) return -1;
  if (jbool(p, "noNewPrivileges", &s->no_new_privileges, "process", err) < 0) return -1;
  if (ji64(p, "oomScoreAdj", &s->oom_score_adj, "process", err) < 0) return -1;
  if (caps(jget(p, "capabilities"), s, err) < 0) return -1;
  return rlimits(p, s, err);
}

static int mounts(json_object *doc, spec *s, berth_err *err) {
  json_object *m;
  if (jarray(doc, "mounts", &m, "", err) < 0) return -1;
  size_t n = m ? json_object_array_length(m) : 0;
  if (n && !(s->mounts = calloc(n + 1, sizeof *s->mounts))) return berth_fail(err, "calloc");
  for (size_t i = 0; i < n; i++) {
    spec_mount *sm = &s->mounts[s->n_mounts++];
    json_object *e = json_object_array_get_idx(m, i);
    char where[32];
    snprintf(where, sizeof where, "mounts[%zu]", i);
    sm->type = "";
    sm->source = "";
    if (jonly(e, where, MOUNT, err) < 0 || jstr(e, "destination", &sm->destination, where, err) < 0 || jstr(e, "type", &sm->type, where, err) < 0 ||
        jstr(e, "source", &sm->source, where, err) < 0 || jstrs(e, "options", &sm->options, &sm->n_options, where, err) < 0)
      return -1;
    if (!sm->destination || sm->destination[0] != '/') return berth_failx(err, "config.json: %s.destination must be an absolute path", where);
  }
  return 0;
}

int spec_load(spec *s, const char *bundle, berth_err *err) {
  memset(s, 0, sizeof *s);
  s->memory_limit = s->memory_swap = s->cpu_shares = s->cpu_quota = s->cpu_period = s->pids_limit = -1;
  s->oom_score_adj = INT64_MIN;
  s->umask = -1;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/config.json", bundle);
  json_object *doc = json_object_from_file(path);
  if (!doc) return berth_failx(err, "read '%s': %s", path, json_util_get_last_err() ? json_util_get_last_err() : "not JSON");
  s->doc = doc;
  if (!json_object_is_type(doc, json_type_object)) return berth_failx(err, "read '%s': not a JSON object", path);
  if (jonly(doc, "", TOP, err) < 0) return -1;
  if (process(jget(doc, "process"), s, err) < 0) return -1;
  json_object *root = jget(doc, "root");
  const char *rp = "rootfs";
  if (jonly(root, "root", ROOT_FIELDS, err) < 0 || jstr(root, "path", &rp, "root", err) < 0 || jbool(root, "readonly", &s->root_readonly, "root", err) < 0) return -1;
  if (rp[0] == '/') s->root_path = rp;
  else {
    char *abs;
    if (asprintf(&abs, "%s/%s", bundle, rp) < 0) return berth_fail(err, "asprintf");
    s->root_path = abs; /* freed with the process */
  }
  if (jstr(doc, "hostname", &s->hostname, "", err) < 0 || jstr(doc, "domainname", &s->domainname, "", err) < 0) return -1;
  if (mounts(doc, s, err) < 0) return -1;
  return spec_linux(jget(doc, "linux"), s, err);
}

void spec_free(spec *s) {
  if (s->doc) json_object_put(s->doc);
  s->doc = NULL;
}
