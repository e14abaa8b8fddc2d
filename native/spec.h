/* The OCI runtime config (config.json) as the launcher uses it, parsed with json-c (Debian's
 * libjson-c-dev: a packaged, maintained parser, so none is vendored). Strings point into the parsed
 * document, which lives as long as the spec. The semantics are runc's for each field; a field the
 * launcher does not implement is refused with an error naming it (spec-fields.c), never read past,
 * so that no security setting is silently dropped. */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H
#include "error.h"
#include "spec-linux.h"
#include "spec-types.h"

/* Reads <bundle>/config.json; relative root.path is made absolute against the bundle. */
int spec_load(spec *s, const char *bundle, berth_err *err);
void spec_free(spec *s);
/* The capability number of "CAP_CHOWN" etc., or -1. */
int cap_from_name(const char *name);
#endif
