// Node-API binding of the mapping syscalls: a MappingHandle per mapping, the file, shared-memory
// and futex functions. Arguments arrive validated by lib/mapping.ts and lib/shm.ts; this file only
// re-checks their types, converts them and reports errno values through binding/errors.h.
//
// Lifetime. A mapping's state lives until its handle and every ArrayBuffer vended over it are gone,
// and until no asynchronous operation is still using it, so a live view keeps its mapping alive.
// An explicit unmap() first detaches every vended ArrayBuffer (JavaScript then sees length 0, never
// freed memory) and only then calls munmap.
#include <sys/mman.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <cmath>
#include <list>
#include <string>

#include "binding/errors.h"
#include "binding/module.h"
#include "sys/mapping.h"

namespace mmapkit {
namespace {

struct MapState;

struct ViewRecord {
  MapState* state;
  napi_ref ref;
};

struct MapState {
  sys::Region region;
  bool unmapped = false;      // munmap has been done (or there was nothing to map)
  bool closing = false;       // unmap() was called: no new views, views detached
  bool handle_alive = true;   // the MappingHandle object still exists
  int live_views = 0;         // vended ArrayBuffers whose finalizer has not run
  int pins = 0;               // asynchronous operations in flight
  std::list<ViewRecord*> views;
};

void FinishUnmap(MapState* s) {
  if (s->closing && !s->unmapped && s->pins == 0) {
    sys::Unmap(s->region);
    s->unmapped = true;
  }
}

void MaybeFree(MapState* s) {
  if (s->handle_alive || s->live_views > 0 || s->pins > 0) return;
  if (!s->unmapped) sys::Unmap(s->region);
  delete s;
}

void FinalizeView(napi_env env, void* /*data*/, void* hint) {
  auto* rec = static_cast<ViewRecord*>(hint);
  MapState* s = rec->state;
  s->views.remove(rec);
  napi_delete_reference(env, rec->ref);
  delete rec;
  s->live_views--;
  MaybeFree(s);
}

void DetachViews(napi_env env, MapState* s) {
  for (ViewRecord* rec : s->views) {
    napi_value ab = nullptr;
    if (napi_get_reference_value(env, rec->ref, &ab) == napi_ok && ab != nullptr) {
      napi_detach_arraybuffer(env, ab);
    }
  }
}

// ---- argument conversion (types were validated in lib/; these re-checks guard direct use) ----

double Num(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    ThrowUsageError(info.Env(), "TypeError", "ERR_INVALID_ARG_TYPE",
                    std::string("The \"") + name + "\" argument must be of type number");
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

uint64_t U64(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = Num(info, i, name);
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d) {
    ThrowUsageError(info.Env(), "RangeError", "ERR_OUT_OF_RANGE",
                    std::string("The value of \"") + name + "\" is out of range. It must be a non-negative safe integer");
  }
  return static_cast<uint64_t>(d);
}

int Int(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = Num(info, i, name);
  if (std::floor(d) != d || d < INT_MIN || d > INT_MAX) {
    ThrowUsageError(info.Env(), "RangeError", "ERR_OUT_OF_RANGE",
                    std::string("The value of \"") + name + "\" is out of range. It must be a 32-bit integer");
  }
  return static_cast<int>(d);
}

bool Bool(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() && info[i].ToBoolean().Value(); }

std::string Str(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString()) {
    ThrowUsageError(info.Env(), "TypeError", "ERR_INVALID_ARG_TYPE",
                    std::string("The \"") + name + "\" argument must be of type string");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

[[noreturn]] void ThrowSigbus(Napi::Env env, void* addr, const char* what) {
  char buf[160];
  snprintf(buf, sizeof buf,
           "SIGBUS at address %p during %s: the mapped file is shorter than the mapping (was it truncated?)",
           addr, what);
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_SIGBUS", buf);
}

// ---- MappingHandle ----

class MappingHandle : public Napi::ObjectWrap<MappingHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MappingHandle",
                       {
                           InstanceMethod<&MappingHandle::ArrayBuffer>("arrayBuffer"),
                           InstanceMethod<&MappingHandle::Sync>("sync"),
                           InstanceMethod<&MappingHandle::SyncAsync>("syncAsync"),
                           InstanceMethod<&MappingHandle::Advise>("advise"),
                           InstanceMethod<&MappingHandle::Protect>("protect"),
                           InstanceMethod<&MappingHandle::Lock>("lock"),
                           InstanceMethod<&MappingHandle::Unlock>("unlock"),
                           InstanceMethod<&MappingHandle::Residency>("residency"),
                           InstanceMethod<&MappingHandle::Resize>("resize"),
                           InstanceMethod<&MappingHandle::Read>("read"),
                           InstanceMethod<&MappingHandle::Write>("write"),
                           InstanceMethod<&MappingHandle::Touch>("touch"),
                           InstanceMethod<&MappingHandle::Unmap>("unmap"),
                           InstanceMethod<&MappingHandle::Address>("address"),
                       });
  }

