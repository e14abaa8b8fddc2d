/* Opening a path inside a root directory, as if that directory were "/" (mount targets, masked and
 * read-only paths): symlinks and ".." never lead out of it. */
#ifndef BERTH_RESOLVE_H
#define BERTH_RESOLVE_H
#include <stdbool.h>
#include "error.h"

/* openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); on kernels without openat2 (< 5.6), or when
 * force_walk is set (tests), the same resolution done one component at a time. Returns an fd. */
int resolve_in_root(int rootfd, const char *path, int flags, bool force_walk, berth_err *err);

#endif
