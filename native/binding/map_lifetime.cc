// The mapping binding's bookkeeping: the id table, the owner Buffer, the release queue, and the
// retired ranges with the JavaScript objects that hold them (see mapping.cc, "Lifetime").
#include <algorithm>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "binding/errors.h"
#include "binding/map_budget.h"
#include "binding/map_state.h"
#include "sys/mmap.h"

namespace mmapkit::maps {

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
    } else if (!q->scheduled && napi_call_threadsafe_function(q->flush, nullptr, napi_tsfn_nonblocking) == napi_ok) {
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

}  // namespace mmapkit::maps
