// A file-descriptor watcher on Node's own event loop: `new FdWatcher(fd, callback)` calls
// callback(status) on the main thread each time fd is readable (status 0) or polling failed
// (status a negative libuv error), with no thread and no polling loop of its own (a uv_poll_t on
// the loop that napi_get_uv_event_loop returns). close() stops it and is idempotent; ref()/unref()
// decide whether an active watcher keeps the process alive. The watcher never closes fd: close
// the watcher first, then the descriptor. lib/fdwatch.ts is the typed front.
//
// The addon is built against the Node-API headers alone (the prebuilt binaries have no uv.h), so
// the few libuv functions used are declared here, weak: they resolve to Node's own libuv when the
// addon loads, and to null in a runtime without libuv, where the watcher refuses with
// ERR_MMAPKIT_UNSUPPORTED instead of failing the whole addon's load. The handle is allocated with
// uv_handle_size(UV_POLL); only its public first field, `void* data`, is touched.
#include <cerrno>
#include <cstdlib>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/module.h"

extern "C" {
struct uv_loop_s;
struct uv_poll_s;
struct uv_handle_s;
typedef void (*mmapkit_uv_poll_cb)(struct uv_poll_s*, int status, int events);
typedef void (*mmapkit_uv_close_cb)(struct uv_handle_s*);
int uv_poll_init(struct uv_loop_s*, struct uv_poll_s*, int fd) __attribute__((weak));
int uv_poll_start(struct uv_poll_s*, int events, mmapkit_uv_poll_cb) __attribute__((weak));
int uv_poll_stop(struct uv_poll_s*) __attribute__((weak));
void uv_close(struct uv_handle_s*, mmapkit_uv_close_cb) __attribute__((weak));
void uv_ref(struct uv_handle_s*) __attribute__((weak));
void uv_unref(struct uv_handle_s*) __attribute__((weak));
size_t uv_handle_size(int type) __attribute__((weak));
}

namespace mmapkit {
namespace {

class FdWatcher;

constexpr int kUvPoll = 8;      // UV_POLL in uv_handle_type
constexpr int kUvReadable = 1;  // UV_READABLE

bool HaveLibuv() {
  return uv_poll_init && uv_poll_start && uv_poll_stop && uv_close && uv_ref && uv_unref && uv_handle_size;
}

// The libuv handle lives on its own so that it can outlast the JavaScript object until libuv's
// close callback has run; its `data` field points here.
struct PollHandle {
  uv_poll_s* poll;
  FdWatcher* owner;
};
uv_handle_s* AsHandle(uv_poll_s* p) { return reinterpret_cast<uv_handle_s*>(p); }

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
    if (!HaveLibuv()) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "this runtime has no libuv event loop to watch a file descriptor on");
    }
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_s* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "this runtime gives no libuv event loop to watch a file descriptor on");
    }
    uv_poll_s* poll = static_cast<uv_poll_s*>(calloc(1, uv_handle_size(kUvPoll)));
    if (poll == nullptr) ThrowSystemError(env, ENOMEM, "uv_poll_init");
    int r = uv_poll_init(loop, poll, fd);
    if (r != 0) {
      free(poll);  // never registered with the loop
      ThrowSystemError(env, -r, "uv_poll_init");
    }
    handle_ = new PollHandle{poll, this};
    *reinterpret_cast<void**>(poll) = handle_;  // uv_handle_t.data
    r = uv_poll_start(poll, kUvReadable, OnPoll);
    if (r != 0) {
      Stop();
      ThrowSystemError(env, -r, "uv_poll_start");
    }
  }

  ~FdWatcher() override { Stop(); }

 private:
  static void OnPoll(uv_poll_s* poll, int status, int /*events*/) {
    PollHandle* h = *reinterpret_cast<PollHandle**>(poll);
    if (h != nullptr && h->owner != nullptr) h->owner->Fire(status);
  }

  static void OnClosed(uv_handle_s* handle) {
    delete *reinterpret_cast<PollHandle**>(handle);
    free(handle);
  }

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
    uv_poll_stop(handle_->poll);
    // Removes fd from the loop's epoll set at once, so fd may be closed right after.
    uv_close(AsHandle(handle_->poll), OnClosed);
    handle_ = nullptr;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    callback_.Reset();
    return info.Env().Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_ref(AsHandle(handle_->poll));
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_unref(AsHandle(handle_->poll));
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
