// POSIX shared memory and memfd (see sys/shm_memfd.h).
#include "sys/shm_memfd.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace mmapkit::sys {
namespace {

int Errno(int rc) { return rc == 0 ? 0 : errno; }

}  // namespace

int ShmOpen(const char* name, int oflag, int mode, int* fd) {
  int f = shm_open(name, oflag | O_CLOEXEC, static_cast<mode_t>(mode));
  if (f < 0) return errno;
  *fd = f;
  return 0;
}

int ShmUnlink(const char* name) { return Errno(shm_unlink(name)); }

int MemfdCreate(const char* name, unsigned flags, int* fd) {
  int f = static_cast<int>(syscall(SYS_memfd_create, name, flags));
  if (f < 0) return errno;
  *fd = f;
  return 0;
}

int AddSeals(int fd, int seals) { return Errno(fcntl(fd, F_ADD_SEALS, seals) < 0 ? -1 : 0); }

int GetSeals(int fd, int* seals) {
  int s = fcntl(fd, F_GET_SEALS);
  if (s < 0) return errno;
  *seals = s;
  return 0;
}

}  // namespace mmapkit::sys
