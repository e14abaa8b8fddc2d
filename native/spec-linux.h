/* The linux section of config.json (spec-linux.c): namespaces, ID mappings, sysctls, resources,
 * devices, cgroupsPath. */
#ifndef BERTH_SPEC_LINUX_H
#define BERTH_SPEC_LINUX_H
#include <stdbool.h>
#include "error.h"
#include "spec-types.h"

/* Fills s from the linux object (a json_object *; NULL: the section is absent). */
int spec_linux(void *linux_obj, spec *s, berth_err *err);
/* Whether linux.namespaces has one of this CLONE_NEW* flag. */
bool spec_has_ns(const spec *s, int flag);
#endif
