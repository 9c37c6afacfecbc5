// Watching a file descriptor for readability on the event loop of the calling thread, for
// lib/fdwatch.ts (UIO interrupts, GPIO edge events): a uv_poll_t on the loop that
// napi_get_uv_event_loop returns, which calls a JavaScript function on that thread each time the
// descriptor is readable. No thread of libuv's pool is held while waiting.
//
// Lifetimes:
// - The watcher polls its own duplicate of the descriptor (F_DUPFD_CLOEXEC), closed by close():
//   the caller closing its descriptor first never leaves the watcher polling a number the process
//   may reuse for another file.
// - The libuv side (struct Watch) lives on the heap until libuv's close callback, which may come
//   after the JavaScript object was collected.
// - While polling, the JavaScript object holds a strong reference to itself (as an active timer
//   stays alive), and with it the callback (a property of the object); paused or closed, it can
//   be collected, and its finalizer closes what is open.
// - An async cleanup hook closes a watcher still open when its environment (the main thread or a
//   worker) shuts down, so no handle outlives the loop.
#include <fcntl.h>
#include <napi.h>
#include <node_api.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

// The few libuv calls used here, declared rather than taken from uv.h: the prebuilt binaries are
// compiled against the Node-API headers alone (which have no uv.h). These are libuv 1.x's stable
// ABI; the poll handle is opaque memory of uv_handle_size(UV_POLL) bytes whose first member is
// libuv's public `void* data`. Node exports these symbols to addons.
extern "C" {
typedef struct uv_handle_s uv_handle_t;
typedef struct uv_poll_s uv_poll_t;
typedef void (*uv_poll_cb)(uv_poll_t* handle, int status, int events);
typedef void (*uv_close_cb)(uv_handle_t* handle);
size_t uv_handle_size(int type);
int uv_poll_init(uv_loop_s* loop, uv_poll_t* handle, int fd);
int uv_poll_start(uv_poll_t* handle, int events, uv_poll_cb cb);
int uv_poll_stop(uv_poll_t* handle);
void uv_close(uv_handle_t* handle, uv_close_cb cb);
void uv_ref(uv_handle_t* handle);
void uv_unref(uv_handle_t* handle);
int uv_has_ref(const uv_handle_t* handle);
}
constexpr int kUvPoll = 8;      // UV_POLL in enum uv_handle_type
constexpr int kUvReadable = 1;  // UV_READABLE in enum uv_poll_event

#include "binding/errors.h"
#include "binding/module.h"

