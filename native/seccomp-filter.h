/* linux.seccomp of config.json (the OCI runtime spec's form, as runc reads it) compiled to a BPF
 * filter with libseccomp (Debian's libseccomp-dev), and loaded into the container's process. */
#ifndef BERTH_SECCOMP_FILTER_H
#define BERTH_SECCOMP_FILTER_H
#include <stdbool.h>
#include "error.h"

/* Builds the filter (a scmp_filter_ctx in *ctx) from the json_object of linux.seccomp; every
 * action, operator, architecture and flag is checked, an unknown one is an error naming it. */
int seccomp_compile(void *json, void **ctx, berth_err *err);
/* Set by exec before it loads the config: seccomp_compile only keeps the JSON (its *ctx a stand-in),
 * compiled by seccomp_compile_pending when the bundle's cache (seccomp-cache.h) cannot serve it — an
 * exec mostly loads the cached BPF, and compiling some 300 rules was a sixth of its time. */
extern bool seccomp_compile_later;
/* A stand-in *ctx compiled now (a real one is left as it is). */
int seccomp_compile_pending(void **ctx, berth_err *err);
/* The text (plain JSON) of the linux.seccomp last compiled; NULL before. */
const char *seccomp_text(void);
/* Loads it into the calling thread (the exec's cached BPF when seccomp_cache_prepare made one) (no_new_privs is the config's to set, not libseccomp's). */
int seccomp_install(void *ctx, berth_err *err);
#endif
