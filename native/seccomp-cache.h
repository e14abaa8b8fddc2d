/* exec's seccomp filter from a cache: generating the BPF of a filter of some 300 rules for three
 * architectures is about half of an exec's time (18 of 35 ms here), and every exec into a container
 * generates the same one. The first exec keeps it in <bundle>/seccomp.bpf (root's, 0600), made from
 * the host's side before it enters the container; the next ones load it when it was made from the
 * same linux.seccomp (a hash of its text) and fall back to generating it otherwise. */
#ifndef BERTH_SECCOMP_CACHE_H
#define BERTH_SECCOMP_CACHE_H
#include "error.h"

/* Host side, before the container's namespaces: reads the cache of `bundle` or makes it from *ctx
 * (the compiled linux.seccomp, or its stand-in, compiled only then: seccomp_compile_later; `json`
 * its text). After it, seccomp_install loads the cached BPF. */
int seccomp_cache_prepare(void **ctx, const char *json, const char *bundle, berth_err *err);
/* The prepared BPF into the calling thread, with the filter's flags; 1 when there was one, 0 when
 * there was none (install the filter the usual way), -1 on error. */
int seccomp_cache_install(berth_err *err);
#endif
