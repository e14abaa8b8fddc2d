#include "spec-json.h"
#include <stdlib.h>

json_object *jget(json_object *o, const char *key) {
  json_object *v = NULL;
  return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *dot(const char *where) { return where[0] ? "." : ""; }

int jstr(json_object *o, const char *key, const char **out, const char *where, berth_err *err) {
  json_object *v = jget(o, key);
  if (!v || json_object_is_type(v, json_type_null)) return 0;
  if (!json_object_is_type(v, json_type_string)) return berth_failx(err, "config.json: %s%s%s must be a string", where, dot(where), key);
  *out = json_object_get_string(v);
  return 0;
}

int ji64(json_object *o, const char *key, int64_t *out, const char *where, berth_err *err) {
  json_object *v = jget(o, key);
  if (!v || json_object_is_type(v, json_type_null)) return 0;
  if (!json_object_is_type(v, json_type_int)) return berth_failx(err, "config.json: %s%s%s must be an integer", where, dot(where), key);
  *out = json_object_get_int64(v);
  return 0;
}

int jbool(json_object *o, const char *key, bool *out, const char *where, berth_err *err) {
  json_object *v = jget(o, key);
  if (!v || json_object_is_type(v, json_type_null)) return 0;
  if (!json_object_is_type(v, json_type_boolean)) return berth_failx(err, "config.json: %s%s%s must be true or false", where, dot(where), key);
  *out = json_object_get_boolean(v);
  return 0;
}

int jarray(json_object *o, const char *key, json_object **out, const char *where, berth_err *err) {
  json_object *a = jget(o, key);
  *out = NULL;
  if (!a || json_object_is_type(a, json_type_null)) return 0;
  if (!json_object_is_type(a, json_type_array)) return berth_failx(err, "config.json: %s%s%s must be an array", where, dot(where), key);
  *out = a;
  return 0;
}

int jstrs(json_object *o, const char *key, const char ***out, size_t *n, const char *where, berth_err *err) {
  *out = NULL;
  *n = 0;
  json_object *a;
  if (jarray(o, key, &a, where, err) < 0) return -1;
  if (!a) return 0;
  size_t len = json_object_array_length(a);
  *out = calloc(len + 1, sizeof **out);
  if (!*out) return berth_fail(err, "calloc");
  for (size_t i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    if (!json_object_is_type(e, json_type_string)) return berth_failx(err, "config.json: %s%s%s[%zu] must be a string", where, dot(where), key, i);
    (*out)[i] = json_object_get_string(e);
  }
  *n = len;
  return 0;
}

static bool is_set(json_object *v) {
  switch (json_object_get_type(v)) {
  case json_type_null: return false;
  case json_type_boolean: return json_object_get_boolean(v);
  case json_type_string: return json_object_get_string_len(v) > 0;
  case json_type_array: return json_object_array_length(v) > 0;
  case json_type_object: return json_object_object_length(v) > 0;
  default: return true;
  }
}

int jonly(json_object *o, const char *where, const char *const *known, berth_err *err) {
  if (!o || !json_object_is_type(o, json_type_object)) return 0;
  json_object_object_foreach(o, key, val) {
    bool ok = false;
    for (const char *const *k = known; *k && !ok; k++) ok = strcmp(*k, key) == 0;
    if (!ok && is_set(val))
      return berth_failx(err, "config.json: %s%s%s is not supported by berth's launcher; it is refused rather than ignored "
                              "(remove it, or run this bundle with runc)", where, dot(where), key);
  }
  return 0;
}