  // new MappingHandle(fd, offset, length, prot, shared, populate, noReserve, hugetlb)
  explicit MappingHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MappingHandle>(info) {
    state_ = new MapState();
    sys::MapRequest req;
    req.fd = Int(info, 0, "fd");
    req.offset = U64(info, 1, "offset");
    req.length = U64(info, 2, "length");
    req.prot = Int(info, 3, "prot");
    req.shared = Bool(info, 4);
    req.populate = Bool(info, 5);
    req.no_reserve = Bool(info, 6);
    req.hugetlb = Bool(info, 7);
    if (req.length == 0) {
      state_->unmapped = true;  // an empty mapping: nothing to map
      return;
    }
    int err = sys::Map(req, &state_->region);
    if (err != 0) {
      state_->unmapped = true;
      ThrowSystemError(info.Env(), err, "mmap");
    }
  }

  ~MappingHandle() override {
    state_->handle_alive = false;
    MaybeFree(state_);
  }

 private:
  const sys::Region& Live(Napi::Env env) {
    if (state_->closing) ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The mapping has been unmapped");
    return state_->region;
  }

  // Checks [off, off + len) lies inside the mapping (overflow-safe).
  void Range(Napi::Env env, uint64_t off, uint64_t len) {
    uint64_t n = state_->region.length;
    if (off > n || len > n - off) {
      ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                      "The range " + std::to_string(off) + "+" + std::to_string(len) +
                          " is outside the mapping of " + std::to_string(n) + " bytes");
    }
  }

  // arrayBuffer(offset, length): an ArrayBuffer over mapped bytes, detached by unmap().
  Napi::Value ArrayBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    if (len == 0) return Napi::ArrayBuffer::New(env, 0);
    auto* rec = new ViewRecord{state_, nullptr};
    napi_value ab;
    napi_status st = napi_create_external_arraybuffer(env, r.data() + off, static_cast<size_t>(len),
                                                      FinalizeView, rec, &ab);
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
    napi_create_reference(env, ab, 0, &rec->ref);
    state_->views.push_back(rec);
    state_->live_views++;
    return Napi::Value(env, ab);
  }

  Napi::Value Sync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    int err = sys::Sync(r, off, len, Int(info, 2, "flags"));
    if (err != 0) ThrowSystemError(env, err, "msync");
    return env.Undefined();
  }

  class SyncWorker : public Napi::AsyncWorker {
   public:
    SyncWorker(Napi::Env env, MapState* s, size_t off, size_t len, int flags)
        : Napi::AsyncWorker(env, "mmapkit:msync"), deferred_(Napi::Promise::Deferred::New(env)), s_(s),
          off_(off), len_(len), flags_(flags) {
      s_->pins++;
    }
    Napi::Promise Promise() { return deferred_.Promise(); }
    void Execute() override { err_ = sys::Sync(s_->region, off_, len_, flags_); }
    void OnOK() override {
      Release();
      if (err_ != 0) {
        deferred_.Reject(SystemError(Env(), err_, "msync").Value());
      } else {
        deferred_.Resolve(Env().Undefined());
      }
    }
    void OnError(const Napi::Error& e) override {
      Release();
      deferred_.Reject(e.Value());
    }

   private:
    void Release() {
      s_->pins--;
      FinishUnmap(s_);
      MaybeFree(s_);
    }
    Napi::Promise::Deferred deferred_;
    MapState* s_;
    size_t off_, len_;
    int flags_;
    int err_ = 0;
  };

  Napi::Value SyncAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    auto* w = new SyncWorker(env, state_, off, len, Int(info, 2, "flags"));
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

  Napi::Value Advise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    int err = sys::Advise(r, off, len, Int(info, 2, "advice"));
    if (err != 0) ThrowSystemError(env, err, "madvise");
    return env.Undefined();
  }

  Napi::Value Protect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    int err = sys::Protect(r, off, len, Int(info, 2, "prot"));
    if (err != 0) ThrowSystemError(env, err, "mprotect");
    return env.Undefined();
  }

  Napi::Value Lock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    bool on_fault = Bool(info, 2);
    int err = sys::Lock(r, off, len, on_fault);
    if (err != 0) ThrowSystemError(env, err, on_fault ? "mlock2" : "mlock");
    return env.Undefined();
  }

  Napi::Value Unlock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    int err = sys::Unlock(r, off, len);
    if (err != 0) ThrowSystemError(env, err, "munlock");
    return env.Undefined();
  }

  // residency(offset, length) → Uint8Array, one byte (0 or 1) per page of the widened range.
  Napi::Value Residency(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    size_t pages = len == 0 ? 0 : sys::PagesIn(r, off, len);
    Napi::Uint8Array vec = Napi::Uint8Array::New(env, pages);
    if (pages > 0) {
      int err = sys::Residency(r, off, len, vec.Data());
      if (err != 0) ThrowSystemError(env, err, "mincore");
    }
    return vec;
  }

  // resize(newLength, mayMove): mremap. Every view vended before is detached, moved or not.
  Napi::Value Resize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    uint64_t n = U64(info, 0, "length");
    if (state_->region.base == nullptr) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "An empty mapping cannot be resized; map again instead");
    }
    if (state_->pins > 0) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_BUSY", "The mapping cannot be resized while an asynchronous sync is in flight");
    }
    int err = sys::Resize(&state_->region, n, Bool(info, 1));
    if (err != 0) ThrowSystemError(env, err, "mremap");
    DetachViews(env, state_);
    return Napi::Boolean::New(env, true);
  }

  // read(offset, length) → a Buffer holding a copy; a SIGBUS becomes ERR_MMAPKIT_SIGBUS.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, len);
    void* fault = nullptr;
    int err = len == 0 ? 0 : sys::CopyOut(r, off, len, out.Data(), &fault);
    if (err == SIGBUS) ThrowSigbus(env, fault, "read()");
    if (err != 0) ThrowSystemError(env, err, "sigaction");
    return out;
  }

  // write(offset, typedArray) → bytes written; a SIGBUS becomes ERR_MMAPKIT_SIGBUS.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset");
    if (info.Length() < 2 || !info[1].IsTypedArray()) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"data\" argument must be a TypedArray or Buffer");
    }
    Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
    const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    uint64_t len = ta.ByteLength();
    Range(env, off, len);
    void* fault = nullptr;
    int err = len == 0 ? 0 : sys::CopyIn(r, off, len, src, &fault);
    if (err == SIGBUS) ThrowSigbus(env, fault, "write()");
    if (err != 0) ThrowSystemError(env, err, "sigaction");
    return Napi::Number::New(env, static_cast<double>(len));
  }

  Napi::Value Touch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const sys::Region& r = Live(env);
    uint64_t off = U64(info, 0, "offset"), len = U64(info, 1, "length");
    Range(env, off, len);
    void* fault = nullptr;
    int err = sys::TouchPages(r, off, len, &fault);
    if (err == SIGBUS) ThrowSigbus(env, fault, "touch()");
    if (err != 0) ThrowSystemError(env, err, "sigaction");
    return env.Undefined();
  }

  Napi::Value Unmap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (state_->closing) return Napi::Boolean::New(env, false);
    DetachViews(env, state_);
    state_->closing = true;
    FinishUnmap(state_);
    return Napi::Boolean::New(env, true);
  }

  Napi::Value Address(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(state_->region.data())));
  }

  MapState* state_;
};

