// Node-API binding of the mapping syscalls: mapNew() and the map* functions that take its id.
// Arguments arrive validated by lib/mapping.ts; this file only re-checks their types, converts them
// and reports errno values through binding/errors.h.
//
// Lifetime. A mapping's state lives until its owner (the Buffer over all its bytes, held by the
// JavaScript Mapping) and every other ArrayBuffer vended over it are finalized, and until no
// asynchronous operation is still using it, so a live view keeps its mapping alive. An explicit
// unmap() first detaches the owner and every vended ArrayBuffer (JavaScript then sees length 0,
// never freed memory) and only then calls munmap.
//
// Ids. JavaScript reaches a mapping by a number: a slot in a table with a generation count, so an
// id whose state was freed, or that belongs to another thread's environment, is refused rather
// than followed. The owner is an external Buffer whose own finalizer frees the state: one object
// with one finalizer per mapping, as light as the plain external Buffer other packages return.
#include <sys/mman.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/futex_waits.h"
#include "binding/map_budget.h"
#include "binding/module.h"
#include "sys/mapping.h"

namespace mmapkit {
namespace {

using args::Bool;
using args::Int;
using args::U64;

struct MapState;

// A vended ArrayBuffer other than the owner: detached by unmap() through its weak reference.
struct ViewRecord {
  MapState* state;
  napi_ref ref;
};

struct MapState {
  sys::Region region;
  napi_env env = nullptr;
  double id = 0;
  bool unmapped = false;      // munmap has been done (or there was nothing to map)
  bool closing = false;       // unmap() was called: no new views, views detached
  int live_buffers = 0;       // owners and views whose finalizer has not run
  int pins = 0;               // asynchronous operations in flight
  std::list<ViewRecord*> views;  // vended ArrayBuffers (not owners) not finalized yet
};

// ---- the id table ----

constexpr uint32_t kSlotBits = 24;
constexpr double kSlotSpan = 1 << kSlotBits;

struct Slot {
  MapState* state = nullptr;
  uint32_t gen = 1;
};

std::mutex g_table_mutex;
std::vector<Slot> g_slots;
std::vector<uint32_t> g_free_slots;

// Enters s in the table and sets s->id (at most 2^53: generations wrap below 2^29).
void AddToTable(MapState* s) {
  std::lock_guard<std::mutex> lock(g_table_mutex);
  uint32_t slot;
  if (!g_free_slots.empty()) {
    slot = g_free_slots.back();
    g_free_slots.pop_back();
  } else {
    slot = static_cast<uint32_t>(g_slots.size());
    g_slots.emplace_back();
  }
  g_slots[slot].state = s;
  s->id = static_cast<double>(g_slots[slot].gen) * kSlotSpan + slot;
}

void RemoveFromTable(MapState* s) {
  std::lock_guard<std::mutex> lock(g_table_mutex);
  uint32_t slot = static_cast<uint32_t>(static_cast<uint64_t>(s->id) & ((1u << kSlotBits) - 1));
  Slot& e = g_slots[slot];
  e.state = nullptr;
  e.gen = e.gen >= (1u << 28) ? 1 : e.gen + 1;
  g_free_slots.push_back(slot);
}

// The state behind an id, or nullptr when the id is not a live mapping of this environment.
MapState* Lookup(napi_env env, double id) {
  if (!(id >= kSlotSpan) || id > 9007199254740991.0) return nullptr;
  uint64_t v = static_cast<uint64_t>(id);
  if (static_cast<double>(v) != id) return nullptr;
  uint32_t slot = static_cast<uint32_t>(v & ((1u << kSlotBits) - 1));
  uint64_t gen = v >> kSlotBits;
  std::lock_guard<std::mutex> lock(g_table_mutex);
  if (slot >= g_slots.size() || g_slots[slot].gen != gen) return nullptr;
  MapState* s = g_slots[slot].state;
  return s != nullptr && s->env == env ? s : nullptr;
}

// ---- lifetime ----

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
  if (s->live_buffers > 0 || s->pins > 0) return;
  DoUnmap(s);
  RemoveFromTable(s);
  delete s;
}

// The owner's finalizer (an external Buffer's, or an External's for empty and oversized mappings).
void FinalizeOwner(napi_env /*env*/, void* /*data*/, void* hint) {
  auto* s = static_cast<MapState*>(hint);
  s->live_buffers--;
  MaybeFree(s);
}

void FinalizeView(napi_env env, void* /*data*/, void* hint) {
  auto* rec = static_cast<ViewRecord*>(hint);
  MapState* s = rec->state;
  s->views.remove(rec);
  if (rec->ref != nullptr) napi_delete_reference(env, rec->ref);
  delete rec;
  s->live_buffers--;
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

// Detaches the owner JavaScript handed back (its Buffer's ArrayBuffer), after checking that it is
// this mapping's. An External owner (empty or oversized mapping) has nothing to detach.
void DetachOwner(Napi::Env env, MapState* s, const Napi::Value& owner) {
  if (!owner.IsTypedArray()) return;
  napi_value ab;
  void* data = nullptr;
  size_t length = 0;
  NAPI_THROW_IF_FAILED_VOID(env, napi_get_typedarray_info(env, owner, nullptr, &length, &data, &ab, nullptr));
  if (data == nullptr && length == 0) return;  // already detached
  if (data != s->region.data()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_VALUE", "The \"owner\" argument is not this mapping's buffer");
  }
  NAPI_THROW_IF_FAILED_VOID(env, napi_detach_arraybuffer(env, ab));
}

// ---- the mapping's functions ----

size_t ElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    default: return 8;
  }
}

