/* linux.seccomp of config.json (the OCI runtime spec's form, as runc reads it) compiled to a BPF
 * filter with libseccomp (Debian's libseccomp-dev), and loaded into the container's process. */
#ifndef BERTH_SECCOMP_FILTER_H
#define BERTH_SECCOMP_FILTER_H
#include <stdbool.h>
#include "error.h"

/* Builds the filter (a scmp_filter_ctx in *ctx) from the json_object of linux.seccomp; every
 * action, operator, architecture and flag is checked, an unknown one is an error naming it. */
int seccomp_compile(void *json, void **ctx, berth_err *err);
#endif
