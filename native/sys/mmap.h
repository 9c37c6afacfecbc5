// The mapping syscalls: plain C++ over mmap(2), munmap, mremap, msync, madvise, mprotect, mlock
// and mincore. Every function returns 0 or an errno value and never throws; the quirks of the
// kernel interface (page-aligning an unaligned offset, overflow-safe bounds) are handled here,
// next to the syscalls. Bound to JavaScript by native/binding/mapping.cc and map_ops.cc.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace mmapkit::sys {

// The system page size (sysconf), read once.
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
  int fd = -1;              // -1 for anonymous memory
  uint64_t offset = 0;      // any byte offset; aligned down inside
  uint64_t length = 0;      // bytes the user sees; must be > 0
  int prot = 0;             // PROT_* bits
  bool shared = false;      // MAP_SHARED, else MAP_PRIVATE
  bool populate = false;    // MAP_POPULATE
  bool no_reserve = false;  // MAP_NORESERVE
  bool hugetlb = false;     // MAP_HUGETLB (anonymous only)
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
// widen it to whole pages. Precondition for every function below that takes (r, off, len):
// off + len <= r.length (checked by the binding, native/binding/map_ops.cc Range()).
int Sync(const Region& r, size_t off, size_t len, int flags);
int Advise(const Region& r, size_t off, size_t len, int advice);
int Protect(const Region& r, size_t off, size_t len, int prot);
int Lock(const Region& r, size_t off, size_t len, bool on_fault);
int Unlock(const Region& r, size_t off, size_t len);
// One byte per page of the widened range into vec (bit 0: resident). vec must hold
// PagesIn(r, off, len) bytes.
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
int Resize(Region* r, size_t new_length, bool may_move, bool keep_old, uint8_t** vacated_base, size_t* vacated_len);

// Guarded copies between mapped bytes and ordinary memory: SIGBUS becomes a return of SIGBUS
// (with the faulting address in *fault) instead of killing the process. dst / src must hold len
// bytes (the binding takes them from a Buffer it made or from a TypedArray's own length).
int CopyOut(const Region& r, size_t off, size_t len, uint8_t* dst, void** fault);
int CopyIn(const Region& r, size_t off, size_t len, const uint8_t* src, void** fault);
// Reads one byte of every page in [off, off + len) so each is faulted in; guarded like CopyOut.
int TouchPages(const Region& r, size_t off, size_t len, void** fault);

}  // namespace mmapkit::sys
