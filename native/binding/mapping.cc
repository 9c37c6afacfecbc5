// Node-API binding of the mapping syscalls: mapNew() and the map* functions that take its handle.
// Arguments arrive validated by lib/mapping.ts; this file only re-checks their types, converts them
// and reports errno values through binding/errors.h.
//
// Lifetime. A mapping's state lives until its owner ArrayBuffer (held by the JavaScript Mapping)
// and every other ArrayBuffer vended over it are gone, and until no asynchronous operation is still
// using it, so a live view keeps its mapping alive. An explicit unmap() first detaches every vended
// ArrayBuffer (JavaScript then sees length 0, never freed memory) and only then calls munmap.
#include <sys/mman.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <list>
#include <memory>
#include <string>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/map_budget.h"
#include "binding/module.h"
#include "sys/mapping.h"

namespace mmapkit {
namespace {

using args::Bool;
using args::Int;
using args::ThrowSigbus;
using args::U64;

struct MapState;

// A vended ArrayBuffer. The owner is the mapping's main ArrayBuffer: the JavaScript Mapping holds
// it for its whole life, so its finalizer says the Mapping is gone. Other records are views.
struct ViewRecord {
  MapState* state;
  napi_ref ref;
  bool owner;
};

struct MapState {
  sys::Region region;
  bool unmapped = false;      // munmap has been done (or there was nothing to map)
  bool closing = false;       // unmap() was called: no new views, views detached
  bool handle_alive = true;   // the owner ArrayBuffer (held by the JavaScript Mapping) still exists
  int live_views = 0;         // vended ArrayBuffers whose finalizer has not run
  int pins = 0;               // asynchronous operations in flight
  std::list<ViewRecord*> views;  // every vended ArrayBuffer not finalized yet, the owner included
};

void DoUnmap(MapState* s) {
  if (s->unmapped) return;
  sys::Unmap(s->region);
  s->unmapped = true;
  ReleaseMapping();
}

void FinishUnmap(MapState* s) {
  if (s->closing && s->pins == 0) DoUnmap(s);
}

void MaybeFree(MapState* s) {
  if (s->handle_alive || s->live_views > 0 || s->pins > 0) return;
  DoUnmap(s);
  delete s;
}

void FinalizeView(napi_env env, void* /*data*/, void* hint) {
  auto* rec = static_cast<ViewRecord*>(hint);
  MapState* s = rec->state;
  s->views.remove(rec);
  if (rec->ref != nullptr) napi_delete_reference(env, rec->ref);
  if (rec->owner) {
    s->handle_alive = false;
  } else {
    s->live_views--;
  }
  delete rec;
  MaybeFree(s);
}

void DetachViews(napi_env env, MapState* s) {
  for (ViewRecord* rec : s->views) {
    napi_value ab = nullptr;
    if (rec->ref != nullptr && napi_get_reference_value(env, rec->ref, &ab) == napi_ok && ab != nullptr) {
      napi_detach_arraybuffer(env, ab);
    }
  }
}

// ---- the mapping's functions ----
//
// A mapping is made by mapNew() and reached through a napi External of its state, type-tagged, that
// only the JavaScript Mapping holds; the same Mapping holds the owner ArrayBuffer, whose finalizer
// frees the state. One object with a finalizer per mapping, as light as a plain external Buffer.

const napi_type_tag kStateTag = {0x6d6d61706b697421ULL, 0x4d61705374617465ULL};  // "mmapkit!" "MapState"

// Creates the owner over the whole mapping and records it: an ArrayBuffer, or, where the runtime
// cannot make one that large (Node 20 builds external ArrayBuffers through Buffers of at most
// 4 GiB), a plain External whose finalizer plays the same part.
Napi::Value NewOwner(Napi::Env env, MapState* s) {
  auto* rec = new ViewRecord{s, nullptr, true};
  napi_value owner;
  napi_status st = napi_create_external_arraybuffer(env, s->region.data(), s->region.length, nullptr, nullptr, &owner);
  if (st == napi_ok) {
    if (napi_add_finalizer(env, owner, nullptr, FinalizeView, rec, &rec->ref) != napi_ok) {
      delete rec;
      throw Napi::Error(env, env.GetAndClearPendingException().Value());
    }
  } else {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) env.GetAndClearPendingException();
    if (napi_create_external(env, rec, FinalizeView, rec, &owner) != napi_ok) {
      delete rec;
      throw Napi::Error(env, env.GetAndClearPendingException().Value());
    }
  }
  s->views.push_back(rec);
  return Napi::Value(env, owner);
}

void FreeEmptyState(napi_env /*env*/, void* data, void* /*hint*/) { delete static_cast<MapState*>(data); }

// mapNew(fd, offset, length, prot, shared, populate, noReserve, hugetlb) -> [handle, owner ArrayBuffer]
// (for length 0: [handle, undefined], and the handle itself frees the state).
Napi::Value MapNew(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sys::MapRequest req;
  req.fd = Int(info, 0, "fd");
  req.offset = U64(info, 1, "offset");
  req.length = U64(info, 2, "length");
  req.prot = Int(info, 3, "prot");
  req.shared = Bool(info, 4);
  req.populate = Bool(info, 5);
  req.no_reserve = Bool(info, 6);
  req.hugetlb = Bool(info, 7);
  Napi::Array out = Napi::Array::New(env, 2);
  if (req.length == 0) {
    auto* state = new MapState();
    state->unmapped = true;
    napi_value ext;
    NAPI_THROW_IF_FAILED(env, napi_create_external(env, state, FreeEmptyState, nullptr, &ext), Napi::Value());
    NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, ext, &kStateTag), Napi::Value());
    out.Set(0u, Napi::Value(env, ext));
    return out;
  }
  ReserveMapping(env);
  auto state = std::make_unique<MapState>();
  int err = sys::Map(req, &state->region);
  if (err != 0) {
    ReleaseMapping();
    ThrowSystemError(env, err, "mmap");
  }
  // From here the owner's finalizer frees the state; until the owner exists, unmap on failure.
  Napi::Value owner;
  try {
    owner = NewOwner(env, state.get());
  } catch (...) {
    DoUnmap(state.get());
    throw;
  }
  MapState* s = state.release();
  napi_value ext;
  NAPI_THROW_IF_FAILED(env, napi_create_external(env, s, nullptr, nullptr, &ext), Napi::Value());
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, ext, &kStateTag), Napi::Value());
  out.Set(0u, Napi::Value(env, ext));
  out.Set(1u, owner);
  return out;
}

