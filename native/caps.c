#define _GNU_SOURCE
#include "caps.h"
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static int last_cap(void) {
  static int last = -1;
  if (last >= 0) return last;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (!f || fscanf(f, "%d", &last) != 1) last = 40;
  if (f) fclose(f);
  return last;
}

int caps_drop_bounding(uint64_t bounding, berth_err *err) {
  for (int c = 0; c <= last_cap(); c++) {
    if (bounding & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) return berth_fail(err, "drop capability %d from the bounding set", c);
  }
  return 0;
}

int caps_apply(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient, berth_err *err) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
      {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
      {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)}};
  if (syscall(SYS_capset, &hdr, data) < 0) return berth_fail(err, "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return berth_fail(err, "clear ambient capabilities");
  for (int c = 0; c <= last_cap(); c++) {
    if (!(ambient & (1ULL << c))) continue;
    /* As runc: an ambient capability the kernel refuses (not permitted+inheritable) is skipped. */
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
  }
  return 0;
}
