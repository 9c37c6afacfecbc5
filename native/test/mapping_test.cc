// Tests of native/sys (mmap, files, shm_memfd, futex) and native/sys/fault_guard, run without Node.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "sys/fault_guard.h"
#include "sys/files.h"
#include "sys/futex.h"
#include "sys/mmap.h"
#include "sys/shm_memfd.h"

using namespace mmapkit::sys;

namespace {

std::string TempFile(size_t size, uint8_t fill) {
  char path[] = "/tmp/mmapkit-native-XXXXXX";
  int fd = mkstemp(path);
  std::vector<uint8_t> data(size, fill);
  if (size > 0 && write(fd, data.data(), size) != static_cast<ssize_t>(size)) std::abort();
  close(fd);
  return path;
}

}  // namespace

TEST("page size is a power of two") {
  size_t ps = PageSize();
  CHECK(ps >= 4096);
  CHECK((ps & (ps - 1)) == 0);
}

TEST("an unaligned offset maps from the page boundary and exposes the requested bytes") {
  std::string path = TempFile(3 * 4096, 0);
  int fd;
  CHECK_EQ(OpenFile(path.c_str(), O_RDWR, 0, &fd), 0);
  uint8_t marker = 0x5a;
  CHECK_EQ(pwrite(fd, &marker, 1, 5000), 1);
  Region r;
  MapRequest req;
  req.fd = fd;
  req.offset = 5000;
  req.length = 10;
  req.prot = PROT_READ;
  req.shared = true;
  CHECK_EQ(Map(req, &r), 0);
  CHECK_EQ(r.delta, size_t{5000 - 4096});
  CHECK_EQ(r.length, 10u);
  CHECK_EQ(r.data()[0], 0x5a);
  uint8_t vec[2];
  CHECK_EQ(PagesIn(r, 0, 10), 1u);
  CHECK_EQ(Residency(r, 0, 10, vec), 0);
  CHECK_EQ(vec[0], 1);
  CHECK_EQ(Unmap(r), 0);
  CloseFd(fd);
  unlink(path.c_str());
}

TEST("zero length is EINVAL and a huge length is refused without overflow") {
  Region r;
  MapRequest req;
  req.length = 0;
  req.prot = PROT_READ;
  CHECK_EQ(Map(req, &r), EINVAL);
  req.length = UINT64_MAX - 10;
  req.fd = -1;
  CHECK_EQ(Map(req, &r), ENOMEM);
}

TEST("guarded copies turn SIGBUS past end of file into an error, repeatedly") {
  std::string path = TempFile(4 * 4096, 0x41);
  int fd;
  CHECK_EQ(OpenFile(path.c_str(), O_RDWR, 0, &fd), 0);
  Region r;
  MapRequest req;
  req.fd = fd;
  req.length = 4 * 4096;
  req.prot = PROT_READ | PROT_WRITE;
  req.shared = true;
  CHECK_EQ(Map(req, &r), 0);
  CHECK_EQ(Truncate(fd, 4096), 0);
  std::vector<uint8_t> buf(4 * 4096);
  for (int i = 0; i < 50; i++) {
    void* fault = nullptr;
    CHECK_EQ(CopyOut(r, 0, buf.size(), buf.data(), &fault), SIGBUS);
    CHECK(fault == r.data() + 4096);
  }
  void* fault = nullptr;
  CHECK_EQ(CopyOut(r, 0, 4096, buf.data(), &fault), 0);
  CHECK_EQ(buf[4095], 0x41);
  CHECK_EQ(CopyIn(r, 2 * 4096, 4, buf.data(), &fault), SIGBUS);
  CHECK_EQ(TouchPages(r, 0, 4 * 4096, &fault), SIGBUS);
  CHECK_EQ(TouchPages(r, 0, 4096, &fault), 0);
  CHECK(CurrentFaultGuard() == nullptr);
  Unmap(r);
  CloseFd(fd);
  unlink(path.c_str());
}

