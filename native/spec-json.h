/* Reading config.json with json-c: typed getters that name the field in their errors, and the check
 * that refuses a field the launcher does not implement (so a setting is never silently dropped). */
#ifndef BERTH_SPEC_JSON_H
#define BERTH_SPEC_JSON_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include "error.h"

json_object *jget(json_object *o, const char *key);
/* Each returns 0 and leaves *out as it was when the member is absent (or null). */
int jstr(json_object *o, const char *key, const char **out, const char *where, berth_err *err);
int ji64(json_object *o, const char *key, int64_t *out, const char *where, berth_err *err);
int jbool(json_object *o, const char *key, bool *out, const char *where, berth_err *err);
/* A JSON array of strings as a NULL-terminated array of pointers into the document. */
int jstrs(json_object *o, const char *key, const char ***out, size_t *n, const char *where, berth_err *err);
/* The array member `key` (NULL when absent or null); an error when it is something else. */
int jarray(json_object *o, const char *key, json_object **out, const char *where, berth_err *err);
/* Refuses every member of o that is not in `known` (NULL-terminated) and is set: anything but null,
 * false, "", [] and {}. `where` names o in the message ("process", "mounts[2]"). */
int jonly(json_object *o, const char *where, const char *const *known, berth_err *err);
#endif
