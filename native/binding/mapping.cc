// Node-API binding of the mapping syscalls: mapNew() and the map* functions that take its id.
// Arguments arrive validated by lib/mapping.ts; this file only re-checks their types, converts them
// and reports errno values through binding/errors.h.
//
// Lifetime. A mapping's state lives until its owner (the Buffer over all its bytes, held by the
// JavaScript Mapping) and every other ArrayBuffer vended over it are finalized, and until no
// asynchronous operation is still using it, so a live view keeps its mapping alive. An explicit
// unmap() detaches nothing that left the library: code may hold the raw pointer and length (a job such
// as crypto.randomFill, zlib between chunks, fs.write, or a builtin part-way through a call that
// ran user code, buf.fill({ valueOf })), and Node aborts on a CHECK when a Buffer it works on
// shrinks to length 0 under it. So when the owner was handed to user code or a view is still
// reachable, the address range is retired rather than unmapped: one mmap(MAP_FIXED) puts a
// zero-filled private anonymous placeholder over it (sys::Retire), which lets the file and its
// pages go at once; the views keep their length, read zeros and write into the placeholder, and
// the placeholder is unmapped when the last of those JavaScript objects is collected (a Retired
// record counts them). lib/mapping.ts refuses such stale views in mmapkit's own functions.
// resize() retires the range it vacates the same way. With no holder (the owner never left the
// library, no view alive: no JavaScript can reach the memory) unmap() is a plain munmap.
//
// Ids. JavaScript reaches a mapping by a number: a slot in a table with a generation count, so an
// id whose state was freed, or that belongs to another thread's environment, is refused rather
// than followed. The owner is an external Buffer whose own finalizer frees the state: one object
// with one finalizer per mapping, as light as the plain external Buffer other packages return.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
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
using args::ElementSize;
using args::Int;
using args::U64;

struct MapState;

// Retired ranges whose holders are all gone, to be unmapped together on the next turn of the event
// loop: finalizers come in batches after a collection, and neighbouring placeholders (the usual
// case: mappings made one after another) merged into one map area in the kernel, so one munmap per
// run of neighbours replaces one per range. One per environment.
struct ReleaseQueue {
  napi_threadsafe_function flush = nullptr;  // unref'd: calls FlushReleases on the loop's thread
  std::vector<std::pair<uint8_t*, size_t>> ranges;
  bool scheduled = false;
  bool closed = false;  // the environment is being torn down: unmap at once
};

// An address range taken out of use by unmap() or resize() while JavaScript objects that may have
// lent its raw pointer to other code are alive. armed: the range has been retired (or, for an
// unmap() waiting on an in-flight msync, will be once it ends); it is released when armed and no
// holder is left.
struct Retired {
  uint8_t* base;
  size_t len;
  ReleaseQueue* queue;
  int holders = 0;
  bool armed = false;
  bool placed = false;  // the placeholder is in place
};

// Something JavaScript may still hold, with the retired ranges it keeps. Every holder alive when a
// range is retired is counted for it, whether or not it pointed into it: a view over the head of a
// shrunk mapping also points into what a later unmap() retires, and holding a placeholder a little
// longer than needed costs only address space.
struct Holder {
  std::vector<Retired*> ranges;
};

// A vended ArrayBuffer other than the owner, counted as a holder until it is collected (its weak
// reference's finalizer tells).
struct ViewRecord : Holder {
  ViewRecord(MapState* s, napi_ref r) : state(s), ref(r) {}
  MapState* state;
  napi_ref ref;
};

// A replaced owner's ArrayBuffer that left the library, from the unmap() or resize() that replaced
// it until the object is collected (the data of the finalizer put on it). Tracked apart from the
// owner Buffer's own finalizer, which runs when the backing store is released and so may come
// later than the object (or earlier, if the ArrayBuffer is detached by other code).
struct OwnerHold : Holder {
  explicit OwnerHold(MapState* s) : state(s) {}
  MapState* state;
};