// Creates the owner over the whole mapping: an external Buffer, or, where the mapping is empty or
// longer than buffer_max (buffer.constants.MAX_LENGTH: 4 GiB on Node 20), a plain External whose
// finalizer plays the same part. Node calls a Buffer's finalizer at once when it refuses to make
// the Buffer, so a length it would refuse must never be asked for.
Napi::Value NewOwner(Napi::Env env, MapState* s, uint64_t buffer_max) {
  napi_value owner;
  napi_status st = napi_invalid_arg;
  if (s->region.length > 0 && s->region.length <= buffer_max) {
    st = napi_create_external_buffer(env, s->region.length, s->region.data(), FinalizeOwner, s, &owner);
  }
  if (st != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) env.GetAndClearPendingException();
    NAPI_THROW_IF_FAILED(env, napi_create_external(env, s, FinalizeOwner, s, &owner), Napi::Value());
  }
  s->live_buffers++;
  return Napi::Value(env, owner);
}

// Where mapNew writes the id: out[0] of a Float64Array.
double* IdOut(Napi::Env env, const Napi::Value& out) {
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type;
  if (!out.IsTypedArray() ||
      napi_get_typedarray_info(env, out, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float64_array || length < 1) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"out\" argument must be a Float64Array");
  }
  return static_cast<double*>(data);
}

// Bits of mapNew's flags argument above the PROT_* bits (lib/mapping.ts has the same values).
constexpr int kMapShared = 1 << 4;
constexpr int kMapPopulate = 1 << 5;
constexpr int kMapNoReserve = 1 << 6;
constexpr int kMapHugetlb = 1 << 7;

