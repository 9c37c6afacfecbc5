// The ranged syscalls of a mapping (msync, madvise, mprotect, mlock, mincore) and mapArrayBuffer;
// see binding/map_ops.h.
#include <sys/mman.h>

#include <cerrno>
#include <csignal>
#include <mutex>
#include <string>

#include "binding/args.h"
#include "binding/cancel.h"
#include "binding/errors.h"
#include "binding/futex_waits.h"
#include "binding/map_budget.h"
#include "binding/map_ops.h"
#include "binding/map_state.h"
#include "sys/mmap.h"

namespace mmapkit::maps {

using args::Bool;
using args::ElementSize;
using args::Int;
using args::U64;

namespace {

// What a RangeWorker runs on the libuv pool.
enum class RangeJob { kSync = 0, kAdvise = 1, kLock = 2, kPopulate = 3 };

// Long jobs (lock, populate) go in steps of this many bytes, the cancel flag checked between them.
constexpr size_t kRangeStep = size_t{64} << 20;

// A ranged syscall on a worker thread (msync, madvise, mlock, populate). While it runs the mapping
// is pinned: unmap() leaves the real mapping in place for it (retire_after_sync), and the last job
// to end retires it there, before its pool thread can run another job that writes through the
// pointer.
class RangeWorker : public Napi::AsyncWorker {
 public:
  RangeWorker(Napi::Env env, MapState* s, RangeJob job, size_t off, size_t len, int arg, CancelFlag cancel)
      : Napi::AsyncWorker(env, "mmapkit:range"),
        deferred_(Napi::Promise::Deferred::New(env)),
        s_(s),
        job_(job),
        off_(off),
        len_(len),
        arg_(arg),
        cancel_(std::move(cancel)) {
    s_->pins++;
    std::lock_guard<std::mutex> lock(s_->sync_mutex);
    s_->syncing++;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    Run();
    // unmap() came while this job ran: the last one to end puts the placeholder in at once.
    // (pending, its range and placed are only touched under the mutex while retire_after_sync.)
    std::lock_guard<std::mutex> lock(s_->sync_mutex);
    if (--s_->syncing == 0 && s_->retire_after_sync) {
      s_->retire_after_sync = false;
      sys::Retire(s_->pending->base, s_->pending->len);
      s_->pending->placed = true;
    }
  }
  void OnOK() override {
    Release();
    Napi::Env env = Env();
    if (fault_ != 0) {
      // A touch knows the faulting byte; madvise only the step that failed.
      const std::string where = step_end_ > at_ ? "bytes " + std::to_string(at_) + " to " + std::to_string(step_end_)
                                                : "byte " + std::to_string(at_);
      deferred_.Reject(
          UsageError(env, "Error", fault_ == SIGBUS ? "ERR_MMAPKIT_SIGBUS" : "ERR_MMAPKIT_PROTECTED",
                     fault_ == SIGBUS
                         ? "SIGBUS while populating " + where +
                               " of the mapping: the file is shorter than its mapping (was it truncated?)"
                         : "SIGSEGV while populating " + where + " of the mapping: the page cannot be read")
              .Value());
    } else if (err_ != 0) {
      deferred_.Reject(SystemError(env, err_, syscall_).Value());
    } else if (cancelled_) {
      deferred_.Reject(UsageError(env, "Error", "ABORT_ERR", "The operation was aborted").Value());
    } else {
      deferred_.Resolve(env.Undefined());
    }
  }
  void OnError(const Napi::Error& e) override {
    Release();
    deferred_.Reject(e.Value());
  }

 private:
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  void Run() {
    const sys::Region& r = s_->region;
    switch (job_) {
      case RangeJob::kSync:
        syscall_ = "msync";
        err_ = sys::Sync(r, off_, len_, arg_);
        return;
      case RangeJob::kAdvise:
        syscall_ = "madvise";
        err_ = sys::Advise(r, off_, len_, arg_);
        return;
      case RangeJob::kLock:
        syscall_ = arg_ != 0 ? "mlock2" : "mlock";
        Steps([&](size_t o, size_t n) { return sys::Lock(r, o, n, arg_ != 0); });
        // Cancelled or failed part-way: nothing stays locked that the caller did not get.
        if ((err_ != 0 || cancelled_) && at_ > off_) sys::Unlock(r, off_, at_ - off_);
        return;
      case RangeJob::kPopulate: {
        // arg: the MADV_POPULATE_READ / _WRITE value, or -1 to read one byte per page instead.
        syscall_ = "madvise";
        bool touch = arg_ < 0;
        Steps([&](size_t o, size_t n) {
          if (!touch) {
            int e = sys::Advise(r, o, n, arg_);
            if (e != EINVAL || o != off_) return e;
            touch = true;  // a kernel before 5.14: no MADV_POPULATE_*; read the pages instead
          }
          void* fault = nullptr;
          int sig = sys::TouchPages(r, o, n, &fault);
          if (sig != 0) {
            fault_ = sig;
            at_ = static_cast<size_t>(static_cast<uint8_t*>(fault) - r.data());
            return -1;
          }
          return 0;
        });
        // madvise's EFAULT: populating the step would have raised SIGBUS (a truncated file).
        if (err_ == EFAULT) {
          err_ = 0;
          fault_ = SIGBUS;
          step_end_ = at_ + (off_ + len_ - at_ < kRangeStep ? off_ + len_ - at_ : kRangeStep);
        }
        return;
      }
    }
  }

