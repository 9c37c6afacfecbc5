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
//
// Files. This one holds mapNew and the exports; map_state.h the state and its bookkeeping
// (map_lifetime.cc: the id table, the owner, retired ranges); map_ops.h the functions that take an
// id (map_ops.cc: the ranged syscalls and mapArrayBuffer; map_io.cc: copies, resize, unmap).
#include <sys/mman.h>

#include <memory>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/map_budget.h"
#include "binding/map_ops.h"
#include "binding/map_state.h"
#include "binding/module.h"
#include "sys/mmap.h"

namespace mmapkit::maps {
namespace {

using args::Bool;
using args::ElementSize;
using args::Int;
using args::U64;

// Where mapNew writes the id: out[0] of a Float64Array.
double* IdOut(Napi::Env env, const Napi::Value& out) {
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type;
  if (!out.IsTypedArray() || napi_get_typedarray_info(env, out, &type, &length, &data, nullptr, nullptr) != napi_ok ||
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
  exports.Set("mapRangeAsync", Napi::Function::New(env, Dispatch<&Ops::RangeAsync>, "mapRangeAsync"));
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
}  // namespace mmapkit::maps