// mapNew(out, fd, offset, length, flags, bufferMax) -> owner; out[0] = the id. flags: PROT_* bits
// and the kMap* bits. Six arguments or fewer keep node-addon-api from allocating per call. The
// owner is a Buffer over the mapped bytes (an External for length 0 or a mapping too large for
// one Buffer); the JavaScript Mapping holds it, and its finalizer frees the state.
Napi::Value MapNew(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double* id_out = IdOut(env, info[0]);
  sys::MapRequest req;
  req.fd = Int(info, 1, "fd");
  req.offset = U64(info, 2, "offset");
  req.length = U64(info, 3, "length");
  int flags = Int(info, 4, "flags");
  req.prot = flags & (PROT_READ | PROT_WRITE | PROT_EXEC);
  req.shared = (flags & kMapShared) != 0;
  req.populate = (flags & kMapPopulate) != 0;
  req.no_reserve = (flags & kMapNoReserve) != 0;
  req.hugetlb = (flags & kMapHugetlb) != 0;
  uint64_t buffer_max = U64(info, 5, "bufferMax");
  *id_out = 0;
  auto state = std::make_unique<MapState>();
  state->env = env;
  if (req.length == 0) {
    state->unmapped = true;
  } else {
    ReserveMapping(env);
    int err = sys::Map(req, &state->region);
    if (err != 0) {
      ReleaseMapping();
      ThrowSystemError(env, err, "mmap");
    }
  }
  // From here the owner's finalizer frees the state; until the owner exists, unmap on failure.
  Napi::Value owner;
  try {
    owner = NewOwner(env, state.get(), buffer_max);
  } catch (...) {
    DoUnmap(state.get());
    throw;
  }
  MapState* s = state.release();
  AddToTable(s);
  *id_out = s->id;
  return owner;
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
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    const sys::Region& r = Live(env);
    Range(env, off, len);
    if (len == 0) return Napi::ArrayBuffer::New(env, 0);
    auto* rec = new ViewRecord{state_, nullptr};
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
    state_->live_buffers++;
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

  // resize(newLength, mayMove, owner, bufferMax) -> new owner: mremap. The old owner and every view vended
  // before are detached, moved or not; the old owner's finalizer still runs, as for any view.
  Napi::Value Resize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    uint64_t n = U64(info, 1, "length");
    uint64_t buffer_max = U64(info, 4, "bufferMax");
    if (state_->region.base == nullptr) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "An empty mapping cannot be resized; map again instead");
    }
    if (state_->pins > 0) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_BUSY", "The mapping cannot be resized while an asynchronous sync is in flight");
    }
    Napi::Value old_owner = info[3];
    if (old_owner.IsTypedArray()) {
      // Checked before mremap, so that a wrong owner changes nothing.
      void* data = nullptr;
      size_t len = 0;
      napi_get_typedarray_info(env, old_owner, nullptr, &len, &data, nullptr, nullptr);
      if (data != nullptr && data != state_->region.data()) {
        ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_VALUE", "The \"owner\" argument is not this mapping's buffer");
      }
    }
    CancelFutexWaits(env, state_->region.base, state_->region.base_len);  // the words may move
    int err = sys::Resize(&state_->region, n, Bool(info, 2));
    if (err != 0) ThrowSystemError(env, err, "mremap");
    DetachViews(env, state_);
    if (old_owner.IsTypedArray()) {
      napi_value ab;
      if (napi_get_typedarray_info(env, old_owner, nullptr, nullptr, nullptr, &ab, nullptr) == napi_ok) {
        napi_detach_arraybuffer(env, ab);
      }
    }
    return NewOwner(env, state_, buffer_max);
  }

  // read(offset, length) → a Buffer holding a copy. Guarded: a SIGBUS becomes ERR_MMAPKIT_SIGBUS,
  // a SIGSEGV (a page protected against reading) ERR_MMAPKIT_PROTECTED.
  Napi::Value Read(const Napi::CallbackInfo& info) {
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

  // write(offset, data) → bytes written; data is a TypedArray, a Buffer or a DataView, read by the
  // engine's own pointer and length (never a user-visible property). Guarded like read(): a page
  // protected against writing gives ERR_MMAPKIT_PROTECTED, and so does a protected source page.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t off = U64(info, 1, "offset");
    if (info.Length() < 3) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"data\" argument must be a TypedArray, Buffer or DataView");
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
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"data\" argument must be a TypedArray, Buffer or DataView");
    }
    if (len == 0 && ab != nullptr) {
      bool detached = false;
      if (napi_is_detached_arraybuffer(env, ab, &detached) == napi_ok && detached) {
        ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED",
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

  // touch(offset, length, what?) reads one byte of every page of the range, guarded. lib/ also
  // runs it as the probe before a JavaScript loop over mapped bytes; `what` names that loop's
  // function in the error ("csvSum()").
  Napi::Value Touch(const Napi::CallbackInfo& info) {
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

  // Throws the error for a guarded copy or touch that returned err (SIGBUS, SIGSEGV or an errno
  // value). The mapping is the first place looked up for the faulting address, then `more`.
  [[noreturn]] void Fault(Napi::Env env, int err, void* addr, const char* what, const sys::Region& r, int access,
                          const args::FaultSite* more, int nmore) {
    sys::FaultInfo f;
    f.signo = err;
    f.addr = addr;
    args::FaultSite sites[2] = {{"the mapping", r.data(), r.length, access}, {}};
    if (nmore > 0) sites[1] = more[0];
    args::ThrowFault(env, err, f, what, sites, nmore > 0 ? 2 : 1);
  }

  // unmap(owner) -> whether this call unmapped: detaches the owner and every view, then munmap
  // (at once, or when the last asynchronous operation using the mapping finishes).
  Napi::Value Unmap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (state_->closing) return Napi::Boolean::New(env, false);
    CancelFutexWaits(env, state_->region.base, state_->region.base_len);  // while still mapped
    DetachOwner(env, state_, info[1]);
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
  Napi::Env env = info.Env();
  double id = 0;
  if (info.Length() == 0 || napi_get_value_double(env, info[0], &id) != napi_ok) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"id\" argument must be a mapping id");
  }
  MapState* s = Lookup(env, id);
  if (s == nullptr) ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The mapping has been unmapped");
  Ops ops{s};
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
