// The ranged syscalls of a mapping (msync, madvise, mprotect, mlock, mincore) and mapArrayBuffer;
// see binding/map_ops.h.
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

namespace {

class SyncWorker : public Napi::AsyncWorker {
 public:
  SyncWorker(Napi::Env env, MapState* s, size_t off, size_t len, int flags)
      : Napi::AsyncWorker(env, "mmapkit:msync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        s_(s),
        off_(off),
        len_(len),
        flags_(flags) {
    s_->pins++;
    std::lock_guard<std::mutex> lock(s_->sync_mutex);
    s_->syncing++;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    err_ = sys::Sync(s_->region, off_, len_, flags_);
    // unmap() came while this msync ran: the last one to end puts the placeholder in at once.
    // (pending, its range and placed are only touched under the mutex while retire_after_sync.)
    std::lock_guard<std::mutex> lock(s_->sync_mutex);
    if (--s_->syncing == 0 && s_->retire_after_sync) {
      s_->retire_after_sync = false;
      sys::Retire(s_->pending->base, s_->pending->len);
      s_->pending->placed = true;
    }
  }
  void OnOK() override {
    Release();
    if (err_ != 0) {
      deferred_.Reject(SystemError(Env(), err_, "msync").Value());
    } else {
      deferred_.Resolve(Env().Undefined());
    }
  }
  void OnError(const Napi::Error& e) override {
    Release();
    deferred_.Reject(e.Value());
  }

 private:
  void Release() {
    s_->pins--;
    FinishUnmap(s_);
    MaybeFree(s_);
  }
  Napi::Promise::Deferred deferred_;
  MapState* s_;
  size_t off_, len_;
  int flags_;
  int err_ = 0;
};

}  // namespace

const sys::Region& Ops::Live(Napi::Env env) {
  if (state_->closing) ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The mapping has been unmapped");
  return state_->region;
}

void Ops::Range(Napi::Env env, uint64_t off, uint64_t len) {
  uint64_t n = state_->region.length;
  if (off > n || len > n - off) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                    "The range " + std::to_string(off) + "+" + std::to_string(len) + " is outside the mapping of " +
                        std::to_string(n) + " bytes");
  }
}

Napi::Value Ops::ArrayBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  const sys::Region& r = Live(env);
  Range(env, off, len);
  if (len == 0) return Napi::ArrayBuffer::New(env, 0);
  auto* rec = new ViewRecord{state_, nullptr};
  napi_value ab;
  // No finalizer on the buffer itself: one weak reference with a finalizer (napi_add_finalizer)
  // tells when it is collected.
  napi_status st =
      napi_create_external_arraybuffer(env, r.data() + off, static_cast<size_t>(len), nullptr, nullptr, &ab);
  if (st != napi_ok) {
    delete rec;
    if (st == napi_no_external_buffers_allowed) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_EXTERNAL_BUFFERS",
                      "This JavaScript runtime refuses external ArrayBuffers (Electron, or Node built with "
                      "the V8 sandbox), so mmapkit cannot give a zero-copy view of mapped memory here; "
                      "use mapping.read() and mapping.write() to copy bytes instead");
    }
    // An exception may be pending (for example a failed allocation); surface it.
    Napi::Error e = env.GetAndClearPendingException();
    if (!e.IsEmpty()) throw e;
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_EXTERNAL_BUFFERS", "Could not create an ArrayBuffer over the mapping");
  }
  if (napi_add_finalizer(env, ab, nullptr, FinalizeView, rec, &rec->ref) != napi_ok) {
    delete rec;
    Napi::Error e = env.GetAndClearPendingException();
    if (!e.IsEmpty()) throw e;
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_EXTERNAL_BUFFERS", "Could not track an ArrayBuffer over the mapping");
  }
  state_->views.push_back(rec);
  state_->live_buffers++;
  return Napi::Value(env, ab);
}

Napi::Value Ops::Sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  int err = sys::Sync(r, off, len, Int(info, 3, "flags"));
  if (err != 0) ThrowSystemError(env, err, "msync");
  return env.Undefined();
}

Napi::Value Ops::SyncAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  auto* w = new SyncWorker(env, state_, off, len, Int(info, 3, "flags"));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Ops::Advise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  int err = sys::Advise(r, off, len, Int(info, 3, "advice"));
  if (err != 0) ThrowSystemError(env, err, "madvise");
  return env.Undefined();
}

Napi::Value Ops::Protect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  int err = sys::Protect(r, off, len, Int(info, 3, "prot"));
  if (err != 0) ThrowSystemError(env, err, "mprotect");
  return env.Undefined();
}

Napi::Value Ops::Lock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  bool on_fault = Bool(info, 3);
  int err = sys::Lock(r, off, len, on_fault);
  if (err != 0) ThrowSystemError(env, err, on_fault ? "mlock2" : "mlock");
  return env.Undefined();
}

Napi::Value Ops::Unlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  int err = sys::Unlock(r, off, len);
  if (err != 0) ThrowSystemError(env, err, "munlock");
  return env.Undefined();
}

Napi::Value Ops::Residency(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Live(env);
  Range(env, off, len);
  size_t pages = len == 0 ? 0 : sys::PagesIn(state_->region, off, len);
  Napi::Uint8Array vec = Napi::Uint8Array::New(env, pages);
  // mincore reads no mapped byte; the state is checked again after the allocation all the same.
  const sys::Region& r = Live(env);
  Range(env, off, len);
  if (pages > 0) {
    int err = sys::Residency(r, off, len, vec.Data());
    if (err != 0) ThrowSystemError(env, err, "mincore");
  }
  return vec;
}

}  // namespace mmapkit::maps
