// The syscall layer for mappings: plain C++ over mmap(2) and friends. Every function returns 0 or
// an errno value and never throws; the quirks of the kernel interface (page-aligning an unaligned
// offset, overflow-safe bounds) are handled here, next to the syscalls.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace mmapkit::sys {

size_t PageSize();

// A mapping as the kernel sees it (base, base_len: page-aligned) and as the user sees it
// (base + delta, length).
struct Region {
  uint8_t* base = nullptr;
  size_t base_len = 0;
  size_t delta = 0;
  size_t length = 0;
  uint8_t* data() const { return base + delta; }
};

struct MapRequest {
  int fd = -1;             // -1 for anonymous memory
  uint64_t offset = 0;     // any byte offset; aligned down inside
  uint64_t length = 0;     // bytes the user sees; must be > 0
  int prot = 0;            // PROT_* bits
  bool shared = false;     // MAP_SHARED, else MAP_PRIVATE
  bool populate = false;   // MAP_POPULATE
  bool no_reserve = false; // MAP_NORESERVE
  bool hugetlb = false;    // MAP_HUGETLB (anonymous only)
};

int Map(const MapRequest& req, Region* out);
int Unmap(const Region& r);

// Bytes the kernel holds for the region: base_len rounded up to whole pages (MAP_HUGETLB regions
// are already rounded to whole huge pages by Map).
size_t SpanOf(const Region& r);

// Retires [base, base + len) (page-aligned): one mmap(MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS |
// MAP_NORESERVE, PROT_READ | PROT_WRITE) replaces whatever is mapped there, atomically, so the file
// (or shared memory) and its pages are let go at once while the addresses stay valid: later reads
// see zeros, later writes land in fresh private pages that nothing else sees. Nothing else can be
// mapped into the range until Release(base, len). On failure (ENOMEM) the old mapping is left as it
// was, which is just as safe, only later released.
int Retire(uint8_t* base, size_t len);
// munmap of a retired (or any) range.
int Release(uint8_t* base, size_t len);

// Ranged operations take a range in the user's coordinates [off, off + len) of the region and
// widen it to whole pages.
int Sync(const Region& r, size_t off, size_t len, int flags);
int Advise(const Region& r, size_t off, size_t len, int advice);
int Protect(const Region& r, size_t off, size_t len, int prot);
int Lock(const Region& r, size_t off, size_t len, bool on_fault);
int Unlock(const Region& r, size_t off, size_t len);
// One byte per page of the widened range into vec (bit 0: resident); *pages receives the count.
// vec must hold PagesIn(r, off, len) bytes.
size_t PagesIn(const Region& r, size_t off, size_t len);
int Residency(const Region& r, size_t off, size_t len, uint8_t* vec);
// mremap to new_length user-visible bytes; on success r is updated (it may move).
//
// With keep_old false the kernel unmaps whatever the region no longer covers (the tail of a shrunk
// mapping, the old range of a moved one). With keep_old true that range is never left unmapped, not
// even for an instant: it is retired (see Retire) and returned in *vacated_base / *vacated_len for
// the caller to Release once nothing refers to it any more (*vacated_len is 0 when nothing was
// vacated). A move then takes mremap(MREMAP_DONTUNMAP) to the new place, a grow there (which may
// move again: nothing refers to the new place yet) and Retire over the old range. Kernels older than
// 5.13 refuse MREMAP_DONTUNMAP on file and shared mappings: the old range is then unmapped by the
// move and mapped over by a placeholder right after (MAP_FIXED_NOREPLACE), which leaves a window of
// a few microseconds in which another thread's mmap could take the range.
int Resize(Region* r, size_t new_length, bool may_move, bool keep_old, uint8_t** vacated_base,
           size_t* vacated_len);

// Guarded copies between mapped bytes and ordinary memory: SIGBUS becomes a return of SIGBUS
// (with the faulting address in *fault) instead of killing the process.
int CopyOut(const Region& r, size_t off, size_t len, uint8_t* dst, void** fault);
int CopyIn(const Region& r, size_t off, size_t len, const uint8_t* src, void** fault);
// Reads one byte of every page in [off, off + len) so each is faulted in; guarded like CopyOut.
int TouchPages(const Region& r, size_t off, size_t len, void** fault);

// Files.
int OpenFile(const char* path, int flags, int mode, int* fd);
int CloseFd(int fd);
int FileSize(int fd, uint64_t* size);
int Truncate(int fd, uint64_t size);
int Evict(int fd);  // fdatasync, then posix_fadvise(POSIX_FADV_DONTNEED) over the whole file
// Maps the file read-only and reports per-page residency through mincore. vec may be null to
// count only; *pages and *resident receive the totals.
int FileResidency(int fd, uint64_t size, uint8_t* vec, uint64_t* pages, uint64_t* resident);
int FileTouch(int fd, uint64_t size, void** fault);

// POSIX shared memory and memfd.
int ShmOpen(const char* name, int oflag, int mode, int* fd);
int ShmUnlink(const char* name);
int MemfdCreate(const char* name, unsigned flags, int* fd);
int AddSeals(int fd, int seals);
int GetSeals(int fd, int* seals);

// Process-shared futex on a 32-bit word (no FUTEX_PRIVATE_FLAG, so it works across processes
// on MAP_SHARED memory). timeout_ns < 0 waits forever. Returns 0 when woken, EAGAIN when the
// word did not hold `expected`, ETIMEDOUT, or EINTR.
int FutexWait(uint32_t* addr, uint32_t expected, int64_t timeout_ns);
int FutexWake(uint32_t* addr, int count, int* woken);

// The same wait with an absolute CLOCK_MONOTONIC deadline (deadline_ns < 0: none) and a wake mask
// (FUTEX_WAIT_BITSET): a waiter is reached by every FutexWake and by the FutexWakeBits calls
// whose mask shares a bit with `bits` (nonzero). The word must be 4-byte aligned (EINVAL
// otherwise); EFAULT when it is not mapped readable.
int FutexWaitUntil(uint32_t* addr, uint32_t expected, int64_t deadline_ns, uint32_t bits);
int FutexWakeBits(uint32_t* addr, int count, uint32_t bits, int* woken);
// FutexWakeBits for a word whose memory may have been unmapped (EFAULT): a waiter that slept on
// private memory is found by (process, address), so a private anonymous page mapped there for the
// moment (never over an existing mapping) reaches it. Returns 0 or an errno value.
int FutexWakeRetired(uint32_t* addr, int count, uint32_t bits);
// CLOCK_MONOTONIC in nanoseconds, the clock of FutexWaitUntil's deadline.
int64_t MonotonicNs();

}  // namespace mmapkit::sys
