// The mapping syscalls (see sys/mmap.h).
#include "sys/mmap.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sys/fault_guard.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

namespace mmapkit::sys {
namespace {

// Widens [off, off + len) of the user's view to whole pages, as the kernel wants them.
void Widen(const Region& r, size_t off, size_t len, uint8_t** start, size_t* bytes) {
  const size_t ps = PageSize();
  uintptr_t begin = reinterpret_cast<uintptr_t>(r.data()) + off;
  uintptr_t end = begin + len;
  uintptr_t abegin = begin & ~(ps - 1);
  uintptr_t aend = (end + ps - 1) & ~(ps - 1);
  if (len == 0) aend = abegin;
  *start = reinterpret_cast<uint8_t*>(abegin);
  *bytes = aend - abegin;
}

int Errno(int rc) { return rc == 0 ? 0 : errno; }

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

// The default huge page size (Hugepagesize in /proc/meminfo), what MAP_HUGETLB without a size flag
// uses; 2 MiB when it cannot be read.
size_t HugePageSize() {
  static const size_t hps = [] {
    size_t kb = 0;
    if (FILE* f = std::fopen("/proc/meminfo", "r")) {
      char line[128];
      while (std::fgets(line, sizeof line, f) != nullptr) {
        if (std::sscanf(line, "Hugepagesize: %zu kB", &kb) == 1) break;
      }
      std::fclose(f);
    }
    size_t bytes = kb * 1024;
    return bytes >= 4096 && (bytes & (bytes - 1)) == 0 ? bytes : size_t{2} << 20;
  }();
  return hps;
}

constexpr int kPlaceholderProt = PROT_READ | PROT_WRITE;
constexpr int kPlaceholderFlags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

// Runs op(start, bytes) over the whole pages covering the range; an empty range does nothing.
template <class Op>
int OnPages(const Region& r, size_t off, size_t len, Op&& op) {
  uint8_t* p;
  size_t n;
  Widen(r, off, len, &p, &n);
  return n == 0 ? 0 : op(p, n);
}

}  // namespace

size_t PageSize() {
  static const size_t ps = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return ps;
}

int Map(const MapRequest& req, Region* out) {
  if (req.length == 0) return EINVAL;
  const uint64_t ps = PageSize();
  const uint64_t delta = req.fd >= 0 ? req.offset % ps : 0;
  const uint64_t aligned = req.offset - delta;
  // Overflow-safe: length + delta must fit in size_t and in the address space.
  if (req.length > SIZE_MAX - delta - ps) return ENOMEM;
  size_t base_len = static_cast<size_t>(req.length + delta);
  // The kernel maps whole huge pages; record the whole extent, so that Unmap and Retire cover it.
  if (req.hugetlb) {
    if (base_len > SIZE_MAX - HugePageSize()) return ENOMEM;
    base_len = RoundUp(base_len, HugePageSize());
  }
  int flags = req.shared ? MAP_SHARED : MAP_PRIVATE;
  if (req.fd < 0) flags |= MAP_ANONYMOUS;
  if (req.populate) flags |= MAP_POPULATE;
  if (req.no_reserve) flags |= MAP_NORESERVE;
  if (req.hugetlb) flags |= MAP_HUGETLB;
  void* p = mmap(nullptr, base_len, req.prot, flags, req.fd, static_cast<off_t>(aligned));
  if (p == MAP_FAILED) return errno;
  out->base = static_cast<uint8_t*>(p);
  out->base_len = base_len;
  out->delta = static_cast<size_t>(delta);
  out->length = static_cast<size_t>(req.length);
  return 0;
}

int Unmap(const Region& r) {
  if (r.base == nullptr) return 0;
  return Errno(munmap(r.base, r.base_len));
}

size_t SpanOf(const Region& r) { return RoundUp(r.base_len, PageSize()); }

int Retire(uint8_t* base, size_t len) {
  if (base == nullptr || len == 0) return 0;
  void* p = mmap(base, len, kPlaceholderProt, kPlaceholderFlags | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? errno : 0;
}

int Release(uint8_t* base, size_t len) {
  if (base == nullptr || len == 0) return 0;
  return Errno(munmap(base, len));
}

int Sync(const Region& r, size_t off, size_t len, int flags) {
  return OnPages(r, off, len, [&](uint8_t* p, size_t n) { return Errno(msync(p, n, flags)); });
}

int Advise(const Region& r, size_t off, size_t len, int advice) {
  return OnPages(r, off, len, [&](uint8_t* p, size_t n) { return Errno(madvise(p, n, advice)); });
}

int Protect(const Region& r, size_t off, size_t len, int prot) {
  return OnPages(r, off, len, [&](uint8_t* p, size_t n) { return Errno(mprotect(p, n, prot)); });
}

int Lock(const Region& r, size_t off, size_t len, bool on_fault) {
  return OnPages(r, off, len, [&](uint8_t* p, size_t n) {
    if (on_fault) return Errno(static_cast<int>(syscall(SYS_mlock2, p, n, 1 /* MLOCK_ONFAULT */)));
    return Errno(mlock(p, n));
  });
}

int Unlock(const Region& r, size_t off, size_t len) {
  return OnPages(r, off, len, [&](uint8_t* p, size_t n) { return Errno(munlock(p, n)); });
}

size_t PagesIn(const Region& r, size_t off, size_t len) {
  uint8_t* p;
  size_t n;
  Widen(r, off, len, &p, &n);
  return n / PageSize();
}

int Residency(const Region& r, size_t off, size_t len, uint8_t* vec) {
  return OnPages(r, off, len, [&](uint8_t* p, size_t n) {
    if (mincore(p, n, vec) != 0) return errno;
    for (size_t i = 0, pages = n / PageSize(); i < pages; i++) vec[i] &= 1;
    return 0;
  });
}

int Resize(Region* r, size_t new_length, bool may_move, bool keep_old, uint8_t** vacated_base, size_t* vacated_len) {
  *vacated_base = nullptr;
  *vacated_len = 0;
  if (new_length == 0) return EINVAL;
  if (new_length > SIZE_MAX - r->delta - PageSize()) return ENOMEM;
  const size_t ps = PageSize();
  const size_t new_base_len = new_length + r->delta;
  const size_t old_span = RoundUp(r->base_len, ps);
  const size_t new_span = RoundUp(new_base_len, ps);
  if (!keep_old || new_span == old_span) {
    void* p = mremap(r->base, r->base_len, new_base_len, may_move ? MREMAP_MAYMOVE : 0);
    if (p == MAP_FAILED) return errno;
    r->base = static_cast<uint8_t*>(p);
  } else if (new_span < old_span) {
    // Shrink: the tail becomes a placeholder (the mapping splits there), never a hole.
    int err = Retire(r->base + new_span, old_span - new_span);
    if (err != 0) return err;
    *vacated_base = r->base + new_span;
    *vacated_len = old_span - new_span;
  } else {
    // Grow: in place if the kernel can.
    void* p = mremap(r->base, old_span, new_span, 0);
    if (p == MAP_FAILED) {
      if (errno != ENOMEM || !may_move) return errno;
      uint8_t* old = r->base;
      // Move the pages elsewhere and leave the old range mapped (MREMAP_DONTUNMAP takes equal sizes),
      // then grow at the new place, where nothing can refer to yet, moving again if need be.
      p = mremap(old, old_span, old_span, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
      if (p != MAP_FAILED) {
        void* q = mremap(p, old_span, new_span, MREMAP_MAYMOVE);
        if (q == MAP_FAILED) {
          int err = errno;
          // Put the pages back where they were (MREMAP_FIXED replaces the old range atomically).
          if (mremap(p, old_span, old_span, MREMAP_MAYMOVE | MREMAP_FIXED, old) == MAP_FAILED) munmap(p, old_span);
          return err;
        }
        Retire(old, old_span);  // on failure the old mapping stays (a file's pages, or zeros): as safe
        p = q;
      } else if (errno == EINVAL) {
        // A kernel without MREMAP_DONTUNMAP for this kind of mapping: move, then cover the old range.
        p = mremap(old, old_span, new_span, MREMAP_MAYMOVE);
        if (p == MAP_FAILED) return errno;
        void* ph = mmap(old, old_span, kPlaceholderProt, kPlaceholderFlags | MAP_FIXED_NOREPLACE, -1, 0);
        if (ph == MAP_FAILED || ph != old) {
          if (ph != MAP_FAILED) munmap(ph, old_span);
          old = nullptr;  // another mapping took the range: nothing of ours to release later
        }
      } else {
        return errno;
      }
      if (old != nullptr) {
        *vacated_base = old;
        *vacated_len = old_span;
      }
    }
    r->base = static_cast<uint8_t*>(p);
  }
  r->base_len = new_base_len;
  r->length = new_length;
  return 0;
}

int CopyOut(const Region& r, size_t off, size_t len, uint8_t* dst, void** fault) {
  const uint8_t* src = r.data() + off;
  return WithFaultGuard([&] { std::memcpy(dst, src, len); }, fault);
}

int CopyIn(const Region& r, size_t off, size_t len, const uint8_t* src, void** fault) {
  uint8_t* dst = r.data() + off;
  return WithFaultGuard([&] { std::memcpy(dst, src, len); }, fault);
}

int TouchPages(const Region& r, size_t off, size_t len, void** fault) {
  if (len == 0) return 0;
  const size_t ps = PageSize();
  const volatile uint8_t* p = r.data() + off;
  return WithFaultGuard(
      [&] {
        uint8_t sink = 0;
        // First byte, then the first byte of every following page, then the last byte.
        size_t first_page_end = ps - (reinterpret_cast<uintptr_t>(p) & (ps - 1));
        sink ^= p[0];
        for (size_t i = first_page_end; i < len; i += ps) sink ^= p[i];
        sink ^= p[len - 1];
        (void)sink;
      },
      fault);
}

}  // namespace mmapkit::sys
