// The state behind a mapping id, shared by the files of the mapping binding: mapping.cc (mapNew,
// the exports), map_lifetime.cc (the id table, the owner, retired ranges and their release),
// map_ops.cc (the ranged syscalls) and map_io.cc (copies, resize, unmap). See mapping.cc,
// "Lifetime", for how a mapping and the ranges it leaves are freed.
#pragma once
#include <napi.h>

#include <cstdint>
#include <list>
#include <mutex>
#include <utility>
#include <vector>

#include "sys/mmap.h"

namespace mmapkit::maps {

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
  bool unmapped = false;  // the region is no longer this state's to unmap (munmap done, retired, or empty)
  bool closing = false;   // unmap() was called: no new views
  int live_buffers = 0;   // owners, views and retired owners whose finalizer has not run
  int pins = 0;           // asynchronous operations in flight
  ReleaseQueue* releases = nullptr;
  Retired* pending = nullptr;  // unmap()'s retirement, armed when the last pin goes
  // msyncs running on pool threads, and whether the last one to end retires `pending` there: at
  // once after the msync, before the thread can run another job that writes through the pointer.
  std::mutex sync_mutex;
  int syncing = 0;
  bool retire_after_sync = false;
  std::list<ViewRecord*> views;  // vended ArrayBuffers (not owners) not finalized yet
  std::list<OwnerHold*> holds;   // replaced owners that left the library, not collected yet
};

// ---- the id table (map_lifetime.cc) ----

// Enters s in the table and sets s->id (at most 2^53: generations wrap below 2^29).
void AddToTable(MapState* s);
void RemoveFromTable(MapState* s);
// The state behind an id, or nullptr when the id is not a live mapping of this environment.
MapState* Lookup(napi_env env, double id);

// ---- lifetime (map_lifetime.cc) ----

// munmap of the state's region, once.
void DoUnmap(MapState* s);
// This environment's release queue (nullptr if it could not be made: ranges then go at once).
ReleaseQueue* QueueFor(napi_env env);
// Retires r's range now that nothing asynchronous of ours uses it (or unmaps it without holders).
void ArmRetired(Retired* r);
// A new Retired over [base, base + len) whose holders are the live views and the replaced owners
// that left the library, `owner_ab` (the current owner's ArrayBuffer) included when exposed.
Retired* CollectHolders(napi_env env, MapState* s, uint8_t* base, size_t len, bool exposed, napi_value owner_ab);
// Tracks the ArrayBuffer of an owner that left the library until it is collected.
void HoldOwner(napi_env env, MapState* s, napi_value owner_ab);
// Ends an unmap() once no asynchronous operation is in flight.
void FinishUnmap(MapState* s);
// Frees the state once no buffer over it and no operation is left.
void MaybeFree(MapState* s);
// The finalizer of a view made by mapArrayBuffer (its hint: the ViewRecord).
void FinalizeView(napi_env env, void* data, void* hint);
// The ArrayBuffer of the owner JavaScript handed back, after checking that it is this mapping's
// (nullptr for an External owner: an empty or oversized mapping).
napi_value OwnerArrayBuffer(Napi::Env env, MapState* s, const Napi::Value& owner);
// Detaches an owner that never left the library (see map_lifetime.cc).
void DetachUnexposed(napi_env env, napi_value owner_ab, bool exposed);
// Creates the owner over the whole mapping (an external Buffer, or an External).
Napi::Value NewOwner(Napi::Env env, MapState* s, uint64_t buffer_max);

}  // namespace mmapkit::maps