  // Runs fn over [off_, off_ + len_) in kRangeStep pieces; at_ ends where it stopped.
  template <class Fn>
  void Steps(Fn fn) {
    at_ = off_;
    const size_t end = off_ + len_;
    while (at_ < end) {
      if (Cancelled()) {
        cancelled_ = true;
        return;
      }
      const size_t n = end - at_ < kRangeStep ? end - at_ : kRangeStep;
      int e = fn(at_, n);
      if (e != 0) {
        if (e > 0) err_ = e;
        return;
      }
      at_ += n;
    }
  }

  void Release() {
    s_->pins--;
    FinishUnmap(s_);
    MaybeFree(s_);
  }
  Napi::Promise::Deferred deferred_;
  MapState* s_;
  RangeJob job_;
  size_t off_, len_;
  int arg_;
  CancelFlag cancel_;
  const char* syscall_ = "msync";
  int err_ = 0;
  int fault_ = 0;
  size_t at_ = 0;
  size_t step_end_ = 0;  // a failed madvise step: [at_, step_end_)
  bool cancelled_ = false;
};

}  // namespace

const sys::Region& Ops::Live(Napi::Env env) {
  if (state_->closing) ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The mapping has been unmapped");
  return state_->region;
}

void Ops::Range(Napi::Env env, uint64_t off, uint64_t len) {
  uint64_t n = state_->region.length;
  if (off > n || len > n - off) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                    "The range " + std::to_string(off) + "+" + std::to_string(len) + " is outside the mapping of " +
                        std::to_string(n) + " bytes");
  }
}

Napi::Value Ops::ArrayBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  const sys::Region& r = Live(env);
  Range(env, off, len);
  if (len == 0) return Napi::ArrayBuffer::New(env, 0);
  auto* rec = new ViewRecord{state_, nullptr};
  napi_value ab;
  // No finalizer on the buffer itself: one weak reference with a finalizer (napi_add_finalizer)
  // tells when it is collected.
  napi_status st =
      napi_create_external_arraybuffer(env, r.data() + off, static_cast<size_t>(len), nullptr, nullptr, &ab);
  if (st != napi_ok) {
    delete rec;
    if (st == napi_no_external_buffers_allowed) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_EXTERNAL_BUFFERS",
                      "This JavaScript runtime refuses external ArrayBuffers (Electron, or Node built with "
                      "the V8 sandbox), so mmapkit cannot give a zero-copy view of mapped memory here; "
                      "use mapping.read() and mapping.write() to copy bytes instead");
    }
    // An exception may be pending (for example a failed allocation); surface it.
    Napi::Error e = env.GetAndClearPendingException();
    if (!e.IsEmpty()) throw e;
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_EXTERNAL_BUFFERS", "Could not create an ArrayBuffer over the mapping");
  }
  if (napi_add_finalizer(env, ab, nullptr, FinalizeView, rec, &rec->ref) != napi_ok) {
    delete rec;
    Napi::Error e = env.GetAndClearPendingException();
    if (!e.IsEmpty()) throw e;
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_EXTERNAL_BUFFERS", "Could not track an ArrayBuffer over the mapping");
  }
  state_->views.push_back(rec);
  state_->live_buffers++;
  return Napi::Value(env, ab);
}

Napi::Value Ops::Sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  int err = sys::Sync(r, off, len, Int(info, 3, "flags"));
  if (err != 0) ThrowSystemError(env, err, "msync");
  return env.Undefined();
}

Napi::Value Ops::SyncAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  auto* w = new RangeWorker(env, state_, RangeJob::kSync, off, len, Int(info, 3, "flags"), nullptr);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Ops::RangeAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  const int job = Int(info, 3, "job");
  if (job < 0 || job > 3) ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "job must be 0 to 3");
  const int arg = Int(info, 4, "arg");
  CancelFlag cancel = info[5].IsUndefined() || info[5].IsNull() ? nullptr : *TokenOf(env, info[5]);
  auto* w = new RangeWorker(env, state_, static_cast<RangeJob>(job), off, len, arg, std::move(cancel));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Ops::Advise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  int err = sys::Advise(r, off, len, Int(info, 3, "advice"));
  if (err != 0) ThrowSystemError(env, err, "madvise");
  return env.Undefined();
}

Napi::Value Ops::Protect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  int err = sys::Protect(r, off, len, Int(info, 3, "prot"));
  if (err != 0) ThrowSystemError(env, err, "mprotect");
  return env.Undefined();
}

Napi::Value Ops::Lock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  bool on_fault = Bool(info, 3);
  int err = sys::Lock(r, off, len, on_fault);
  if (err != 0) ThrowSystemError(env, err, on_fault ? "mlock2" : "mlock");
  return env.Undefined();
}

Napi::Value Ops::Unlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::Region& r = Live(env);
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Range(env, off, len);
  int err = sys::Unlock(r, off, len);
  if (err != 0) ThrowSystemError(env, err, "munlock");
  return env.Undefined();
}

Napi::Value Ops::Residency(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = U64(info, 1, "offset"), len = U64(info, 2, "length");
  Live(env);
  Range(env, off, len);
  size_t pages = len == 0 ? 0 : sys::PagesIn(state_->region, off, len);
  Napi::Uint8Array vec = Napi::Uint8Array::New(env, pages);
  // mincore reads no mapped byte; the state is checked again after the allocation all the same.
  const sys::Region& r = Live(env);
  Range(env, off, len);
  if (pages > 0) {
    int err = sys::Residency(r, off, len, vec.Data());
    if (err != 0) ThrowSystemError(env, err, "mincore");
  }
  return vec;
}

}  // namespace mmapkit::maps