TEST("nested guards unwind to the innermost one") {
  std::string path = TempFile(4096, 1);
  int fd;
  CHECK_EQ(OpenFile(path.c_str(), O_RDWR, 0, &fd), 0);
  Region r;
  MapRequest req;
  req.fd = fd;
  req.length = 2 * 4096;
  req.prot = PROT_READ;
  req.shared = true;
  CHECK_EQ(Map(req, &r), 0);
  int inner = -1;
  int outer = WithFaultGuard([&] {
    inner = WithFaultGuard([&] {
      volatile uint8_t x = r.data()[4096];
      (void)x;
    });
  });
  CHECK_EQ(inner, SIGBUS);
  CHECK_EQ(outer, 0);
  Unmap(r);
  CloseFd(fd);
  unlink(path.c_str());
}

TEST("file residency, touch and evict") {
  std::string path = TempFile(10 * 4096 + 1, 2);
  int fd;
  CHECK_EQ(OpenFile(path.c_str(), O_RDONLY, 0, &fd), 0);
  uint64_t size = 0, pages = 0, resident = 0;
  CHECK_EQ(FileSize(fd, &size), 0);
  CHECK_EQ(size, 10u * 4096 + 1);
  CHECK_EQ(FileTouch(fd, size, nullptr), 0);
  std::vector<uint8_t> vec(11);
  CHECK_EQ(FileResidency(fd, size, vec.data(), &pages, &resident), 0);
  CHECK_EQ(pages, 11u);
  CHECK_EQ(resident, 11u);
  CHECK_EQ(Evict(fd), 0);
  CHECK_EQ(FileResidency(fd, size, nullptr, &pages, &resident), 0);
  CHECK(resident < 11);
  CHECK_EQ(FileResidency(fd, 0, nullptr, &pages, &resident), 0);
  CHECK_EQ(pages, 0u);
  CloseFd(fd);
  unlink(path.c_str());
}

TEST("resize grows and shrinks an anonymous region") {
  Region r;
  MapRequest req;
  req.length = 4096;
  req.prot = PROT_READ | PROT_WRITE;
  CHECK_EQ(Map(req, &r), 0);
  r.data()[0] = 9;
  uint8_t* vacated = nullptr;
  size_t vacated_len = 1;
  CHECK_EQ(Resize(&r, 5 * 4096, true, false, &vacated, &vacated_len), 0);
  CHECK_EQ(vacated_len, 0u);
  CHECK_EQ(r.data()[0], 9);
  r.data()[5 * 4096 - 1] = 1;
  CHECK_EQ(Resize(&r, 100, true, false, &vacated, &vacated_len), 0);
  CHECK_EQ(r.length, 100u);
  CHECK_EQ(Resize(&r, 0, true, false, &vacated, &vacated_len), EINVAL);
  CHECK_EQ(Unmap(r), 0);
}

namespace {

// Whether [p, p + len) is mapped at all (mincore fails with ENOMEM on a hole).
bool Mapped(const void* p, size_t len) {
  std::vector<unsigned char> vec(len / PageSize() + 1);
  return mincore(const_cast<void*>(p), len, vec.data()) == 0;
}

}  // namespace

