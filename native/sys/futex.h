// Futex system calls: process-shared waits and wakes on a 32-bit word. Every function returns 0 or
// an errno value and never throws. Bound to JavaScript by native/binding/futex.cc and
// futex_async.cc.
#pragma once
#include <cstdint>

namespace mmapkit::sys {

// Process-shared futex on a 32-bit word (no FUTEX_PRIVATE_FLAG, so it works across processes
// on MAP_SHARED memory). Precondition: addr points at a word of a live array (index < length,
// checked by the binding, native/binding/futex.cc); it need not be mapped any more for
// FutexWakeRetired. timeout_ns < 0 waits forever. Returns 0 when woken, EAGAIN when the
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
