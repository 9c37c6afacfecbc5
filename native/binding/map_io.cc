// A mapping's copies (read, write, touch), resize and unmap; see binding/map_ops.h.
#include <sys/mman.h>

#include <cerrno>
#include <mutex>
#include <string>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/futex_waits.h"
#include "binding/map_budget.h"
#include "binding/map_ops.h"
#include "binding/map_state.h"
#include "sys/mmap.h"

namespace mmapkit::maps {

using args::Bool;
using args::ElementSize;
using args::Int;
using args::U64;

Napi::Value Ops::Resize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  uint64_t n = U64(info, 1, "length");
  uint64_t buffer_max = U64(info, 4, "bufferMax");
  bool exposed = Bool(info, 5);
  if (state_->region.base == nullptr) {
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "An empty mapping cannot be resized; map again instead");
  }
  if (state_->pins > 0) {
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_BUSY",
                    "The mapping cannot be resized while an asynchronous sync is in flight");
  }
  // Checked before mremap, so that a wrong owner changes nothing.
  napi_value owner_ab = OwnerArrayBuffer(env, state_, info[3]);
  bool held = exposed || !state_->views.empty() || !state_->holds.empty();
  uint8_t* vacated = nullptr;
  size_t vacated_len = 0;
  CancelFutexWaits(env, state_->region.base, sys::SpanOf(state_->region));  // the words may move
  int err = sys::Resize(&state_->region, n, Bool(info, 2), held, &vacated, &vacated_len);
  if (err != 0) ThrowSystemError(env, err, "mremap");
  if (vacated_len > 0) {
    CountMapping();  // the retired range is one more map area until released
    ArmRetired(CollectHolders(env, state_, vacated, vacated_len, exposed, owner_ab));
  }
  // Retired now or not, the old owner may still point into what a later unmap() retires.
  if (vacated_len == 0 && exposed && owner_ab != nullptr) HoldOwner(env, state_, owner_ab);
  DetachUnexposed(env, owner_ab, exposed);
  return NewOwner(env, state_, buffer_max);
}

Napi::Value Ops::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Live(env);
  Range(env, off, len);
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, len);
  // Allocating runs no JavaScript, but the state is checked again after it all the same.
  const sys::Region& r = Live(env);
  Range(env, off, len);
  void* fault = nullptr;
  int err = len == 0 ? 0 : sys::CopyOut(r, off, len, out.Data(), &fault);
  if (err != 0) Fault(env, err, fault, "read()", r, sys::kAccessRead, nullptr, 0);
  return out;
}

Napi::Value Ops::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = U64(info, 1, "offset");
  if (info.Length() < 3) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                    "The \"data\" argument must be a TypedArray, Buffer or DataView");
  }
  napi_value v = info[2];
  void* data = nullptr;
  napi_value ab = nullptr;
  size_t len = 0;
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type t;
    size_t n = 0;
    napi_get_typedarray_info(env, v, &t, &n, &data, &ab, nullptr);
    len = n * ElementSize(t);
  } else if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    napi_get_dataview_info(env, v, &len, &data, &ab, nullptr);
  } else {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                    "The \"data\" argument must be a TypedArray, Buffer or DataView");
  }
  if (len == 0 && ab != nullptr) {
    bool detached = false;
    if (napi_is_detached_arraybuffer(env, ab, &detached) == napi_ok && detached) {
      ThrowUsageError(
          env, "Error", "ERR_MMAPKIT_CLOSED",
          "The \"data\" argument's ArrayBuffer is detached (transferred, or its mapping was unmapped or resized)");
    }
  }
  const sys::Region& r = Live(env);
  Range(env, off, len);
  const uint8_t* src = static_cast<const uint8_t*>(data);
  void* fault = nullptr;
  int err = len == 0 ? 0 : sys::CopyIn(r, off, len, src, &fault);
  if (err != 0) {
    const args::FaultSite source{"the source", src, static_cast<size_t>(len), sys::kAccessRead};
    Fault(env, err, fault, "write()", r, sys::kAccessWrite, &source, 1);
  }
  return Napi::Number::New(env, static_cast<double>(len));
}

Napi::Value Ops::Touch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  const std::string what = info.Length() > 3 && info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "touch()";
  const sys::Region& r = Live(env);
  Range(env, off, len);
  void* fault = nullptr;
  int err = sys::TouchPages(r, off, len, &fault);
  if (err != 0) Fault(env, err, fault, what.c_str(), r, sys::kAccessRead, nullptr, 0);
  return env.Undefined();
}

void Ops::Fault(Napi::Env env, int err, void* addr, const char* what, const sys::Region& r, int access,
                const args::FaultSite* more, int nmore) {
  sys::FaultInfo f;
  f.signo = err;
  f.addr = addr;
  args::FaultSite sites[2] = {{"the mapping", r.data(), r.length, access}, {}};
  if (nmore > 0) sites[1] = more[0];
  args::ThrowFault(env, err, f, what, sites, nmore > 0 ? 2 : 1);
}

Napi::Value Ops::Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state_->closing) return Napi::Boolean::New(env, false);
  CancelFutexWaits(env, state_->region.base, sys::SpanOf(state_->region));  // while still mapped
  napi_value owner_ab = OwnerArrayBuffer(env, state_, info[1]);
  if (!state_->unmapped) {
    Retired* r = CollectHolders(env, state_, state_->region.base, sys::SpanOf(state_->region), Bool(info, 2), owner_ab);
    std::lock_guard<std::mutex> lock(state_->sync_mutex);
    state_->pending = r;
    if (state_->pins > 0 && r->holders > 0) {
      // An msync still needs the real mapping: retire as soon as the last one ends (on its pool
      // thread), or now if they have all ended and only their completion is still queued.
      if (state_->syncing > 0) {
        state_->retire_after_sync = true;
      } else {
        sys::Retire(r->base, r->len);
        r->placed = true;
      }
    }
  }
  DetachUnexposed(env, owner_ab, Bool(info, 2));
  state_->closing = true;
  FinishUnmap(state_);
  return Napi::Boolean::New(env, true);
}

Napi::Value Ops::Address(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(state_->region.data())));
}

}  // namespace mmapkit::maps
