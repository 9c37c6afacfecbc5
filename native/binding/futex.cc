// Node-API binding of the process-shared futex (native/sys/futex.h): a blocking wait, a wait
// whose Promise settles on the JavaScript thread, and wake.
//
// futexWaitAsync is in futex_async.cc.
#include <time.h>

#include <cerrno>
#include <climits>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/futex_common.h"
#include "binding/module.h"
#include "sys/futex.h"

namespace mmapkit::futex {

using args::Int;
using args::Num;
using args::U64;

// The 32-bit word at index i of an Int32Array / Uint32Array (checked in lib/shm.ts), over an
// ArrayBuffer or a SharedArrayBuffer.
uint32_t* Word(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (info.Length() < 2 || !info[0].IsTypedArray() ||
      napi_get_typedarray_info(env, info[0], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      (type != napi_int32_array && type != napi_uint32_array)) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                    "The \"array\" argument must be an Int32Array or Uint32Array");
  }
  uint64_t index = U64(info, 1, "index");
  if (index >= length) {
    if (data == nullptr)
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED",
                      "The array has no memory behind it (was its mapping unmapped?)");
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "The \"index\" is outside the array");
  }
  uint32_t* addr = static_cast<uint32_t*>(data) + index;
  // An Int32Array is aligned within its buffer, but a buffer from mapping.arrayBuffer(offset)
  // starts wherever offset says; the kernel refuses an unaligned futex word (EINVAL).
  if ((reinterpret_cast<uintptr_t>(addr) & 3) != 0) {
    char where[32];
    snprintf(where, sizeof where, "%p", static_cast<void*>(addr));
    ThrowUsageError(env, "RangeError", "ERR_MMAPKIT_UNALIGNED",
                    "The word at index " + std::to_string(index) + " is at address " + where +
                        ", which is not 4-byte aligned: a futex word must be (map from a file offset, and view from a "
                        "byte offset, that is a multiple of 4)");
  }
  return addr;
}

// An absolute CLOCK_MONOTONIC deadline for a timeout in nanoseconds (< 0: none). A timeout past
// the range of the clock (about 292 years) is no deadline.
int64_t Deadline(double timeout_ns) {
  if (!(timeout_ns >= 0)) return -1;
  int64_t now = sys::MonotonicNs();
  if (timeout_ns >= static_cast<double>(INT64_MAX - now)) return -1;
  return now + static_cast<int64_t>(timeout_ns);
}

// Waits, restarting after EINTR (the deadline is absolute). Returns 0, EAGAIN, ETIMEDOUT or the
// errno of a failed futex call.
int WaitLoop(uint32_t* addr, uint32_t expected, int64_t deadline, uint32_t bits) {
  for (;;) {
    int err = sys::FutexWaitUntil(addr, expected, deadline, bits);
    if (err != EINTR) return err;
  }
}

bool IsResult(int err) { return err == 0 || err == EAGAIN || err == ETIMEDOUT; }

const char* ResultName(int err) {
  if (err == 0) return "ok";
  if (err == EAGAIN) return "not-equal";
  return "timed-out";
}

// futexWait(array, index, expected, timeoutNs) → 'ok' | 'not-equal' | 'timed-out'
Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t* addr = Word(info);
  uint32_t expected = static_cast<uint32_t>(Num(info, 2, "expected"));
  int err = WaitLoop(addr, expected, Deadline(Num(info, 3, "timeout")), kSyncBits);
  if (!IsResult(err)) ThrowSystemError(env, err, "futex");
  return Napi::String::New(env, ResultName(err));
}

Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  uint32_t* addr = Word(info);
  int woken = 0;
  int err = sys::FutexWake(addr, Int(info, 2, "count"), &woken);
  if (err != 0) ThrowSystemError(info.Env(), err, "futex");
  return Napi::Number::New(info.Env(), woken);
}

namespace {

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("futexWait", Napi::Function::New(env, FutexWait, "futexWait"));
  exports.Set("futexWaitAsync", Napi::Function::New(env, FutexWaitAsync, "futexWaitAsync"));
  exports.Set("futexWake", Napi::Function::New(env, FutexWake, "futexWake"));
}

MMAPKIT_MODULE(Init);

}  // namespace
}  // namespace mmapkit::futex
