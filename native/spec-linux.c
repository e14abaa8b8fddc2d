/* config.json's linux section → spec: namespaces and ID mappings, sysctls, cgroup resources, device
 * nodes, masked and read-only paths, propagation, and the seccomp profile (compiled by seccomp-cache.c). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include "spec-json.h"
#include "spec-linux.h"

static const struct { const char *name; int flag; } NAMESPACES[] = {
    {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS}, {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER}};

static const char *const LINUX[] = {"namespaces", "uidMappings", "gidMappings", "sysctl", "resources", "cgroupsPath", "devices",
                                    "seccomp", "maskedPaths", "readonlyPaths", "rootfsPropagation", NULL};
static const char *const RESOURCES[] = {"devices", "memory", "cpu", "pids", NULL};
static const char *const MEMORY[] = {"limit", "swap", NULL};
static const char *const CPU[] = {"shares", "quota", "period", NULL};
static const char *const PIDS[] = {"limit", NULL};
static const char *const DEVICE_RULE[] = {"allow", "type", "major", "minor", "access", NULL};
static const char *const DEVICE[] = {"path", "type", "major", "minor", "fileMode", "uid", "gid", NULL};
static const char *const NAMESPACE[] = {"type", "path", NULL};
static const char *const IDMAP[] = {"containerID", "hostID", "size", NULL};

bool spec_has_ns(const spec *s, int flag) {
  for (size_t i = 0; i < s->n_namespaces; i++)
    if (s->namespaces[i].flag == flag) return true;
  return false;
}

static int namespaces(json_object *l, spec *s, berth_err *err) {
  json_object *ns;
  if (jarray(l, "namespaces", &ns, "linux", err) < 0) return -1;
  for (size_t i = 0; ns && i < json_object_array_length(ns); i++) {
    json_object *e = json_object_array_get_idx(ns, i);
    char where[40];
    snprintf(where, sizeof where, "linux.namespaces[%zu]", i);
    const char *type = "", *path = NULL;
    if (jonly(e, where, NAMESPACE, err) < 0 || jstr(e, "type", &type, where, err) < 0 || jstr(e, "path", &path, where, err) < 0) return -1;
    int flag = 0;
    for (size_t k = 0; k < sizeof NAMESPACES / sizeof *NAMESPACES; k++)
      if (strcmp(NAMESPACES[k].name, type) == 0) flag = NAMESPACES[k].flag;
    if (!flag) return berth_failx(err, "config.json: %s.type '%s' is not a namespace", where, type);
    if (spec_has_ns(s, flag)) return berth_failx(err, "config.json: %s: a second '%s' namespace", where, type);
    if (flag == CLONE_NEWUSER && path && path[0])
      return berth_failx(err, "config.json: %s: joining a user namespace by path is not supported by berth's launcher (give uidMappings and gidMappings for a new one)", where);
    s->namespaces[s->n_namespaces++] = (spec_ns){flag, path && path[0] ? path : NULL};
  }
  return 0;
}

static int idmaps(json_object *l, const char *key, spec_idmap *out, size_t *n, berth_err *err) {
  json_object *a;
  if (jarray(l, key, &a, "linux", err) < 0) return -1;
  size_t len = a ? json_object_array_length(a) : 0;
  if (len > 8) return berth_failx(err, "config.json: linux.%s has %zu entries; the kernel takes at most 8 here", key, len);
  for (size_t i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    char where[40];
    snprintf(where, sizeof where, "linux.%s[%zu]", key, i);
    int64_t c = -1, h = -1, size = -1;
    if (jonly(e, where, IDMAP, err) < 0 || ji64(e, "containerID", &c, where, err) < 0 || ji64(e, "hostID", &h, where, err) < 0 || ji64(e, "size", &size, where, err) < 0)
      return -1;
    if (c < 0 || h < 0 || size <= 0 || c > UINT32_MAX || h > UINT32_MAX || size > UINT32_MAX)
      return berth_failx(err, "config.json: %s needs containerID, hostID and a positive size", where);
    out[(*n)++] = (spec_idmap){(uint32_t)c, (uint32_t)h, (uint32_t)size};
  }
  return 0;
}

/* Which namespace a sysctl belongs to (runc's rules): it may only be set in a namespace of the container's own. */
static int sysctl_namespace(const char *name) {
  static const char *const IPC[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (size_t i = 0; i < sizeof IPC / sizeof *IPC; i++)
    if (strcmp(IPC[i], name) == 0) return CLONE_NEWIPC;
  if (strncmp(name, "fs.mqueue.", 10) == 0) return CLONE_NEWIPC;
  if (strncmp(name, "net.", 4) == 0) return CLONE_NEWNET;
  if (strcmp(name, "kernel.domainname") == 0 || strcmp(name, "kernel.hostname") == 0) return CLONE_NEWUTS;
  return 0;
}

static int sysctls(json_object *l, spec *s, berth_err *err) {
  json_object *o = jget(l, "sysctl");
  if (!o || json_object_is_type(o, json_type_null)) return 0;
  if (!json_object_is_type(o, json_type_object)) return berth_failx(err, "config.json: linux.sysctl must be an object of strings");
  if (!(s->sysctls = calloc((size_t)json_object_object_length(o) + 1, sizeof *s->sysctls))) return berth_fail(err, "calloc");
  json_object_object_foreach(o, key, val) {
    if (!json_object_is_type(val, json_type_string)) return berth_failx(err, "config.json: linux.sysctl.%s must be a string", key);
    if (!key[0] || key[0] == '.' || key[0] == '/' || strstr(key, "..") || strchr(key, '/'))
      return berth_failx(err, "config.json: linux.sysctl '%s' is not a sysctl name", key);
    int ns = sysctl_namespace(key);
    if (!ns) return berth_failx(err, "config.json: linux.sysctl '%s' is not a sysctl of a container's namespaces: it would change the host", key);
    if (!spec_has_ns(s, ns)) return berth_failx(err, "config.json: linux.sysctl '%s' needs a %s namespace of the container's own in linux.namespaces", key,
                                                ns == CLONE_NEWNET ? "network" : ns == CLONE_NEWIPC ? "ipc" : "uts");
    s->sysctls[s->n_sysctls++] = (spec_sysctl){key, json_object_get_string(val)};
  }
  return 0;
}

static int device_rules(json_object *r, spec *s, berth_err *err) {
  json_object *d;
  if (jarray(r, "devices", &d, "linux.resources", err) < 0) return -1;
  size_t n = d ? json_object_array_length(d) : 0;
  if (n && !(s->devices = calloc(n + 1, sizeof *s->devices))) return berth_fail(err, "calloc");
  for (; s->n_devices < n; s->n_devices++) {
    spec_device_rule *rule = &s->devices[s->n_devices];
    json_object *e = json_object_array_get_idx(d, s->n_devices);
    char where[48];
    snprintf(where, sizeof where, "linux.resources.devices[%zu]", s->n_devices);
    const char *type = "a";
    rule->access = "rwm";
    rule->major = rule->minor = -1;
    if (jonly(e, where, DEVICE_RULE, err) < 0 || jbool(e, "allow", &rule->allow, where, err) < 0 || jstr(e, "type", &type, where, err) < 0 ||
        jstr(e, "access", &rule->access, where, err) < 0 || ji64(e, "major", &rule->major, where, err) < 0 || ji64(e, "minor", &rule->minor, where, err) < 0)
      return -1;
    rule->type = type[0] ? type[0] : 'a';
  }
  return 0;
}

static int resources(json_object *r, spec *s, berth_err *err) {
  json_object *mem = jget(r, "memory"), *cpu = jget(r, "cpu"), *pids = jget(r, "pids");
  if (jonly(r, "linux.resources", RESOURCES, err) < 0 || jonly(mem, "linux.resources.memory", MEMORY, err) < 0 ||
      jonly(cpu, "linux.resources.cpu", CPU, err) < 0 || jonly(pids, "linux.resources.pids", PIDS, err) < 0)
    return -1;
  if (ji64(mem, "limit", &s->memory_limit, "linux.resources.memory", err) < 0 || ji64(mem, "swap", &s->memory_swap, "linux.resources.memory", err) < 0 ||
      ji64(cpu, "shares", &s->cpu_shares, "linux.resources.cpu", err) < 0 || ji64(cpu, "quota", &s->cpu_quota, "linux.resources.cpu", err) < 0 ||
      ji64(cpu, "period", &s->cpu_period, "linux.resources.cpu", err) < 0 || ji64(pids, "limit", &s->pids_limit, "linux.resources.pids", err) < 0)
    return -1;
  return device_rules(r, s, err);
}

static int device_nodes(json_object *l, spec *s, berth_err *err) {
  json_object *d;
  if (jarray(l, "devices", &d, "linux", err) < 0) return -1;
  size_t n = d ? json_object_array_length(d) : 0;
  if (n && !(s->device_nodes = calloc(n + 1, sizeof *s->device_nodes))) return berth_fail(err, "calloc");
  for (; s->n_device_nodes < n; s->n_device_nodes++) {
    spec_device *dev = &s->device_nodes[s->n_device_nodes];
    json_object *e = json_object_array_get_idx(d, s->n_device_nodes);
    char where[40];
    snprintf(where, sizeof where, "linux.devices[%zu]", s->n_device_nodes);
    const char *type = "";
    dev->major = dev->minor = dev->mode = dev->uid = dev->gid = -1;
    if (jonly(e, where, DEVICE, err) < 0 || jstr(e, "path", &dev->path, where, err) < 0 || jstr(e, "type", &type, where, err) < 0 ||
        ji64(e, "major", &dev->major, where, err) < 0 || ji64(e, "minor", &dev->minor, where, err) < 0 || ji64(e, "fileMode", &dev->mode, where, err) < 0 ||
        ji64(e, "uid", &dev->uid, where, err) < 0 || ji64(e, "gid", &dev->gid, where, err) < 0)
      return -1;
    if (!dev->path || strncmp(dev->path, "/dev/", 5) != 0) return berth_failx(err, "config.json: %s.path must be under /dev/", where);
    if (strlen(type) != 1 || !strchr("cbup", type[0])) return berth_failx(err, "config.json: %s.type '%s' must be c, b, u or p", where, type);
    dev->type = type[0];
    if (dev->type != 'p' && (dev->major < 0 || dev->minor < 0)) return berth_failx(err, "config.json: %s needs major and minor", where);
  }
  return 0;
}

static int propagation(json_object *l, spec *s, berth_err *err) {
  const char *prop = NULL;
  if (jstr(l, "rootfsPropagation", &prop, "linux", err) < 0) return -1;
  s->rootfs_propagation = MS_SLAVE | MS_REC; /* runc's default */
  if (!prop) return 0;
  static const struct { const char *name; unsigned long flags; } P[] = {
      {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC}, {"slave", MS_SLAVE}, {"rslave", MS_SLAVE | MS_REC},
      {"shared", MS_SHARED},   {"rshared", MS_SHARED | MS_REC}};
  for (size_t i = 0; i < sizeof P / sizeof *P; i++)
    if (strcmp(P[i].name, prop) == 0) return s->rootfs_propagation = P[i].flags, 0;
  return berth_failx(err, "config.json: linux.rootfsPropagation '%s' is not a propagation", prop);
}

int spec_linux(void *linux_obj, spec *s, berth_err *err) {
  json_object *l = linux_obj;
  if (jonly(l, "linux", LINUX, err) < 0 || namespaces(l, s, err) < 0) return -1;
  if (idmaps(l, "uidMappings", s->uid_maps, &s->n_uid_maps, err) < 0 || idmaps(l, "gidMappings", s->gid_maps, &s->n_gid_maps, err) < 0) return -1;
  bool userns = spec_has_ns(s, CLONE_NEWUSER);
  if (userns && (!s->n_uid_maps || !s->n_gid_maps))
    return berth_failx(err, "config.json: a new user namespace needs linux.uidMappings and linux.gidMappings");
  if (!userns && (s->n_uid_maps || s->n_gid_maps))
    return berth_failx(err, "config.json: linux.uidMappings/gidMappings are given without a user namespace in linux.namespaces");
  if (sysctls(l, s, err) < 0) return -1;
  if (jstr(l, "cgroupsPath", &s->cgroups_path, "linux", err) < 0) return -1;
  if (resources(jget(l, "resources"), s, err) < 0 || device_nodes(l, s, err) < 0) return -1;
  if (jstrs(l, "maskedPaths", &s->masked_paths, &s->n_masked, "linux", err) < 0) return -1;
  if (jstrs(l, "readonlyPaths", &s->readonly_paths, &s->n_readonly, "linux", err) < 0) return -1;
  if (propagation(l, s, err) < 0) return -1;
  json_object *sc = jget(l, "seccomp");
  /* Compiled (or read from its cache) by the command that runs a process: seccomp_prepare. */
  s->seccomp = sc && !json_object_is_type(sc, json_type_null) ? sc : NULL;
  return 0;
}
