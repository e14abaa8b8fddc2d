/* See seccomp-filter.h. The semantics are runc's (libcontainer/seccomp): a rule whose action is the
 * default one is skipped, a syscall name this libseccomp does not know is skipped (the default
 * action applies to it), several conditions on one argument are OR-ed (one rule each), and the
 * filter does not set no_new_privs by itself. */
#define _GNU_SOURCE
#include "seccomp-filter.h"
#include <ctype.h>
#include <seccomp.h>
#include <stdlib.h>
#include "spec-json.h"

static const char *const SECCOMP[] = {"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls", NULL};
static const char *const SYSCALL[] = {"names", "action", "errnoRet", "args", NULL};
static const char *const ARG[] = {"index", "value", "valueTwo", "op", NULL};

static const struct { const char *name; enum scmp_compare op; } OPS[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT}, {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};

static const struct { const char *name; enum scmp_filter_attr attr; } FLAGS[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC}, {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB}};

/* The action `name` (with its errno for ERRNO and TRACE) read from object o. */
static int action(json_object *o, const char *key, const char *errno_key, uint32_t *out, const char *where, berth_err *err) {
  const char *name = NULL;
  int64_t ret = -1;
  if (jstr(o, key, &name, where, err) < 0 || ji64(o, errno_key, &ret, where, err) < 0) return -1;
  if (!name) return berth_failx(err, "config.json: %s.%s is missing", where, key);
  if (ret > 0xffff) return berth_failx(err, "config.json: %s.%s %lld is not an errno", where, errno_key, (long long)ret);
  uint16_t e = ret >= 0 ? (uint16_t)ret : EPERM; /* the runtime spec's default errno */
  bool with_ret = true;
  if (strcmp(name, "SCMP_ACT_ERRNO") == 0) *out = SCMP_ACT_ERRNO(e);
  else if (strcmp(name, "SCMP_ACT_TRACE") == 0) *out = SCMP_ACT_TRACE(e);
  else {
    with_ret = false;
    if (strcmp(name, "SCMP_ACT_ALLOW") == 0) *out = SCMP_ACT_ALLOW;
    else if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0) *out = SCMP_ACT_KILL_THREAD;
    else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0) *out = SCMP_ACT_KILL_PROCESS;
    else if (strcmp(name, "SCMP_ACT_TRAP") == 0) *out = SCMP_ACT_TRAP;
    else if (strcmp(name, "SCMP_ACT_LOG") == 0) *out = SCMP_ACT_LOG;
    else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
      return berth_failx(err, "config.json: %s.%s SCMP_ACT_NOTIFY needs a seccomp agent, which berth's launcher does not support", where, key);
    else return berth_failx(err, "config.json: %s.%s '%s' is not a seccomp action", where, key, name);
  }
  if (ret >= 0 && !with_ret) return berth_failx(err, "config.json: %s.%s is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s", where, errno_key, name);
  return 0;
}

static int architectures(json_object *sc, scmp_filter_ctx ctx, berth_err *err) {
  const char **arches;
  size_t n;
  if (jstrs(sc, "architectures", &arches, &n, "linux.seccomp", err) < 0) return -1;
  for (size_t i = 0; i < n; i++) {
    /* SCMP_ARCH_X86_64 → libseccomp's "x86_64". */
    const char *a = strncmp(arches[i], "SCMP_ARCH_", 10) == 0 ? arches[i] + 10 : arches[i];
    char lower[32];
    size_t k = 0;
    for (; a[k] && k + 1 < sizeof lower; k++) lower[k] = (char)tolower((unsigned char)a[k]);
    lower[k] = 0;
    uint32_t token = seccomp_arch_resolve_name(lower);
    if (!token) return free(arches), berth_failx(err, "config.json: linux.seccomp.architectures[%zu] '%s' is not an architecture libseccomp knows", i, arches[i]);
    int rc = seccomp_arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) return free(arches), errno = -rc, berth_fail(err, "seccomp: add architecture %s", arches[i]);
  }
  free(arches);
  return 0;
}

static int flags(json_object *sc, scmp_filter_ctx ctx, berth_err *err) {
  const char **names;
  size_t n;
  if (jstrs(sc, "flags", &names, &n, "linux.seccomp", err) < 0) return -1;
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    while (k < sizeof FLAGS / sizeof *FLAGS && strcmp(FLAGS[k].name, names[i]) != 0) k++;
    if (k == sizeof FLAGS / sizeof *FLAGS) return free(names), berth_failx(err, "config.json: linux.seccomp.flags[%zu] '%s' is not supported by berth's launcher", i, names[i]);
    int rc = seccomp_attr_set(ctx, FLAGS[k].attr, 1);
    if (rc < 0) return free(names), errno = -rc, berth_fail(err, "seccomp: set %s", FLAGS[k].name);
  }
  free(names);
  return 0;
}

/* The conditions of one rule; *or_each when two of them test the same argument (libseccomp ANDs the
 * conditions of a rule and refuses two on one argument: runc adds one rule per condition then). */
