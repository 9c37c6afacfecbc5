// A file-descriptor watcher on Node's own event loop: `new FdWatcher(fd, callback)` calls
// callback(status) on the main thread each time fd is readable (status 0) or polling failed
// (status a negative libuv error), with no thread and no polling loop of its own (a uv_poll_t on
// the loop that napi_get_uv_event_loop returns). close() stops it and is idempotent; ref()/unref()
// decide whether an active watcher keeps the process alive. The watcher never closes fd: close
// the watcher first, then the descriptor. lib/fdwatch.ts is the typed front.
#include <uv.h>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/module.h"

namespace mmapkit {
namespace {

class FdWatcher;

// The libuv handle lives on its own so that it can outlast the JavaScript object until libuv's
// close callback has run.
struct PollHandle {
  uv_poll_t poll;
  FdWatcher* owner;
};

class FdWatcher : public Napi::ObjectWrap<FdWatcher> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(env, "FdWatcher",
                                     {InstanceMethod<&FdWatcher::Close>("close"),
                                      InstanceMethod<&FdWatcher::Ref>("ref"),
                                      InstanceMethod<&FdWatcher::Unref>("unref"),
                                      InstanceAccessor<&FdWatcher::Active>("active")});
    exports.Set("FdWatcher", cls);
  }

  explicit FdWatcher(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<FdWatcher>(info), context_(info.Env(), "mmapkit.FdWatcher") {
    Napi::Env env = info.Env();
    int fd = args::Int(info, 0, "fd");
    if (fd < 0) ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "fd must be a non-negative file descriptor");
    if (info.Length() < 2 || !info[1].IsFunction()) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"callback\" argument must be a function");
    }
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "this runtime gives no libuv event loop to watch a file descriptor on");
    }
    handle_ = new PollHandle();
    handle_->owner = this;
    int r = uv_poll_init(loop, &handle_->poll, fd);
    if (r == 0) r = uv_poll_start(&handle_->poll, UV_READABLE, OnPoll);
    if (r != 0) {
      // uv_poll_init may have registered the handle: close it through libuv either way.
      uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), OnClosed);
      handle_->owner = nullptr;
      handle_ = nullptr;
      ThrowSystemError(env, -r, "uv_poll_start");
    }
  }

  ~FdWatcher() override { Stop(); }

 private:
  static void OnPoll(uv_poll_t* poll, int status, int /*events*/) {
    PollHandle* h = reinterpret_cast<PollHandle*>(poll);
    if (h->owner != nullptr) h->owner->Fire(status);
  }

  static void OnClosed(uv_handle_t* handle) { delete reinterpret_cast<PollHandle*>(handle); }

  void Fire(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    // MakeCallback runs the microtasks queued by the callback (promise reactions of an async
    // iterator) before returning to libuv.
    try {
      callback_.MakeCallback(Value(), {Napi::Number::New(env, status)}, context_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

  void Stop() {
    if (handle_ == nullptr) return;
    handle_->owner = nullptr;
    uv_poll_stop(&handle_->poll);
    // Removes fd from the loop's epoll set at once, so fd may be closed right after.
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), OnClosed);
    handle_ = nullptr;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    callback_.Reset();
    return info.Env().Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&handle_->poll));
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->poll));
    return info.Env().Undefined();
  }

  Napi::Value Active(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), handle_ != nullptr); }

  PollHandle* handle_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::AsyncContext context_;
};

void Init(Napi::Env env, Napi::Object exports) { FdWatcher::Init(env, exports); }

MMAPKIT_MODULE(Init);

}  // namespace
}  // namespace mmapkit