// ---- files ----

Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string path = Str(info, 0, "path");
  int fd;
  int err = sys::OpenFile(path.c_str(), Int(info, 1, "flags"), Int(info, 2, "mode"), &fd);
  if (err != 0) ThrowSystemError(info.Env(), err, "open", path);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int err = sys::CloseFd(Int(info, 0, "fd"));
  if (err != 0 && err != EINTR) ThrowSystemError(info.Env(), err, "close");
  return info.Env().Undefined();
}

Napi::Value FileSize(const Napi::CallbackInfo& info) {
  uint64_t size;
  int err = sys::FileSize(Int(info, 0, "fd"), &size);
  if (err != 0) ThrowSystemError(info.Env(), err, "fstat");
  return Napi::Number::New(info.Env(), static_cast<double>(size));
}

Napi::Value Ftruncate(const Napi::CallbackInfo& info) {
  int err = sys::Truncate(Int(info, 0, "fd"), U64(info, 1, "size"));
  if (err != 0) ThrowSystemError(info.Env(), err, "ftruncate");
  return info.Env().Undefined();
}

Napi::Value Evict(const Napi::CallbackInfo& info) {
  int err = sys::Evict(Int(info, 0, "fd"));
  if (err != 0) ThrowSystemError(info.Env(), err, "posix_fadvise");
  return info.Env().Undefined();
}

