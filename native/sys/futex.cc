// Process-shared futex waits and wakes (see sys/futex.h).
#include "sys/futex.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "sys/mmap.h"

namespace mmapkit::sys {

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
