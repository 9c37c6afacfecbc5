// The functions that take a mapping id (mapArrayBuffer, mapSync … mapUnmap): the methods of Ops,
// called through Dispatch (mapping.cc) with the live state of that id. The ranged syscalls are in
// map_ops.cc, copies, resize and unmap in map_io.cc. Arguments arrive validated by lib/mapping.ts;
// every method re-checks the state (Live) and the range (Range: off + len <= length,
// overflow-safe) before the sys/mmap.h call, whose precondition that is.
#pragma once
#include <napi.h>

#include <cstdint>

#include "binding/args.h"
#include "binding/map_state.h"
#include "sys/mmap.h"

namespace mmapkit::maps {

struct Ops {
  const sys::Region& Live(Napi::Env env);

  // Checks [off, off + len) lies inside the mapping (overflow-safe).
  void Range(Napi::Env env, uint64_t off, uint64_t len);

  // arrayBuffer(offset, length): an ArrayBuffer over mapped bytes (over the placeholder after unmap()).
  Napi::Value ArrayBuffer(const Napi::CallbackInfo& info);

  Napi::Value Sync(const Napi::CallbackInfo& info);

  Napi::Value SyncAsync(const Napi::CallbackInfo& info);

  // rangeAsync(offset, length, job, arg, token?) -> Promise: on the libuv pool, the mapping pinned
  // meanwhile. job 0 msync(arg flags), 1 madvise(arg advice), 2 mlock (arg 1: on fault), 3 populate
  // (arg: MADV_POPULATE_READ / _WRITE, or -1 to read one byte per page). Lock and populate go in
  // 64 MiB steps and stop between two when the token (cancelToken()) is cancelled (ABORT_ERR; a
  // cancelled or failed lock unlocks what it had locked). A populate that meets the end of a
  // truncated file rejects with ERR_MMAPKIT_SIGBUS.
  Napi::Value RangeAsync(const Napi::CallbackInfo& info);

  Napi::Value Advise(const Napi::CallbackInfo& info);

  Napi::Value Protect(const Napi::CallbackInfo& info);

  Napi::Value Lock(const Napi::CallbackInfo& info);

  Napi::Value Unlock(const Napi::CallbackInfo& info);

  // residency(offset, length) → Uint8Array, one byte (0 or 1) per page of the widened range.
  Napi::Value Residency(const Napi::CallbackInfo& info);

  // resize(newLength, mayMove, owner, bufferMax, exposed) -> new owner: mremap. The old owner and
  // every view vended before keep their address and length (lib/ treats them as stale); the old
  // owner's finalizer still runs, as for any view. When one of them may be reachable (exposed: the
  // owner left the library; or a view is alive), the range the mapping leaves (a shrunk tail, the
  // old place of a moved mapping) is retired.
  Napi::Value Resize(const Napi::CallbackInfo& info);

  // read(offset, length) → a Buffer holding a copy. Guarded: a SIGBUS becomes ERR_MMAPKIT_SIGBUS,
  // a SIGSEGV (a page protected against reading) ERR_MMAPKIT_PROTECTED.
  Napi::Value Read(const Napi::CallbackInfo& info);

  // write(offset, data) → bytes written; data is a TypedArray, a Buffer or a DataView, read by the
  // engine's own pointer and length (never a user-visible property). Guarded like read(): a page
  // protected against writing gives ERR_MMAPKIT_PROTECTED, and so does a protected source page.
  Napi::Value Write(const Napi::CallbackInfo& info);

  // touch(offset, length, what?) reads one byte of every page of the range, guarded. lib/ also
  // runs it as the probe before a JavaScript loop over mapped bytes; `what` names that loop's
  // function in the error ("csvSum()").
  Napi::Value Touch(const Napi::CallbackInfo& info);

  // Throws the error for a guarded copy or touch that returned err (SIGBUS, SIGSEGV or an errno
  // value). The mapping is the first place looked up for the faulting address, then `more`.
  [[noreturn]] void Fault(Napi::Env env, int err, void* addr, const char* what, const sys::Region& r, int access,
                          const args::FaultSite* more, int nmore);

  // unmap(owner, exposed) -> whether this call unmapped: retires the range (see Lifetime above) or, with no holder,
  // unmaps it; at once, or when the last asynchronous operation using the mapping finishes. exposed: the owner Buffer
  // left the library.
  Napi::Value Unmap(const Napi::CallbackInfo& info);

  Napi::Value Address(const Napi::CallbackInfo& info);

  MapState* state_;
};

}  // namespace mmapkit::maps