// fileResidency(fd, size, wantPages) → { pages, resident, vector? }
Napi::Value FileResidency(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = Int(info, 0, "fd");
  uint64_t size = U64(info, 1, "size");
  bool want = Bool(info, 2);
  uint64_t pages = (size + sys::PageSize() - 1) / sys::PageSize(), resident = 0;
  Napi::Object out = Napi::Object::New(env);
  Napi::Uint8Array vec;
  if (want) vec = Napi::Uint8Array::New(env, pages);
  int err = sys::FileResidency(fd, size, want ? vec.Data() : nullptr, &pages, &resident);
  if (err != 0) ThrowSystemError(env, err, err == ENODEV || err == EACCES ? "mmap" : "mincore");
  out.Set("pages", Napi::Number::New(env, static_cast<double>(pages)));
  out.Set("resident", Napi::Number::New(env, static_cast<double>(resident)));
  if (want) out.Set("vector", vec);
  return out;
}

Napi::Value FileTouch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* fault = nullptr;
  int err = sys::FileTouch(Int(info, 0, "fd"), U64(info, 1, "size"), &fault);
  if (err == SIGBUS) ThrowSigbus(env, fault, "touchFile()");
  if (err != 0) ThrowSystemError(env, err, "mmap");
  return env.Undefined();
}

Napi::Value PageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(sys::PageSize()));
}

// ---- shared memory ----

Napi::Value ShmOpen(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 0, "name");
  int fd;
  int err = sys::ShmOpen(name.c_str(), Int(info, 1, "flags"), Int(info, 2, "mode"), &fd);
  if (err != 0) ThrowSystemError(info.Env(), err, "shm_open", name);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value ShmUnlink(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 0, "name");
  int err = sys::ShmUnlink(name.c_str());
  if (err != 0) ThrowSystemError(info.Env(), err, "shm_unlink", name);
  return info.Env().Undefined();
}

Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 0, "name");
  int fd;
  int err = sys::MemfdCreate(name.c_str(), static_cast<unsigned>(Int(info, 1, "flags")), &fd);
  if (err != 0) ThrowSystemError(info.Env(), err, "memfd_create");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value AddSeals(const Napi::CallbackInfo& info) {
  int err = sys::AddSeals(Int(info, 0, "fd"), Int(info, 1, "seals"));
  if (err != 0) ThrowSystemError(info.Env(), err, "fcntl");
  return info.Env().Undefined();
}

Napi::Value GetSeals(const Napi::CallbackInfo& info) {
  int seals = 0;
  int err = sys::GetSeals(Int(info, 0, "fd"), &seals);
  if (err != 0) ThrowSystemError(info.Env(), err, "fcntl");
  return Napi::Number::New(info.Env(), seals);
}

// ---- futex ----

// The 32-bit word at index i of an Int32Array / Uint32Array (checked in lib/shm.ts).
uint32_t* Word(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"array\" argument must be an Int32Array or Uint32Array");
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  napi_typedarray_type t = ta.TypedArrayType();
  if (t != napi_int32_array && t != napi_uint32_array) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"array\" argument must be an Int32Array or Uint32Array");
  }
  uint64_t index = U64(info, 1, "index");
  if (index >= ta.ElementLength()) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "The \"index\" is outside the array");
  }
  return reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset()) + index;
}

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Waits, restarting after EINTR with the time that is left. Returns 0, EAGAIN or ETIMEDOUT.
int WaitLoop(uint32_t* addr, uint32_t expected, int64_t timeout_ns) {
  int64_t deadline = timeout_ns < 0 ? -1 : NowNs() + timeout_ns;
  for (;;) {
    int64_t left = deadline < 0 ? -1 : deadline - NowNs();
    if (deadline >= 0 && left <= 0) return ETIMEDOUT;
    int err = sys::FutexWait(addr, expected, left);
    if (err != EINTR) return err;
  }
}