namespace mmapkit {
namespace {

class FdWatcher;

struct Watch {
  uv_poll_t* poll = nullptr;  // malloc'ed, uv_handle_size(UV_POLL) bytes
  napi_env env = nullptr;
  int fd = -1;  // our duplicate; -1 once closed
  napi_async_context context = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  FdWatcher* owner = nullptr;  // null once the JavaScript object let go of it
  bool polling = false;
  bool closing = false;
};

Watch* DataOf(void* handle) { return *static_cast<Watch**>(handle); }
uv_handle_t* Handle(Watch* w) { return reinterpret_cast<uv_handle_t*>(w->poll); }

void OnClosed(uv_handle_t* handle) {
  Watch* w = DataOf(handle);
  std::free(handle);
  // Removing the hook also tells a shutting-down environment that this watcher is done.
  if (w->hook != nullptr) napi_remove_async_cleanup_hook(w->hook);
  delete w;
}

// Stops polling, closes the duplicate descriptor and hands the handle to libuv to close. Safe in
// a finalizer and during shutdown (calls no JavaScript). destroy_context is false during shutdown.
void Shut(Watch* w, bool destroy_context) {
  if (w->closing) return;
  w->closing = true;
  w->polling = false;
  if (w->context != nullptr && destroy_context) napi_async_destroy(w->env, w->context);
  w->context = nullptr;
  // uv_close stops the poll (removes the descriptor from epoll) before the descriptor is closed.
  uv_close(Handle(w), OnClosed);
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;
}

class FdWatcher : public Napi::ObjectWrap<FdWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FdWatcher",
                       {InstanceMethod<&FdWatcher::Start>("start"), InstanceMethod<&FdWatcher::Stop>("stop"),
                        InstanceMethod<&FdWatcher::Close>("close"), InstanceMethod<&FdWatcher::SetRef>("setRef"),
                        InstanceMethod<&FdWatcher::HasRef>("hasRef")});
  }

  // new FdWatcher(fd, callback): callback(status) is called with 0 each time the descriptor is
  // readable, or once with a negative errno when polling fails (polling has then stopped).
  explicit FdWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "FdWatcher expects (fd: number, callback: function)");
    }
    int fd = info[0].As<Napi::Number>().Int32Value();
    uv_loop_s* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED",
                      "This runtime gives native code no libuv event loop to watch a file descriptor on");
    }
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) ThrowSystemError(env, errno, "dup");
    Watch* w = new Watch();
    w->env = env;
    w->fd = dup;
    w->owner = this;
    // uv_poll_init adds the descriptor to epoll once to check that it can be polled (a regular
    // file cannot: EPERM) and sets O_NONBLOCK on the open file. On failure the handle was never
    // registered with the loop, so it can be freed at once.
    w->poll = static_cast<uv_poll_t*>(std::calloc(1, uv_handle_size(kUvPoll)));
    int err = w->poll == nullptr ? -ENOMEM : uv_poll_init(loop, w->poll, dup);
    if (err != 0) {
      close(dup);
      std::free(w->poll);
      delete w;
      ThrowSystemError(env, -err, "epoll_ctl");
    }
    *reinterpret_cast<Watch**>(w->poll) = w;  // the handle's `data`
    // The callback is a property of the object, not a reference of its own: a paused watcher
    // that nobody uses is then garbage, callback and all.
    info.This().As<Napi::Object>().DefineProperty(Napi::PropertyDescriptor::Value("onPoll", info[1], napi_default));
    napi_async_init(env, Napi::Object::New(env), Napi::String::New(env, "mmapkit.FdWatcher"), &w->context);
    napi_add_async_cleanup_hook(env, OnShutdown, w, &w->hook);
    w_ = w;
  }

  ~FdWatcher() override {
    if (w_ != nullptr) {
      w_->owner = nullptr;
      Shut(w_, true);
      w_ = nullptr;
    }
  }

 private:
  static void OnShutdown(napi_async_cleanup_hook_handle, void* arg) {
    Watch* w = static_cast<Watch*>(arg);
    if (w->closing) return;  // its close callback will remove the hook
    if (w->owner != nullptr) w->owner->w_ = nullptr;
    w->owner = nullptr;
    Shut(w, false);
  }

  static void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
    Watch* w = DataOf(handle);
    if (w->closing || w->owner == nullptr) return;
    napi_env env = w->env;
    if (status < 0) {
      // libuv has stopped the handle: drop the self-reference that kept the object alive.
      w->polling = false;
      if (w->owner != nullptr) w->owner->Unref();
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value fn, recv, arg, result;
    napi_value self = w->owner->Value();
    napi_valuetype type = napi_undefined;
    if (napi_get_named_property(env, self, "onPoll", &fn) == napi_ok && napi_typeof(env, fn, &type) == napi_ok &&
        type == napi_function && napi_get_global(env, &recv) == napi_ok &&
        napi_create_int32(env, status, &arg) == napi_ok) {
      // make_callback runs the microtasks the callback queued (a resolved promise's reactions).
      napi_status s = napi_make_callback(env, w->context, recv, fn, 1, &arg, &result);
      if (s != napi_ok) {
        // A throwing callback must not take the process down: its exception is dropped here
        // (lib/fdwatch.ts reports it before it gets this far).
        bool pending = false;
        napi_value exc;
        if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
          napi_get_and_clear_last_exception(env, &exc);
      }
    }
    napi_close_handle_scope(env, scope);
  }

  void CheckOpen(Napi::Env env) {
    if (w_ == nullptr) ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The file descriptor watcher is closed");
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    CheckOpen(info.Env());
    if (!w_->polling) {
      int err = uv_poll_start(w_->poll, kUvReadable, OnPoll);
      if (err != 0) ThrowSystemError(info.Env(), -err, "epoll_ctl");
      w_->polling = true;
      Ref();
    }
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (w_ != nullptr && w_->polling) {
      uv_poll_stop(w_->poll);
      w_->polling = false;
      Unref();
    }
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (w_ != nullptr) {
      if (w_->polling) Unref();
      w_->owner = nullptr;
      Shut(w_, true);
      w_ = nullptr;
    }
    return info.Env().Undefined();
  }

  // setRef(bool): whether the watcher keeps the event loop alive while polling.
  Napi::Value SetRef(const Napi::CallbackInfo& info) {
    if (w_ != nullptr) {
      uv_handle_t* h = Handle(w_);
      if (info.Length() > 0 && info[0].ToBoolean().Value()) uv_ref(h);
      else uv_unref(h);
    }
    return info.Env().Undefined();
  }

  Napi::Value HasRef(const Napi::CallbackInfo& info) {
    bool r = w_ != nullptr && uv_has_ref(Handle(w_)) != 0;
    return Napi::Boolean::New(info.Env(), r);
  }

  Watch* w_ = nullptr;
};

void InitFdWatch(Napi::Env env, Napi::Object exports) { exports.Set("FdWatcher", FdWatcher::Define(env)); }

}  // namespace

MMAPKIT_MODULE(InitFdWatch);

}  // namespace mmapkit