TEST("retire replaces a file mapping with zeros, leaves the file alone and keeps the range taken") {
  std::string path = TempFile(2 * 4096, 0x33);
  int fd;
  CHECK_EQ(OpenFile(path.c_str(), O_RDWR, 0, &fd), 0);
  Region r;
  MapRequest req;
  req.fd = fd;
  req.length = 2 * 4096;
  req.prot = PROT_READ | PROT_WRITE;
  req.shared = true;
  CHECK_EQ(Map(req, &r), 0);
  CHECK_EQ(r.data()[4096], 0x33);
  CHECK_EQ(SpanOf(r), size_t{2 * 4096});
  CHECK_EQ(Retire(r.base, SpanOf(r)), 0);
  // The old addresses still work: zeros to read, writes that reach nothing.
  CHECK_EQ(r.data()[4096], 0);
  std::memset(r.data(), 0x77, 2 * 4096);
  uint8_t byte = 0;
  CHECK_EQ(pread(fd, &byte, 1, 4096), 1);
  CHECK_EQ(byte, 0x33);
  // Nothing else can be mapped there until Release.
  void* probe = mmap(r.base, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(probe == MAP_FAILED);
  CHECK_EQ(Release(r.base, SpanOf(r)), 0);
  CHECK(!Mapped(r.base, SpanOf(r)));
  CloseFd(fd);
  unlink(path.c_str());
}

TEST("resize keeping the old range: a shrunk tail and a moved mapping's old place are retired") {
  std::string path = TempFile(8 * 4096, 0x44);
  int fd;
  CHECK_EQ(OpenFile(path.c_str(), O_RDWR, 0, &fd), 0);
  Region r;
  MapRequest req;
  req.fd = fd;
  req.length = 4 * 4096;
  req.prot = PROT_READ | PROT_WRITE;
  req.shared = true;
  CHECK_EQ(Map(req, &r), 0);
  uint8_t* vacated = nullptr;
  size_t vacated_len = 0;
  // Shrink to 1.5 pages: the two last pages become a placeholder.
  CHECK_EQ(Resize(&r, 4096 + 2048, true, true, &vacated, &vacated_len), 0);
  CHECK(vacated == r.base + 2 * 4096);
  CHECK_EQ(vacated_len, size_t{2 * 4096});
  CHECK_EQ(vacated[0], 0);
  vacated[0] = 1;
  CHECK_EQ(r.data()[4096], 0x44);
  CHECK_EQ(Release(vacated, vacated_len), 0);
  // Grow where the neighbouring pages are taken: the mapping moves, its old place stays mapped.
  void* wall = mmap(r.base + 2 * 4096, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(wall != MAP_FAILED);
  uint8_t* old = r.base;
  CHECK_EQ(Resize(&r, 8 * 4096, true, true, &vacated, &vacated_len), 0);
  CHECK(r.base != old);
  CHECK(vacated == old);
  CHECK_EQ(vacated_len, size_t{2 * 4096});
  CHECK_EQ(old[0], 0);
  old[0] = 2;  // lands in the placeholder
  CHECK_EQ(r.data()[0], 0x44);
  CHECK_EQ(r.data()[7 * 4096], 0x44);
  uint8_t byte = 0;
  CHECK_EQ(pread(fd, &byte, 1, 0), 1);
  CHECK_EQ(byte, 0x44);
  // Grow in place: nothing vacated.
  CHECK_EQ(Resize(&r, 8 * 4096 - 1, false, true, &vacated, &vacated_len), 0);
  CHECK_EQ(vacated_len, 0u);
  CHECK_EQ(Release(old, 2 * 4096), 0);
  munmap(wall, 4096);
  CHECK_EQ(Unmap(r), 0);
  CloseFd(fd);
  unlink(path.c_str());
}

TEST("memfd seals and futex results") {
  int fd;
  CHECK_EQ(MemfdCreate("native-test", 1 | 2, &fd), 0);
  CHECK_EQ(Truncate(fd, 4096), 0);
  CHECK_EQ(AddSeals(fd, 2 /* shrink */), 0);
  CHECK_EQ(Truncate(fd, 0), EPERM);
  int seals = 0;
  CHECK_EQ(GetSeals(fd, &seals), 0);
  CHECK_EQ(seals & 2, 2);
  Region r;
  MapRequest req;
  req.fd = fd;
  req.length = 4096;
  req.prot = PROT_READ | PROT_WRITE;
  req.shared = true;
  CHECK_EQ(Map(req, &r), 0);
  uint32_t* word = reinterpret_cast<uint32_t*>(r.data());
  *word = 7;
  CHECK_EQ(FutexWait(word, 8, 1000000), EAGAIN);
  CHECK_EQ(FutexWait(word, 7, 1000000), ETIMEDOUT);
  int woken = -1;
  CHECK_EQ(FutexWake(word, 1, &woken), 0);
  CHECK_EQ(woken, 0);
  Unmap(r);
  CloseFd(fd);
}

TEST("shm_open errors come back as errno values") {
  int fd;
  CHECK_EQ(ShmOpen("/mmapkit-native-test-missing", O_RDWR, 0600, &fd), ENOENT);
  CHECK_EQ(ShmOpen("/mmapkit-native-test", O_RDWR | O_CREAT | O_EXCL, 0600, &fd), 0);
  CHECK_EQ(ShmOpen("/mmapkit-native-test", O_RDWR | O_CREAT | O_EXCL, 0600, &fd), EEXIST);
  CHECK_EQ(ShmUnlink("/mmapkit-native-test"), 0);
  CHECK_EQ(ShmUnlink("/mmapkit-native-test"), ENOENT);
}
