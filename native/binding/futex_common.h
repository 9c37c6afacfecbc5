// What the synchronous and the asynchronous futex bindings share (futex.cc, futex_async.cc):
// the word an argument list names, deadlines, the wait loop and the results' names.
#pragma once
#include <napi.h>

#include <cstdint>

namespace mmapkit::futex {

constexpr uint32_t kSyncBits = 1u << 31;  // futexWait(): never woken by a cancellation
constexpr int kAsyncBitCount = 31;        // futexWaitAsync(): bits 0..30
constexpr int kCancelled = -1;            // Wait::err of a wait ended by CancelFutexWaits

// The 32-bit word at index info[1] of the Int32Array / Uint32Array info[0]; the index is checked
// against the array's length here (lib/shm.ts checks it first), and the word's alignment.
uint32_t* Word(const Napi::CallbackInfo& info);
// An absolute CLOCK_MONOTONIC deadline for a timeout in nanoseconds (< 0: none).
int64_t Deadline(double timeout_ns);
// Waits, restarting after EINTR. Returns 0, EAGAIN, ETIMEDOUT or a failed futex call's errno.
int WaitLoop(uint32_t* addr, uint32_t expected, int64_t deadline, uint32_t bits);
// Whether err is a wait's result (0, EAGAIN, ETIMEDOUT) rather than a failure.
bool IsResult(int err);
// 'ok', 'not-equal' or 'timed-out' for a result.
const char* ResultName(int err);
// futexWaitAsync(array, index, expected, timeoutNs) (futex_async.cc).
Napi::Value FutexWaitAsync(const Napi::CallbackInfo& info);

}  // namespace mmapkit::futex
