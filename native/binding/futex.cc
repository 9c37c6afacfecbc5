// Node-API binding of the process-shared futex (native/sys/mapping.h): a blocking wait, a wait
// on a libuv worker thread, and wake.
#include <time.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/module.h"
#include "sys/mapping.h"

namespace mmapkit {
namespace {

using args::Int;
using args::Num;
using args::U64;

// The 32-bit word at index i of an Int32Array / Uint32Array (checked in lib/shm.ts).
uint32_t* Word(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"array\" argument must be an Int32Array or Uint32Array");
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  napi_typedarray_type t = ta.TypedArrayType();
  if (t != napi_int32_array && t != napi_uint32_array) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"array\" argument must be an Int32Array or Uint32Array");
  }
  uint64_t index = U64(info, 1, "index");
  if (index >= ta.ElementLength()) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "The \"index\" is outside the array");
  }
  return reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset()) + index;
}

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Waits, restarting after EINTR with the time that is left. Returns 0, EAGAIN or ETIMEDOUT.
int WaitLoop(uint32_t* addr, uint32_t expected, int64_t timeout_ns) {
  int64_t deadline = timeout_ns < 0 ? -1 : NowNs() + timeout_ns;
  for (;;) {
    int64_t left = deadline < 0 ? -1 : deadline - NowNs();
    if (deadline >= 0 && left <= 0) return ETIMEDOUT;
    int err = sys::FutexWait(addr, expected, left);
    if (err != EINTR) return err;
  }
}

Napi::Value WaitResult(Napi::Env env, int err) {
  if (err == 0) return Napi::String::New(env, "ok");
  if (err == EAGAIN) return Napi::String::New(env, "not-equal");
  if (err == ETIMEDOUT) return Napi::String::New(env, "timed-out");
  ThrowSystemError(env, err, "futex");
}

// futexWait(array, index, expected, timeoutNs) → 'ok' | 'not-equal' | 'timed-out'
Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  uint32_t* addr = Word(info);
  uint32_t expected = static_cast<uint32_t>(Num(info, 2, "expected"));
  double t = Num(info, 3, "timeout");
  return WaitResult(info.Env(), WaitLoop(addr, expected, t < 0 ? -1 : static_cast<int64_t>(t)));
}

class FutexWorker : public Napi::AsyncWorker {
 public:
  FutexWorker(Napi::Env env, Napi::Object array, uint32_t* addr, uint32_t expected, int64_t timeout)
      : Napi::AsyncWorker(env, "mmapkit:futex"), deferred_(Napi::Promise::Deferred::New(env)),
        array_(Napi::Persistent(array)), addr_(addr), expected_(expected), timeout_(timeout) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { err_ = WaitLoop(addr_, expected_, timeout_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (err_ == 0 || err_ == EAGAIN || err_ == ETIMEDOUT) {
      deferred_.Resolve(WaitResult(env, err_));
    } else {
      deferred_.Reject(SystemError(env, err_, "futex").Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference array_;  // keeps the memory's ArrayBuffer alive while waiting
  uint32_t* addr_;
  uint32_t expected_;
  int64_t timeout_;
  int err_ = 0;
};

Napi::Value FutexWaitAsync(const Napi::CallbackInfo& info) {
  uint32_t* addr = Word(info);
  uint32_t expected = static_cast<uint32_t>(Num(info, 2, "expected"));
  double t = Num(info, 3, "timeout");
  auto* w = new FutexWorker(info.Env(), info[0].As<Napi::Object>(), addr, expected, t < 0 ? -1 : static_cast<int64_t>(t));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  uint32_t* addr = Word(info);
  int woken = 0;
  int err = sys::FutexWake(addr, Int(info, 2, "count"), &woken);
  if (err != 0) ThrowSystemError(info.Env(), err, "futex");
  return Napi::Number::New(info.Env(), woken);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("futexWait", Napi::Function::New(env, FutexWait, "futexWait"));
  exports.Set("futexWaitAsync", Napi::Function::New(env, FutexWaitAsync, "futexWaitAsync"));
  exports.Set("futexWake", Napi::Function::New(env, FutexWake, "futexWake"));
}

MMAPKIT_MODULE(Init);

}  // namespace
}  // namespace mmapkit
