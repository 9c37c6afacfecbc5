// The pending futexWaitAsync() calls of an environment, as the mapping binding needs to see them:
// a mapping about to be unmapped or resized (mremap may move it) ends the waits on its words first
// (binding/futex.cc).
#pragma once
#include <node_api.h>

#include <cstddef>

namespace mmapkit {

// Ends every pending futexWaitAsync() of `env` whose word lies in [begin, begin + length): each
// waiter thread is driven out of its kernel wait by a wake restricted to its own wake bit, and its
// Promise is rejected with ERR_MMAPKIT_CLOSED (or settled with the result it already had, when it
// finished first). Call it on the environment's JavaScript thread while the range is still mapped:
// a thread still asleep on the word once the memory is gone could no longer be reached. Cheap when
// no wait is pending.
void CancelFutexWaits(napi_env env, const void* begin, size_t length);

}  // namespace mmapkit