struct MapState {
  sys::Region region;
  napi_env env = nullptr;
  double id = 0;
  bool unmapped = false;      // the region is no longer this state's to unmap (munmap done, retired, or empty)
  bool closing = false;       // unmap() was called: no new views
  int live_buffers = 0;       // owners, views and retired owners whose finalizer has not run
  int pins = 0;               // asynchronous operations in flight
  ReleaseQueue* releases = nullptr;
  Retired* pending = nullptr; // unmap()'s retirement, armed when the last pin goes
  // msyncs running on pool threads, and whether the last one to end retires `pending` there: at
  // once after the msync, before the thread can run another job that writes through the pointer.
  std::mutex sync_mutex;
  int syncing = 0;
  bool retire_after_sync = false;
  std::list<ViewRecord*> views;  // vended ArrayBuffers (not owners) not finalized yet
  std::list<OwnerHold*> holds;   // replaced owners that left the library, not collected yet
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

// ---- the release queue ----

std::mutex g_queue_mutex;
std::unordered_map<napi_env, ReleaseQueue*> g_queues;

void FlushReleases(ReleaseQueue* q) {
  auto& v = q->ranges;
  std::sort(v.begin(), v.end());
  for (size_t i = 0; i < v.size();) {
    uint8_t* start = v[i].first;
    uint8_t* end = start + v[i].second;
    size_t j = i + 1;
    while (j < v.size() && v[j].first == end) end += v[j++].second;
    sys::Release(start, static_cast<size_t>(end - start));
    for (; i < j; i++) ReleaseMapping();
  }
  v.clear();
}

void OnFlush(napi_env /*env*/, napi_value /*js_cb*/, void* context, void* /*data*/) {
  auto* q = static_cast<ReleaseQueue*>(context);
  q->scheduled = false;
  FlushReleases(q);
}

void CloseQueue(void* arg) {
  auto* q = static_cast<ReleaseQueue*>(arg);
  FlushReleases(q);
  q->closed = true;  // kept (not freed): finalizers that run later in the teardown may still look
}

// This environment's queue, made on its first map (a JavaScript call, so a handle scope is open).
ReleaseQueue* QueueFor(napi_env env) {
  thread_local napi_env t_env = nullptr;
  thread_local ReleaseQueue* t_queue = nullptr;
  if (t_env == env) return t_queue;
  std::lock_guard<std::mutex> lock(g_queue_mutex);
  ReleaseQueue*& q = g_queues[env];
  if (q == nullptr) {
    auto made = std::make_unique<ReleaseQueue>();
    napi_value name;
    if (napi_create_string_utf8(env, "mmapkit:release", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, made.get(), OnFlush,
                                        &made->flush) != napi_ok) {
      g_queues.erase(env);
      return nullptr;  // ranges are then unmapped one by one, at once
    }
    napi_unref_threadsafe_function(env, made->flush);
    napi_add_env_cleanup_hook(env, CloseQueue, made.get());
    q = made.release();
  }
  t_env = env;
  t_queue = q;
  return q;
}

// The range goes back to the kernel (with its mapping reservation): at once (now, or when there is
// no queue, or it is long), or on the next turn of the loop with its neighbours.
void ReleaseRetired(Retired* r, bool now) {
  ReleaseQueue* q = r->queue;
  if (now || q == nullptr || q->closed) {
    sys::Release(r->base, r->len);
    ReleaseMapping();
  } else {
    q->ranges.emplace_back(r->base, r->len);
    if (q->ranges.size() >= 4096) {
      FlushReleases(q);
    } else if (!q->scheduled &&
               napi_call_threadsafe_function(q->flush, nullptr, napi_tsfn_nonblocking) == napi_ok) {
      q->scheduled = true;
    } else if (!q->scheduled) {
      FlushReleases(q);
    }
  }
  delete r;
}

// Retires the range now that nothing asynchronous of ours uses it; without holders it is simply
// unmapped. If the placeholder cannot be made (ENOMEM), the old mapping stays until the holders go.
void ArmRetired(Retired* r) {
  r->armed = true;
  if (r->holders == 0) {
    ReleaseRetired(r, true);  // nothing outside the library saw it: a plain munmap, as unmap() says
    return;
  }
  if (!r->placed) sys::Retire(r->base, r->len);
  r->placed = true;
}

void DropHolder(Holder* h) {
  for (Retired* r : h->ranges) {
    if (--r->holders == 0 && r->armed) ReleaseRetired(r, false);
  }
  h->ranges.clear();
}

// A new Retired over [base, base + len) whose holders are the live views and the replaced owners
// that left the library, `owner_ab` (the current owner's ArrayBuffer) included when exposed.
Retired* CollectHolders(napi_env env, MapState* s, uint8_t* base, size_t len, bool exposed, napi_value owner_ab);

void FinishUnmap(MapState* s) {
  if (!s->closing || s->pins > 0) return;
  {
    std::lock_guard<std::mutex> lock(s->sync_mutex);
    s->retire_after_sync = false;
  }
  Retired* r = s->pending;
  s->pending = nullptr;
  if (r == nullptr) {
    DoUnmap(s);
    return;
  }
  s->unmapped = true;  // the range and its reservation now belong to r
  ArmRetired(r);
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

// Runs when a replaced owner's ArrayBuffer object is collected: no Buffer over it is left.
void FinalizeOwnerHold(napi_env /*env*/, void* data, void* /*hint*/) {
  auto* hold = static_cast<OwnerHold*>(data);
  MapState* s = hold->state;
  s->holds.remove(hold);
  DropHolder(hold);
  delete hold;
  s->live_buffers--;
  MaybeFree(s);
}

void FinalizeView(napi_env env, void* /*data*/, void* hint) {
  auto* rec = static_cast<ViewRecord*>(hint);
  MapState* s = rec->state;
  s->views.remove(rec);
  if (rec->ref != nullptr) napi_delete_reference(env, rec->ref);
  DropHolder(rec);
  delete rec;
  s->live_buffers--;
  MaybeFree(s);
}

// Tracks the ArrayBuffer of an owner that left the library until it is collected: from now on it
// holds every range retired while it lives.
void HoldOwner(napi_env env, MapState* s, napi_value owner_ab) {
  auto* hold = new OwnerHold(s);
  s->holds.push_back(hold);
  s->live_buffers++;
  if (napi_add_finalizer(env, owner_ab, hold, FinalizeOwnerHold, nullptr, nullptr) != napi_ok) {
    // Without its finalizer the hold is never dropped: what it holds stays retired for the state's
    // life, and so does the state. Safe; the failure itself (out of memory) is not reported.
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
}

Retired* CollectHolders(napi_env env, MapState* s, uint8_t* base, size_t len, bool exposed, napi_value owner_ab) {
  auto* r = new Retired{base, len, s->releases};
  if (exposed && owner_ab != nullptr) HoldOwner(env, s, owner_ab);
  auto count = [r](Holder* h) {
    h->ranges.push_back(r);
    r->holders++;
  };
  for (ViewRecord* rec : s->views) count(rec);
  for (OwnerHold* hold : s->holds) count(hold);
  return r;
}

// The ArrayBuffer of the owner JavaScript handed back, after checking that it is this mapping's
// (nullptr for an External owner: an empty or oversized mapping).
napi_value OwnerArrayBuffer(Napi::Env env, MapState* s, const Napi::Value& owner) {
  if (!owner.IsTypedArray()) return nullptr;
  napi_value ab;
  void* data = nullptr;
  size_t length = 0;
  NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, owner, nullptr, &length, &data, &ab, nullptr), nullptr);
  if (data != nullptr && data != s->region.data()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_VALUE", "The \"owner\" argument is not this mapping's buffer");
  }
  return ab;
}

