#define _GNU_SOURCE
#include "sealed.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

extern char **environ;
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int sealed_reexec(char **argv, berth_err *err) {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return berth_fail(err, "prctl PR_SET_DUMPABLE");
  cleanup_fd int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) return berth_fail(err, "open '/proc/self/exe'");
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS) return 0;
  struct stat st;
  if (fstat(self, &st) < 0) return berth_fail(err, "stat '/proc/self/exe'");
  cleanup_fd int mem = memfd_create("berth-run", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0) return berth_fail(err, "memfd_create");
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = sendfile(mem, self, NULL, (size_t)(st.st_size - done));
    if (n <= 0) return berth_fail(err, "copy '/proc/self/exe' to a memfd");
    done += n;
  }
  if (fcntl(mem, F_ADD_SEALS, SEALS) < 0) return berth_fail(err, "seal the memfd copy");
  fexecve(mem, argv, environ);
  return berth_fail(err, "fexecve the sealed copy");
}
