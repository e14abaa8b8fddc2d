/* The container's seccomp filter as BPF, from a cache. Compiling a filter of some 300 rules for
 * three architectures with libseccomp is half of a container start's time and half of an exec's
 * (63 of 126 ms for `berth-run run` of `true` here, 18 of 35 ms for an exec), and every container
 * made from the same profile — nearly all of them: Docker's default — compiles the same one.
 *
 * The BPF is kept in one file per profile, keyed by a hash of the linux.seccomp text and the
 * libseccomp version that made it: in the directory given by --seccomp-cache (the runtime's,
 * shared by all its containers; made root's and private, and not used when it is not), or else in
 * the bundle (`<bundle>/seccomp.bpf`). A file is taken only when it is root's regular file,
 * writable by no one else, whole and made from the same text; anything else is compiled again. */
#ifndef BERTH_SECCOMP_CACHE_H
#define BERTH_SECCOMP_CACHE_H
#include "error.h"

/* Host side, before the container's namespaces: the BPF of linux.seccomp (`json`, a json_object)
 * read from the cache (`dir`, or `bundle`'s when dir is NULL), or compiled (seccomp-filter.c: every
 * field checked) and cached. */
int seccomp_prepare(void *json, const char *bundle, const char *dir, berth_err *err);
/* The prepared BPF into the calling thread, with the filter's flags (no_new_privs is the config's
 * to set, not the filter's). Nothing when none was prepared. */
int seccomp_install(berth_err *err);
#endif