struct Ops {
  const sys::Region& Live(Napi::Env env) {
    if (state_->closing) ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The mapping has been unmapped");
    return state_->region;
  }

  // Checks [off, off + len) lies inside the mapping (overflow-safe).
  void Range(Napi::Env env, uint64_t off, uint64_t len) {
    uint64_t n = state_->region.length;
    if (off > n || len > n - off) {
      ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                      "The range " + std::to_string(off) + "+" + std::to_string(len) +
                          " is outside the mapping of " + std::to_string(n) + " bytes");
    }
  }

  // arrayBuffer(offset, length): an ArrayBuffer over mapped bytes, detached by unmap().
  Napi::Value ArrayBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    if (len == 0) return Napi::ArrayBuffer::New(env, 0);
    auto* rec = new ViewRecord{state_, nullptr, false};
    napi_value ab;
    // No finalizer on the buffer itself: one weak reference with a finalizer (napi_add_finalizer)
    // serves both to detach the buffer on unmap() and to learn when it is collected.
    napi_status st = napi_create_external_arraybuffer(env, r.data() + off, static_cast<size_t>(len),
                                                      nullptr, nullptr, &ab);
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
    state_->live_views++;
    return Napi::Value(env, ab);
  }

  Napi::Value Sync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    int err = sys::Sync(r, off, len, Int(info, 3, "flags"));
    if (err != 0) ThrowSystemError(env, err, "msync");
    return env.Undefined();
  }

  class SyncWorker : public Napi::AsyncWorker {
   public:
    SyncWorker(Napi::Env env, MapState* s, size_t off, size_t len, int flags)
        : Napi::AsyncWorker(env, "mmapkit:msync"), deferred_(Napi::Promise::Deferred::New(env)), s_(s),
          off_(off), len_(len), flags_(flags) {
      s_->pins++;
    }
    Napi::Promise Promise() { return deferred_.Promise(); }
    void Execute() override { err_ = sys::Sync(s_->region, off_, len_, flags_); }
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

  Napi::Value SyncAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    auto* w = new SyncWorker(env, state_, off, len, Int(info, 3, "flags"));
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

  Napi::Value Advise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    int err = sys::Advise(r, off, len, Int(info, 3, "advice"));
    if (err != 0) ThrowSystemError(env, err, "madvise");
    return env.Undefined();
  }

  Napi::Value Protect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    int err = sys::Protect(r, off, len, Int(info, 3, "prot"));
    if (err != 0) ThrowSystemError(env, err, "mprotect");
    return env.Undefined();
  }

  Napi::Value Lock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    bool on_fault = Bool(info, 3);
    int err = sys::Lock(r, off, len, on_fault);
    if (err != 0) ThrowSystemError(env, err, on_fault ? "mlock2" : "mlock");
    return env.Undefined();
  }

  Napi::Value Unlock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    int err = sys::Unlock(r, off, len);
    if (err != 0) ThrowSystemError(env, err, "munlock");
    return env.Undefined();
  }

  // residency(offset, length) → Uint8Array, one byte (0 or 1) per page of the widened range.
  Napi::Value Residency(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    size_t pages = len == 0 ? 0 : sys::PagesIn(r, off, len);
    Napi::Uint8Array vec = Napi::Uint8Array::New(env, pages);
    if (pages > 0) {
      int err = sys::Residency(r, off, len, vec.Data());
      if (err != 0) ThrowSystemError(env, err, "mincore");
    }
    return vec;
  }

  // resize(newLength, mayMove): mremap. Every view vended before is detached, moved or not.
  Napi::Value Resize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    uint64_t n = U64(info, 1, "length");
    if (state_->region.base == nullptr) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "An empty mapping cannot be resized; map again instead");
    }
    if (state_->pins > 0) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_BUSY", "The mapping cannot be resized while an asynchronous sync is in flight");
    }
    int err = sys::Resize(&state_->region, n, Bool(info, 2));
    if (err != 0) ThrowSystemError(env, err, "mremap");
    DetachViews(env, state_);
    // The old owner becomes an ordinary (detached) view; a new owner covers the new range.
    for (ViewRecord* rec : state_->views) {
      if (rec->owner) {
        rec->owner = false;
        state_->live_views++;
      }
    }
    return NewOwner(env, state_);
  }

  // read(offset, length) → a Buffer holding a copy; a SIGBUS becomes ERR_MMAPKIT_SIGBUS.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, len);
    void* fault = nullptr;
    int err = len == 0 ? 0 : sys::CopyOut(r, off, len, out.Data(), &fault);
    if (err == SIGBUS) ThrowSigbus(env, fault, "read()");
    if (err != 0) ThrowSystemError(env, err, "sigaction");
    return out;
  }

  // write(offset, typedArray) → bytes written; a SIGBUS becomes ERR_MMAPKIT_SIGBUS.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset");
    if (info.Length() < 3 || !info[2].IsTypedArray()) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"data\" argument must be a TypedArray or Buffer");
    }
    Napi::TypedArray ta = info[2].As<Napi::TypedArray>();
    const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    uint64_t len = ta.ByteLength();
    Range(env, off, len);
    void* fault = nullptr;
    int err = len == 0 ? 0 : sys::CopyIn(r, off, len, src, &fault);
    if (err == SIGBUS) ThrowSigbus(env, fault, "write()");
    if (err != 0) ThrowSystemError(env, err, "sigaction");
    return Napi::Number::New(env, static_cast<double>(len));
  }

  Napi::Value Touch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    Range(env, off, len);
    void* fault = nullptr;
    int err = sys::TouchPages(r, off, len, &fault);
    if (err == SIGBUS) ThrowSigbus(env, fault, "touch()");
    if (err != 0) ThrowSystemError(env, err, "sigaction");
    return env.Undefined();
  }

  Napi::Value Unmap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (state_->closing) return Napi::Boolean::New(env, false);
    DetachViews(env, state_);
    state_->closing = true;
    FinishUnmap(state_);
    return Napi::Boolean::New(env, true);
  }

  Napi::Value Address(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(state_->region.data())));
  }

  MapState* state_;
};


