// How many mappings of this process are live (mapped and not yet unmapped), across every thread
// and every kind (mappings, register windows). Finalizers of unreachable objects run only when
// the event loop turns, so a synchronous loop that maps without unmapping could exhaust
// vm.max_map_count, after which V8 itself cannot get memory and aborts the process. New mappings
// are refused with ERR_MMAPKIT_TOO_MANY_MAPPINGS well before that. A range retired by unmap()
// (a placeholder that waits for the garbage collector) still counts until it is released; past
// the limit the real number of map areas is read, since neighbouring placeholders merge.
#pragma once
#include <napi.h>

namespace mmapkit {

// Counts one more mapping, or throws ERR_MMAPKIT_TOO_MANY_MAPPINGS when at the limit.
void ReserveMapping(Napi::Env env);
// Counts one more map area without a check: a range the process already holds that becomes a
// separate area (the retired tail or old place of a resized mapping).
void CountMapping();
// Gives back a reservation (after munmap, or when the map call failed).
void ReleaseMapping();

}  // namespace mmapkit
