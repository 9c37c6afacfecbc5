// Register windows: the native half of lib/regs (RegisterWindow). Bounds, alignment, the
// read-only flag and the closed state are checked here, against the window's own numbers, before
// any access; each access is one volatile load or store (native/sys/regs.h) under the SIGBUS guard.
// The checks before each access are in regs_check.cc, the barriers in barriers.cc.
#include <napi.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <memory>
#include <string>

#include "binding/errors.h"
#include "binding/map_budget.h"
#include "binding/module.h"
#include "binding/regs_window.h"
#include "sys/fault_guard.h"
#include "sys/regs.h"

namespace mmapkit::regs {
namespace {

template <class T>
inline T Load(const volatile void* addr) {
  if constexpr (sizeof(T) == 1) return mmapkit_mmio_read8(addr);
  else if constexpr (sizeof(T) == 2) return mmapkit_mmio_read16(addr);
  else if constexpr (sizeof(T) == 4) return mmapkit_mmio_read32(addr);
  else return mmapkit_mmio_read64(addr);
}

template <class T>
inline void Store(volatile void* addr, T value) {
  if constexpr (sizeof(T) == 1) mmapkit_mmio_write8(addr, value);
  else if constexpr (sizeof(T) == 2) mmapkit_mmio_write16(addr, value);
  else if constexpr (sizeof(T) == 4) mmapkit_mmio_write32(addr, value);
  else mmapkit_mmio_write64(addr, value);
}

// Every access runs under the fault guard: a window onto a file truncated after mapping (or a
// device that answers with a bus error) throws ERR_MMAPKIT_SIGBUS, a page that refuses the access
// ERR_MMAPKIT_PROTECTED, instead of killing the process.
template <class T>
T GuardedLoad(Napi::Env env, const WindowState& s, volatile uint8_t* addr) {
  T value = 0;
  sys::FaultInfo f;
  const sys::FaultRange range = WindowRange(s);
  int err = sys::GuardFaults([&] { value = Load<T>(addr); }, &f, &range, 1);
  if (err != 0) ThrowFault(env, s, err, "read", sizeof(T), addr);
  return value;
}

template <class T>
void GuardedStore(Napi::Env env, const WindowState& s, volatile uint8_t* addr, T value) {
  sys::FaultInfo f;
  const sys::FaultRange range = WindowRange(s);
  int err = sys::GuardFaults([&] { Store<T>(addr, value); }, &f, &range, 1);
  if (err != 0) ThrowFault(env, s, err, "write", sizeof(T), addr);
}

template <class T>
Napi::Value Read(const Napi::CallbackInfo& info) {
  WindowState& s = State(info);
  volatile uint8_t* addr = Check(info, s, sizeof(T), false);
  return Napi::Number::New(info.Env(), GuardedLoad<T>(info.Env(), s, addr));
}

Napi::Value Read64(const Napi::CallbackInfo& info) {
  WindowState& s = State(info);
  volatile uint8_t* addr = Check(info, s, 8, false);
  return Napi::BigInt::New(info.Env(), GuardedLoad<uint64_t>(info.Env(), s, addr));
}

template <class T>
Napi::Value Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WindowState& s = State(info);
  volatile uint8_t* addr = Check(info, s, sizeof(T), true);
  constexpr double max = static_cast<double>(static_cast<T>(~T(0)));
  constexpr double min = -(max + 1) / 2;
  if (info.Length() < 2 || !info[1].IsNumber()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"value\" argument must be of type number");
  }
  double v = info[1].As<Napi::Number>().DoubleValue();
  if (!(v >= min && v <= max) || v != std::floor(v)) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                    "The value of \"value\" is out of range. It must be an integer from " + Num(min) + " to " +
                        Num(max) + ". Received " + Num(v));
  }
  T value = v < 0 ? static_cast<T>(static_cast<int64_t>(v)) : static_cast<T>(v);
  GuardedStore<T>(env, s, addr, value);
  return env.Undefined();
}

Napi::Value Write64(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WindowState& s = State(info);
  volatile uint8_t* addr = Check(info, s, 8, true);
  if (info.Length() < 2 || !info[1].IsBigInt()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"value\" argument must be of type bigint");
  }
  Napi::BigInt big = info[1].As<Napi::BigInt>();
  bool lossless = false;
  uint64_t value = big.Uint64Value(&lossless);
  if (!lossless) value = static_cast<uint64_t>(big.Int64Value(&lossless));
  if (!lossless) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                    "The value of \"value\" is out of range. It must be an integer from "
                    "-9223372036854775808n to 18446744073709551615n");
  }
  GuardedStore<uint64_t>(env, s, addr, value);
  return env.Undefined();
}