// An owner that never left the library has no user of its pointer, and its range may be unmapped
// outright: it is detached, so that the binding stays safe when called directly with exposed false
// while still holding the owner. An exposed owner is never detached (see Lifetime above).
void DetachUnexposed(napi_env env, napi_value owner_ab, bool exposed) {
  if (!exposed && owner_ab != nullptr) napi_detach_arraybuffer(env, owner_ab);
}

// ---- the mapping's functions ----

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
  state->releases = QueueFor(env);
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

  // arrayBuffer(offset, length): an ArrayBuffer over mapped bytes (over the placeholder after unmap()).
  Napi::Value ArrayBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
    const sys::Region& r = Live(env);
    Range(env, off, len);
    if (len == 0) return Napi::ArrayBuffer::New(env, 0);
    auto* rec = new ViewRecord{state_, nullptr};
    napi_value ab;
    // No finalizer on the buffer itself: one weak reference with a finalizer (napi_add_finalizer)
    // tells when it is collected.
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

  // resize(newLength, mayMove, owner, bufferMax, exposed) -> new owner: mremap. The old owner and
  // every view vended before keep their address and length (lib/ treats them as stale); the old
  // owner's finalizer still runs, as for any view. When one of them may be reachable (exposed: the
  // owner left the library; or a view is alive), the range the mapping leaves (a shrunk tail, the
  // old place of a moved mapping) is retired.
  Napi::Value Resize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    uint64_t n = U64(info, 1, "length");
    uint64_t buffer_max = U64(info, 4, "bufferMax");
    bool exposed = Bool(info, 5);
    if (state_->region.base == nullptr) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "An empty mapping cannot be resized; map again instead");
    }
    if (state_->pins > 0) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_BUSY", "The mapping cannot be resized while an asynchronous sync is in flight");
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

  // unmap(owner, exposed) -> whether this call unmapped: retires the range (see Lifetime above) or, with no holder, unmaps it; at once, or when the last
  // asynchronous operation using the mapping finishes. exposed: the owner Buffer left the library.
  Napi::Value Unmap(const Napi::CallbackInfo& info) {
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
