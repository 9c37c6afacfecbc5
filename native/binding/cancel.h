// The cancel token of asynchronous jobs (cancelToken / cancelJob, csv_async.cc): a shared flag the
// job checks between its blocks, held by the JavaScript token and by every job given it.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>

namespace mmapkit {

using CancelFlag = std::shared_ptr<std::atomic<bool>>;

// The flag behind a token from cancelToken(); a TypeError (ERR_INVALID_ARG_TYPE) for anything else.
CancelFlag* TokenOf(Napi::Env env, Napi::Value v);

}  // namespace mmapkit
