// File syscalls for mapping: open, size, truncate, page-cache residency, eviction and touch.
// Every function returns 0 or an errno value and never throws. Bound to JavaScript by
// native/binding/files.cc, which validates the arguments (fd is an int, size a file's size).
#pragma once
#include <cstdint>

namespace mmapkit::sys {

// open(2), retried on EINTR, always with O_CLOEXEC added.
int OpenFile(const char* path, int flags, int mode, int* fd);
int CloseFd(int fd);
// The size of the file behind fd (a block device's from lseek).
int FileSize(int fd, uint64_t* size);
int Truncate(int fd, uint64_t size);
int Evict(int fd);  // fdatasync, then posix_fadvise(POSIX_FADV_DONTNEED) over the whole file
// Maps the file read-only and reports per-page residency through mincore. vec may be null to
// count only; otherwise it must hold (size + page - 1) / page bytes (the binding allocates it).
// *pages and *resident receive the totals.
int FileResidency(int fd, uint64_t size, uint8_t* vec, uint64_t* pages, uint64_t* resident);
// Faults the first `size` bytes of the file into the page cache, guarded (SIGBUS past the end of
// a file truncated meanwhile is returned, with the address in *fault).
int FileTouch(int fd, uint64_t size, void** fault);

}  // namespace mmapkit::sys
