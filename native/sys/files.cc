// Files: open, size, truncate, page-cache residency, eviction and touch (see sys/files.h).
#include "sys/files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sys/mmap.h"

namespace mmapkit::sys {
namespace {

int Errno(int rc) { return rc == 0 ? 0 : errno; }

}  // namespace

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

}  // namespace mmapkit::sys