static int conditions(json_object *rule, const char *where, struct scmp_arg_cmp *cmps, unsigned *n, bool *or_each, berth_err *err) {
  json_object *args;
  if (jarray(rule, "args", &args, where, err) < 0) return -1;
  *n = 0;
  *or_each = false;
  unsigned seen = 0;
  for (size_t i = 0; args && i < json_object_array_length(args); i++) {
    json_object *a = json_object_array_get_idx(args, i);
    char at[72];
    snprintf(at, sizeof at, "%s.args[%zu]", where, i);
    int64_t index = -1, value = 0, two = 0;
    const char *op = NULL;
    if (jonly(a, at, ARG, err) < 0 || ji64(a, "index", &index, at, err) < 0 || jstr(a, "op", &op, at, err) < 0) return -1;
    /* Values are unsigned 64-bit (masks like 18446744073709551615 pass int64): read them as such. */
    value = (int64_t)json_object_get_uint64(jget(a, "value"));
    two = (int64_t)json_object_get_uint64(jget(a, "valueTwo"));
    if (index < 0 || index > 5) return berth_failx(err, "config.json: %s.index must be 0 to 5", at);
    if (i >= 6) return berth_failx(err, "config.json: %s: at most 6 conditions per rule", at);
    size_t k = 0;
    while (op && k < sizeof OPS / sizeof *OPS && strcmp(OPS[k].name, op) != 0) k++;
    if (!op || k == sizeof OPS / sizeof *OPS) return berth_failx(err, "config.json: %s.op '%s' is not a seccomp operator", at, op ? op : "");
    if (seen & (1u << index)) *or_each = true;
    seen |= 1u << index;
    cmps[(*n)++] = (struct scmp_arg_cmp){(unsigned)index, OPS[k].op, (scmp_datum_t)value, (scmp_datum_t)two};
  }
  return 0;
}

static int rules(json_object *sc, scmp_filter_ctx ctx, uint32_t default_action, berth_err *err) {
  json_object *list;
  if (jarray(sc, "syscalls", &list, "linux.seccomp", err) < 0) return -1;
  for (size_t i = 0; list && i < json_object_array_length(list); i++) {
    json_object *rule = json_object_array_get_idx(list, i);
    char where[48];
    snprintf(where, sizeof where, "linux.seccomp.syscalls[%zu]", i);
    uint32_t act;
    struct scmp_arg_cmp cmps[6];
    unsigned n;
    bool or_each;
    const char **names;
    size_t n_names;
    if (jonly(rule, where, SYSCALL, err) < 0 || action(rule, "action", "errnoRet", &act, where, err) < 0 ||
        conditions(rule, where, cmps, &n, &or_each, err) < 0 || jstrs(rule, "names", &names, &n_names, where, err) < 0)
      return -1;
    if (n_names == 0) return berth_failx(err, "config.json: %s.names is empty", where);
    if (act == default_action) continue;
    for (size_t j = 0; j < n_names; j++) {
      int nr = seccomp_syscall_resolve_name(names[j]);
      if (nr == __NR_SCMP_ERROR) continue;
      int rc = 0;
      if (or_each)
        for (unsigned k = 0; k < n && rc == 0; k++) rc = seccomp_rule_add_array(ctx, act, nr, 1, &cmps[k]);
      else rc = seccomp_rule_add_array(ctx, act, nr, n, cmps);
      if (rc < 0 && rc != -EEXIST) return free(names), errno = -rc, berth_fail(err, "seccomp: %s: rule for '%s'", where, names[j]);
    }
    free(names);
  }
  return 0;
}

int seccomp_compile(void *json, void **out, berth_err *err) {
  json_object *sc = json;
  uint32_t def;
  if (!json_object_is_type(sc, json_type_object)) return berth_failx(err, "config.json: linux.seccomp must be an object");
  if (jonly(sc, "linux.seccomp", SECCOMP, err) < 0 || action(sc, "defaultAction", "defaultErrnoRet", &def, "linux.seccomp", err) < 0) return -1;
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return berth_failx(err, "seccomp: cannot make a filter with linux.seccomp.defaultAction");
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  /* A binary tree of syscall numbers instead of libseccomp's default list, same verdicts. Each start
   * loads the filter, and the kernel walks it then: it emulates the program for every syscall of
   * every architecture to build its cache of always-allowed calls (seccomp_cache_prepare) under the
   * process's signal lock. With Docker's default profile (3 architectures) a load cost ~1.0 ms as a
   * list and ~0.36 ms as a tree on this host. libseccomp < 2.5 lacks the attribute: then the list. */
  if (rc == 0) (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc < 0 || architectures(sc, ctx, err) < 0 || flags(sc, ctx, err) < 0 || rules(sc, ctx, def, err) < 0) {
    if (rc < 0) errno = -rc, berth_fail(err, "seccomp: unset the no_new_privs attribute");
    seccomp_release(ctx);
    return -1;
  }
  *out = ctx;
  return 0;
}