template <Napi::Value (Ops::*M)(const Napi::CallbackInfo&)>
Napi::Value Dispatch(const Napi::CallbackInfo& info) {
  bool ok = false;
  if (info.Length() > 0 && info[0].IsExternal()) {
    napi_check_object_type_tag(info.Env(), info[0], &kStateTag, &ok);
  }
  if (!ok) ThrowUsageError(info.Env(), "TypeError", "ERR_INVALID_ARG_TYPE", "The \"handle\" argument must be a mapping handle");
  Ops ops{static_cast<MapState*>(info[0].As<Napi::External<void>>().Data())};
  return (ops.*M)(info);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("mapNew", Napi::Function::New(env, MapNew, "mapNew"));
  exports.Set("mapArrayBuffer", Napi::Function::New(env, Dispatch<&Ops::ArrayBuffer>, "mapArrayBuffer"));
  exports.Set("mapSync", Napi::Function::New(env, Dispatch<&Ops::Sync>, "mapSync"));
  exports.Set("mapSyncAsync", Napi::Function::New(env, Dispatch<&Ops::SyncAsync>, "mapSyncAsync"));
  exports.Set("mapAdvise", Napi::Function::New(env, Dispatch<&Ops::Advise>, "mapAdvise"));
  exports.Set("mapProtect", Napi::Function::New(env, Dispatch<&Ops::Protect>, "mapProtect"));
  exports.Set("mapLock", Napi::Function::New(env, Dispatch<&Ops::Lock>, "mapLock"));
  exports.Set("mapUnlock", Napi::Function::New(env, Dispatch<&Ops::Unlock>, "mapUnlock"));
  exports.Set("mapResidency", Napi::Function::New(env, Dispatch<&Ops::Residency>, "mapResidency"));
  exports.Set("mapResize", Napi::Function::New(env, Dispatch<&Ops::Resize>, "mapResize"));
  exports.Set("mapRead", Napi::Function::New(env, Dispatch<&Ops::Read>, "mapRead"));
  exports.Set("mapWrite", Napi::Function::New(env, Dispatch<&Ops::Write>, "mapWrite"));
  exports.Set("mapTouch", Napi::Function::New(env, Dispatch<&Ops::Touch>, "mapTouch"));
  exports.Set("mapUnmap", Napi::Function::New(env, Dispatch<&Ops::Unmap>, "mapUnmap"));
  exports.Set("mapAddress", Napi::Function::New(env, Dispatch<&Ops::Address>, "mapAddress"));
}

MMAPKIT_MODULE(Init);

}  // namespace
}  // namespace mmapkit