// readBlock(offset, count, bits): count consecutive registers of `bits` bits into a new typed
// array (Uint8Array, Uint16Array, Uint32Array or BigUint64Array), one volatile load each.
Napi::Value ReadBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WindowState& s = State(info);
  if (s.map.base == nullptr) ThrowClosed(env);
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                    "readBlock(offset: number, count: number, width: number)");
  }
  int bits = info[2].As<Napi::Number>().Int32Value();
  if (bits != 8 && bits != 16 && bits != 32 && bits != 64) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "The access width must be 8, 16, 32 or 64 bits");
  }
  size_t bytes = static_cast<size_t>(bits / 8);
  double c = info[1].As<Napi::Number>().DoubleValue();
  if (!(c >= 0) || c != std::floor(c) || c > static_cast<double>(s.map.length / bytes + 1)) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                    "The value of \"count\" is out of range. It must be a non-negative integer. Received " + Num(c));
  }
  size_t count = static_cast<size_t>(c);
  volatile uint8_t* first = Check(info, s, bytes, false);
  size_t offset = static_cast<size_t>(first - s.map.start);
  if (count > 0 && offset + count * bytes > s.map.length) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                    std::to_string(count) + " registers of " + std::to_string(bits) + " bits at offset " + Hex(offset) +
                        " reach past the end of this " + std::to_string(s.map.length) + "-byte window");
  }
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, count * bytes);
  uint8_t* out = static_cast<uint8_t*>(ab.Data());
  volatile uint8_t* volatile bad = first;  // volatile: read after a siglongjmp
  sys::FaultInfo f;
  const sys::FaultRange range = WindowRange(s);
  int err = sys::GuardFaults(
      [&] {
        for (size_t i = 0; i < count; ++i) {
          volatile uint8_t* p = first + i * bytes;
          bad = p;
          switch (bytes) {
            case 1: out[i] = mmapkit_mmio_read8(p); break;
            case 2: reinterpret_cast<uint16_t*>(out)[i] = mmapkit_mmio_read16(p); break;
            case 4: reinterpret_cast<uint32_t*>(out)[i] = mmapkit_mmio_read32(p); break;
            default: reinterpret_cast<uint64_t*>(out)[i] = mmapkit_mmio_read64(p); break;
          }
        }
      },
      &f, &range, 1);
  if (err != 0) ThrowFault(env, s, err, "read", bytes, bad);
  switch (bytes) {
    case 1: return Napi::Uint8Array::New(env, count, ab, 0);
    case 2: return Napi::Uint16Array::New(env, count, ab, 0);
    case 4: return Napi::Uint32Array::New(env, count, ab, 0);
    default: return Napi::BigUint64Array::New(env, count, ab, 0);
  }
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  WindowState& s = State(info);
  if (s.map.base == nullptr) return info.Env().Undefined();
  int err = sys::UnmapRegisters(&s.map);
  ReleaseMapping();
  if (err != 0) ThrowSystemError(info.Env(), err, "munmap", s.path);
  return info.Env().Undefined();
}

Napi::Value PageOffset(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(State(info).map.page_offset));
}

template <Napi::Function::Callback cb>
void AddMethod(Napi::Env env, Napi::Object target, const char* name, WindowState* state) {
  Napi::Function fn = Napi::Function::New<cb>(env, name, state);
  NAPI_THROW_IF_FAILED_VOID(env, napi_add_finalizer(env, fn, state, ReleaseState, nullptr, nullptr));
  ++state->refs;
  target.Set(name, fn);
}

// regsOpen(path: string, offset: bigint, length: number, writable: boolean, widths: number)
//   -> { read8 … write64, readBlock, close, pageOffset }: functions bound to one mapped window, so
// an access goes straight to its window without unwrapping an object.
Napi::Value RegsOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsString() || !info[1].IsBigInt() || !info[2].IsNumber() || !info[3].IsBoolean() ||
      !info[4].IsNumber()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                    "regsOpen(path: string, offset: bigint, length: number, writable: boolean, widths: number)");
  }
  bool lossless = false;
  uint64_t offset = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  double length = info[2].As<Napi::Number>().DoubleValue();
  if (!lossless || !(length >= 1) || length != std::floor(length) || length > 9007199254740991.0) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "Register window offset or length out of range");
  }
  auto state = std::make_unique<WindowState>();
  state->path = info[0].As<Napi::String>().Utf8Value();
  state->writable = info[3].As<Napi::Boolean>().Value();
  state->widths = info[4].As<Napi::Number>().Uint32Value() & 15u;
  const char* syscall = "mmap";
  ReserveMapping(env);
  int err = sys::MapRegisters(state->path.c_str(), offset, static_cast<size_t>(length), state->writable, &state->map,
                              &syscall);
  if (err != 0) {
    ReleaseMapping();
    const unsigned type = state->map.file_type;
    const char* kind = type == S_IFIFO ? "a FIFO (named pipe)" : type == S_IFSOCK ? "a socket" : nullptr;
    if (err == ENODEV && kind != nullptr) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_NOT_MAPPABLE",
                      "openRegisterWindow(): '" + state->path + "' is " + kind +
                          ", which cannot be mapped (only regular files and devices can)");
    }
    ThrowSystemError(env, err, syscall, state->path);
  }
  // From here the functions' finalizers own the state (the last one frees it).
  WindowState* s = state.release();
  s->refs = 1;  // held until every method is attached, so a failure below cannot free it early
  Napi::Object handle = Napi::Object::New(env);
  try {
    AddMethod<Read<uint8_t>>(env, handle, "read8", s);
    AddMethod<Read<uint16_t>>(env, handle, "read16", s);
    AddMethod<Read<uint32_t>>(env, handle, "read32", s);
    AddMethod<Read64>(env, handle, "read64", s);
    AddMethod<Write<uint8_t>>(env, handle, "write8", s);
    AddMethod<Write<uint16_t>>(env, handle, "write16", s);
    AddMethod<Write<uint32_t>>(env, handle, "write32", s);
    AddMethod<Write64>(env, handle, "write64", s);
    AddMethod<ReadBlock>(env, handle, "readBlock", s);
    AddMethod<Close>(env, handle, "close", s);
    AddMethod<PageOffset>(env, handle, "pageOffset", s);
  } catch (...) {
    ReleaseState(env, s, nullptr);
    throw;
  }
  ReleaseState(env, s, nullptr);  // drop the construction reference
  return handle;
}

void InitRegs(Napi::Env env, Napi::Object exports) {
  exports.Set("regsOpen", Napi::Function::New<RegsOpen>(env, "regsOpen"));
  exports.Set("regsPageSize", Napi::Number::New(env, static_cast<double>(sys::PageSize())));
}

}  // namespace

MMAPKIT_MODULE(InitRegs);

}  // namespace mmapkit::regs
