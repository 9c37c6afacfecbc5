// POSIX shared memory (shm_open) and memfd (memfd_create, seals). Every function returns 0 or an
// errno value and never throws. Bound to JavaScript by native/binding/files.cc; names arrive
// validated by lib/shm.ts (a leading '/', no other '/', no NUL).
#pragma once

namespace mmapkit::sys {

// shm_open(3) with O_CLOEXEC added.
int ShmOpen(const char* name, int oflag, int mode, int* fd);
int ShmUnlink(const char* name);
// memfd_create(2) (through syscall(), for C libraries without the wrapper); flags: MFD_* bits.
int MemfdCreate(const char* name, unsigned flags, int* fd);
// fcntl(F_ADD_SEALS / F_GET_SEALS) with F_SEAL_* bits.
int AddSeals(int fd, int seals);
int GetSeals(int fd, int* seals);

}  // namespace mmapkit::sys
