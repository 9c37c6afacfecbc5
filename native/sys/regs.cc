#include "sys/regs.h"

#include "sys/barriers.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

// Each accessor is a single volatile access of its width. noinline keeps one copy of each in the
// binary, so its instructions can be checked with objdump; the call costs nothing next to the
// JavaScript-to-native transition that precedes it.
extern "C" {
__attribute__((noinline)) uint8_t mmapkit_mmio_read8(const volatile void* addr) {
  return *static_cast<const volatile uint8_t*>(addr);
}
__attribute__((noinline)) uint16_t mmapkit_mmio_read16(const volatile void* addr) {
  return *static_cast<const volatile uint16_t*>(addr);
}
__attribute__((noinline)) uint32_t mmapkit_mmio_read32(const volatile void* addr) {
  return *static_cast<const volatile uint32_t*>(addr);
}
__attribute__((noinline)) uint64_t mmapkit_mmio_read64(const volatile void* addr) {
  return *static_cast<const volatile uint64_t*>(addr);
}
__attribute__((noinline)) void mmapkit_mmio_write8(volatile void* addr, uint8_t value) {
  *static_cast<volatile uint8_t*>(addr) = value;
}
__attribute__((noinline)) void mmapkit_mmio_write16(volatile void* addr, uint16_t value) {
  *static_cast<volatile uint16_t*>(addr) = value;
}
__attribute__((noinline)) void mmapkit_mmio_write32(volatile void* addr, uint32_t value) {
  *static_cast<volatile uint32_t*>(addr) = value;
}
__attribute__((noinline)) void mmapkit_mmio_write64(volatile void* addr, uint64_t value) {
  *static_cast<volatile uint64_t*>(addr) = value;
}
__attribute__((noinline)) void mmapkit_barrier_compiler(void) { mmapkit::sys::CompilerBarrier(); }
__attribute__((noinline)) void mmapkit_barrier_full(void) { mmapkit::sys::FullBarrier(); }
__attribute__((noinline)) void mmapkit_barrier_store(void) { mmapkit::sys::StoreBarrier(); }
__attribute__((noinline)) void mmapkit_barrier_load(void) { mmapkit::sys::LoadBarrier(); }
__attribute__((noinline)) void mmapkit_barrier_dsb_sy(void) { mmapkit::sys::DsbSy(); }
__attribute__((noinline)) void mmapkit_barrier_dsb_st(void) { mmapkit::sys::DsbSt(); }
}

namespace mmapkit::sys {

// PageSize() is defined once, in sys/mmap.cc.

int MapRegisters(const char* path, uint64_t offset, size_t length, bool writable, RegisterMap* out,
                 const char** syscall) {
  const size_t page = PageSize();
  const uint64_t page_offset = offset % page;
  const uint64_t aligned = offset - page_offset;
  if (length == 0 || length > SIZE_MAX - page_offset - page) {
    *syscall = "mmap";
    return EINVAL;
  }
  const size_t map_length = (static_cast<size_t>(page_offset) + length + page - 1) / page * page;
  // O_SYNC: on /dev/mem it asks for an uncached mapping of anything that is not ordinary RAM.
  // O_NONBLOCK: open(2) of a FIFO with no writer would block forever; mmap ignores the flag, and the
  // descriptor is closed once mapped.
  int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_SYNC | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *syscall = "open";
    return errno;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    *syscall = "fstat";
    return err;
  }
  out->file_type = static_cast<unsigned>(st.st_mode & S_IFMT);
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
    close(fd);
    *syscall = "mmap";
    return ENODEV;
  }
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* base = mmap(nullptr, map_length, prot, MAP_SHARED, fd, static_cast<off_t>(aligned));
  int err = errno;
  close(fd);  // the mapping keeps the file referenced
  if (base == MAP_FAILED) {
    *syscall = "mmap";
    return err;
  }
  out->base = base;
  out->map_length = map_length;
  out->page_offset = static_cast<size_t>(page_offset);
  out->start = static_cast<uint8_t*>(base) + page_offset;
  out->length = length;
  return 0;
}

int UnmapRegisters(RegisterMap* map) {
  if (map->base == nullptr) return 0;
  int rc = munmap(map->base, map->map_length);
  int err = rc == 0 ? 0 : errno;
  map->base = nullptr;
  map->start = nullptr;
  map->length = 0;
  map->map_length = 0;
  return err;
}

}  // namespace mmapkit::sys
