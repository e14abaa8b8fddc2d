/* Capabilities without libcap: the bounding set is dropped with PR_CAPBSET_DROP, the effective,
 * permitted and inheritable sets are set with capset(2), ambient ones raised with PR_CAP_AMBIENT. */
#ifndef BERTH_CAPS_H
#define BERTH_CAPS_H
#include <stdint.h>
#include "error.h"

/* Drops every capability not in `bounding` from the bounding set (while CAP_SETPCAP is still held). */
int caps_drop_bounding(uint64_t bounding, berth_err *err);
/* Sets the final sets; called after the uid change (with PR_SET_KEEPCAPS kept across it). */
int caps_apply(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient, berth_err *err);
#endif