Napi::Value WaitResult(Napi::Env env, int err) {
  if (err == 0) return Napi::String::New(env, "ok");
  if (err == EAGAIN) return Napi::String::New(env, "not-equal");
  if (err == ETIMEDOUT) return Napi::String::New(env, "timed-out");
  ThrowSystemError(env, err, "futex");
}

// futexWait(array, index, expected, timeoutNs) → 'ok' | 'not-equal' | 'timed-out'
Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  uint32_t* addr = Word(info);
  uint32_t expected = static_cast<uint32_t>(Num(info, 2, "expected"));
  double t = Num(info, 3, "timeout");
  return WaitResult(info.Env(), WaitLoop(addr, expected, t < 0 ? -1 : static_cast<int64_t>(t)));
}

class FutexWorker : public Napi::AsyncWorker {
 public:
  FutexWorker(Napi::Env env, Napi::Object array, uint32_t* addr, uint32_t expected, int64_t timeout)
      : Napi::AsyncWorker(env, "mmapkit:futex"), deferred_(Napi::Promise::Deferred::New(env)),
        array_(Napi::Persistent(array)), addr_(addr), expected_(expected), timeout_(timeout) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { err_ = WaitLoop(addr_, expected_, timeout_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (err_ == 0 || err_ == EAGAIN || err_ == ETIMEDOUT) {
      deferred_.Resolve(WaitResult(env, err_));
    } else {
      deferred_.Reject(SystemError(env, err_, "futex").Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference array_;  // keeps the memory's ArrayBuffer alive while waiting
  uint32_t* addr_;
  uint32_t expected_;
  int64_t timeout_;
  int err_ = 0;
};

Napi::Value FutexWaitAsync(const Napi::CallbackInfo& info) {
  uint32_t* addr = Word(info);
  uint32_t expected = static_cast<uint32_t>(Num(info, 2, "expected"));
  double t = Num(info, 3, "timeout");
  auto* w = new FutexWorker(info.Env(), info[0].As<Napi::Object>(), addr, expected, t < 0 ? -1 : static_cast<int64_t>(t));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  uint32_t* addr = Word(info);
  int woken = 0;
  int err = sys::FutexWake(addr, Int(info, 2, "count"), &woken);
  if (err != 0) ThrowSystemError(info.Env(), err, "futex");
  return Napi::Number::New(info.Env(), woken);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("MappingHandle", MappingHandle::Define(env));
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("fileSize", Napi::Function::New(env, FileSize, "fileSize"));
  exports.Set("ftruncate", Napi::Function::New(env, Ftruncate, "ftruncate"));
  exports.Set("evict", Napi::Function::New(env, Evict, "evict"));
  exports.Set("fileResidency", Napi::Function::New(env, FileResidency, "fileResidency"));
  exports.Set("fileTouch", Napi::Function::New(env, FileTouch, "fileTouch"));
  exports.Set("pageSize", Napi::Function::New(env, PageSize, "pageSize"));
  exports.Set("shmOpen", Napi::Function::New(env, ShmOpen, "shmOpen"));
  exports.Set("shmUnlink", Napi::Function::New(env, ShmUnlink, "shmUnlink"));
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("addSeals", Napi::Function::New(env, AddSeals, "addSeals"));
  exports.Set("getSeals", Napi::Function::New(env, GetSeals, "getSeals"));
  exports.Set("futexWait", Napi::Function::New(env, FutexWait, "futexWait"));
  exports.Set("futexWaitAsync", Napi::Function::New(env, FutexWaitAsync, "futexWaitAsync"));
  exports.Set("futexWake", Napi::Function::New(env, FutexWake, "futexWake"));
}

MMAPKIT_MODULE(Init);

}  // namespace
}  // namespace mmapkit
