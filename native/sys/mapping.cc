#include "sys/mapping.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
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

int Resize(Region* r, size_t new_length, bool may_move, bool keep_old, uint8_t** vacated_base,
           size_t* vacated_len) {
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

int OpenFile(const char* path, int flags, int mode, int* fd) {
  int f;
  do {
    f = open(path, flags | O_CLOEXEC, mode);
  } while (f < 0 && errno == EINTR);
  if (f < 0) return errno;
  *fd = f;
  return 0;
}

int CloseFd(int fd) { return Errno(close(fd)); }

int FileSize(int fd, uint64_t* size) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  if (S_ISBLK(st.st_mode)) {
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0) return errno;
    *size = static_cast<uint64_t>(end);
    return 0;
  }
  *size = static_cast<uint64_t>(st.st_size);
  return 0;
}

int Truncate(int fd, uint64_t size) {
  int rc;
  do {
    rc = ftruncate(fd, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  return Errno(rc);
}

int Evict(int fd) {
  // Dirty pages cannot be dropped: write them back first. EINVAL means the file cannot be
  // synced (a pipe, a special file); eviction is still worth trying then.
  if (fdatasync(fd) != 0 && errno != EINVAL && errno != EROFS) return errno;
  return posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

int FileResidency(int fd, uint64_t size, uint8_t* vec, uint64_t* pages, uint64_t* resident) {
  const size_t ps = PageSize();
  *pages = (size + ps - 1) / ps;
  *resident = 0;
  if (size == 0) return 0;
  // Look at the file in windows of 1 GiB so that a huge file needs no huge address range.
  const uint64_t window = uint64_t{1} << 30;
  uint8_t chunk[4096];
  for (uint64_t off = 0; off < size; off += window) {
    size_t n = static_cast<size_t>(size - off < window ? size - off : window);
    void* p = mmap(nullptr, n, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(off));
    if (p == MAP_FAILED) return errno;
    size_t npages = (n + ps - 1) / ps;
    for (size_t done = 0; done < npages; done += sizeof chunk) {
      size_t m = npages - done < sizeof chunk ? npages - done : sizeof chunk;
      uint8_t* out = vec != nullptr ? vec + off / ps + done : chunk;
      if (mincore(static_cast<uint8_t*>(p) + done * ps, m * ps < n - done * ps ? m * ps : n - done * ps, out) != 0) {
        int err = errno;
        munmap(p, n);
        return err;
      }
      for (size_t i = 0; i < m; i++) {
        out[i] &= 1;
        *resident += out[i];
      }
    }
    munmap(p, n);
  }
  return 0;
}

int FileTouch(int fd, uint64_t size, void** fault) {
  if (size == 0) return 0;
  const uint64_t window = uint64_t{1} << 30;
  for (uint64_t off = 0; off < size; off += window) {
    size_t n = static_cast<size_t>(size - off < window ? size - off : window);
    Region r;
    MapRequest req;
    req.fd = fd;
    req.offset = off;
    req.length = n;
    req.prot = PROT_READ;
    req.shared = true;
    int err = Map(req, &r);
    if (err != 0) return err;
    madvise(r.base, r.base_len, MADV_WILLNEED);
    err = TouchPages(r, 0, n, fault);
    Unmap(r);
    if (err != 0) return err;
  }
  return 0;
}

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

int FutexWait(uint32_t* addr, uint32_t expected, int64_t timeout_ns) {
  struct timespec ts;
  struct timespec* tp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1000000000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1000000000);
    tp = &ts;
  }
  long rc = syscall(SYS_futex, addr, FUTEX_WAIT, expected, tp, nullptr, 0);
  if (rc == 0) return 0;
  return errno;  // EAGAIN (value differed), ETIMEDOUT, EINTR
}

int FutexWake(uint32_t* addr, int count, int* woken) {
  long rc = syscall(SYS_futex, addr, FUTEX_WAKE, count, nullptr, nullptr, 0);
  if (rc < 0) return errno;
  *woken = static_cast<int>(rc);
  return 0;
}

int FutexWaitUntil(uint32_t* addr, uint32_t expected, int64_t deadline_ns, uint32_t bits) {
  struct timespec ts;
  struct timespec* tp = nullptr;
  if (deadline_ns >= 0) {
    ts.tv_sec = static_cast<time_t>(deadline_ns / 1000000000);
    ts.tv_nsec = static_cast<long>(deadline_ns % 1000000000);
    tp = &ts;
  }
  // FUTEX_WAIT_BITSET takes an absolute timeout on CLOCK_MONOTONIC (no FUTEX_CLOCK_REALTIME).
  long rc = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET, expected, tp, nullptr, bits);
  if (rc == 0) return 0;
  return errno;  // EAGAIN, ETIMEDOUT, EINTR, EFAULT, EINVAL
}

int FutexWakeBits(uint32_t* addr, int count, uint32_t bits, int* woken) {
  long rc = syscall(SYS_futex, addr, FUTEX_WAKE_BITSET, count, nullptr, nullptr, bits);
  if (rc < 0) return errno;
  *woken = static_cast<int>(rc);
  return 0;
}

int FutexWakeRetired(uint32_t* addr, int count, uint32_t bits) {
  int woken = 0;
  int err = FutexWakeBits(addr, count, bits, &woken);
  if (err != EFAULT) return err;
  size_t page = PageSize();
  void* at = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(addr) & ~(page - 1));
  // Writable, so that the kernel gives the page an anonymous frame (a futex key) rather than the
  // shared zero page. MAP_FIXED_NOREPLACE fails with EEXIST where something is mapped; a kernel
  // older than 4.17 takes it as a hint, so check where the page landed.
  void* p = mmap(at, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED) return errno;
  if (p != at) {
    munmap(p, page);
    return EEXIST;
  }
  err = FutexWakeBits(addr, count, bits, &woken);
  munmap(p, page);
  return err;
}

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace mmapkit::sys
