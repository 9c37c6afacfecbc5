// Register windows: the native half of lib/regs (RegisterWindow). Bounds, alignment, the
// read-only flag and the closed state are checked here, against the window's own numbers, before
// any access; each access is one volatile load or store (native/sys/regs.h) under the SIGBUS guard.
#include <napi.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "binding/errors.h"
#include "binding/map_budget.h"
#include "binding/module.h"
#include "sys/barriers.h"  // MMAPKIT_BARRIER_ARCH
#include "sys/fault_guard.h"
#include "sys/regs.h"

namespace mmapkit {
namespace {

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// One mapped window, shared by the accessor functions of its JavaScript handle. Each function holds
// a reference (released by its finalizer), so the state lives as long as any of them can be called;
// close() unmaps at once and leaves the state in place to report ERR_MMAPKIT_CLOSED.
struct WindowState {
  std::string path;
  bool writable = false;
  uint32_t widths = 15;  // mask of the access sizes in bytes (1 | 2 | 4 | 8) the device takes
  sys::RegisterMap map;
  int refs = 0;
};

void ReleaseState(napi_env /*env*/, void* data, void* /*hint*/) {
  auto* state = static_cast<WindowState*>(data);
  if (--state->refs == 0) {
    if (state->map.base != nullptr) {
      sys::UnmapRegisters(&state->map);
      ReleaseMapping();
    }
    delete state;
  }
}

inline WindowState& State(const Napi::CallbackInfo& info) { return *static_cast<WindowState*>(info.Data()); }

std::string WidthList(const WindowState& s) {
  std::string out;
  for (unsigned b = 1; b <= 8; b <<= 1) {
    if ((s.widths & b) == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(b * 8) + "-bit";
  }
  return out;
}

std::string RangeMessage(const WindowState& s, double d, size_t bytes) {
  const size_t length = s.map.length;
  if (length < bytes) {
    return "The value of \"offset\" is out of range: this " + std::to_string(length) + "-byte window cannot hold a " +
           std::to_string(bytes * 8) + "-bit access. Received " + Num(d);
  }
  return "The value of \"offset\" is out of range. It must be an integer from 0 to " + std::to_string(length - bytes) +
         " for a " + std::to_string(bytes * 8) + "-bit access to this " + std::to_string(length) +
         "-byte window. Received " + Num(d);
}

[[noreturn]] void ThrowClosed(Napi::Env env) {
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The register window is closed");
}

// Returns the address of an access of `bytes` bytes at info[0], or throws before any access.
volatile uint8_t* Check(const Napi::CallbackInfo& info, WindowState& s, size_t bytes, bool write) {
  Napi::Env env = info.Env();
  if (s.map.base == nullptr) ThrowClosed(env);
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"offset\" argument must be of type number");
  }
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || s.map.length < bytes || d > static_cast<double>(s.map.length - bytes)) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", RangeMessage(s, d, bytes));
  }
  size_t offset = static_cast<size_t>(d);
  if (((s.map.page_offset + offset) & (bytes - 1)) != 0) {
    ThrowUsageError(env, "RangeError", "ERR_MMAPKIT_UNALIGNED",
                    std::to_string(bytes * 8) + "-bit access at offset " + Hex(offset) +
                        " is unaligned: the address must be a multiple of " + std::to_string(bytes));
  }
  if ((s.widths & bytes) == 0) {
    ThrowUsageError(env, "RangeError", "ERR_MMAPKIT_WIDTH",
                    "The device behind this window does not take " + std::to_string(bytes * 8) +
                        "-bit accesses (allowed: " + WidthList(s) + ")");
  }
  if (write && !s.writable) {
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_READ_ONLY",
                    "The register window is read-only; open it with { writable: true } to write");
  }
  return s.map.start + offset;
}

[[noreturn]] void ThrowBus(Napi::Env env, const WindowState& s, const char* what, size_t bytes,
                           const volatile uint8_t* addr) {
  size_t offset = static_cast<size_t>(addr - s.map.start);
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_SIGBUS",
                  "Bus error (SIGBUS) on a " + std::to_string(bytes * 8) + "-bit " + what + " at offset " + Hex(offset) +
                      " of the register window onto '" + s.path +
                      "': nothing backs that address (a truncated file, or a device that refuses it)");
}

// A fault caught by the guard around a register access: SIGBUS (above), SIGSEGV (the page does not
// allow the access), or an errno value when the handlers could not be installed.
[[noreturn]] void ThrowFault(Napi::Env env, const WindowState& s, int err, const char* what, size_t bytes,
                             const volatile uint8_t* addr) {
  if (err == SIGBUS) ThrowBus(env, s, what, bytes, addr);
  if (err != SIGSEGV) ThrowSystemError(env, err, "sigaction");
  size_t offset = static_cast<size_t>(addr - s.map.start);
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_PROTECTED",
                  "Segmentation fault (SIGSEGV) on a " + std::to_string(bytes * 8) + "-bit " + what + " at offset " +
                      Hex(offset) + " of the register window onto '" + s.path +
                      "': the page does not allow that access");
}

// The window's bytes: the only addresses where a guard around its accesses takes a fault.
inline sys::FaultRange WindowRange(const WindowState& s) {
  return {const_cast<const uint8_t*>(s.map.start), const_cast<const uint8_t*>(s.map.start) + s.map.length};
}

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
                    "The value of \"value\" is out of range. It must be an integer from " + Num(min) + " to " + Num(max) +
                        ". Received " + Num(v));
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
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "readBlock(offset: number, count: number, width: number)");
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
  int err = sys::GuardFaults([&] {
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
  }, &f, &range, 1);
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

Napi::Value BarrierCompiler(const Napi::CallbackInfo& info) { mmapkit_barrier_compiler(); return info.Env().Undefined(); }
Napi::Value BarrierFull(const Napi::CallbackInfo& info) { mmapkit_barrier_full(); return info.Env().Undefined(); }
Napi::Value BarrierStore(const Napi::CallbackInfo& info) { mmapkit_barrier_store(); return info.Env().Undefined(); }
Napi::Value BarrierLoad(const Napi::CallbackInfo& info) { mmapkit_barrier_load(); return info.Env().Undefined(); }
Napi::Value BarrierDsbSy(const Napi::CallbackInfo& info) { mmapkit_barrier_dsb_sy(); return info.Env().Undefined(); }
Napi::Value BarrierDsbSt(const Napi::CallbackInfo& info) { mmapkit_barrier_dsb_st(); return info.Env().Undefined(); }

void InitRegs(Napi::Env env, Napi::Object exports) {
  exports.Set("regsOpen", Napi::Function::New<RegsOpen>(env, "regsOpen"));
  exports.Set("regsPageSize", Napi::Number::New(env, static_cast<double>(sys::PageSize())));
  exports.Set("barrierArch", Napi::String::New(env, MMAPKIT_BARRIER_ARCH));
  exports.Set("barrierCompiler", Napi::Function::New<BarrierCompiler>(env, "compilerBarrier"));
  exports.Set("barrierFull", Napi::Function::New<BarrierFull>(env, "fullBarrier"));
  exports.Set("barrierStore", Napi::Function::New<BarrierStore>(env, "storeBarrier"));
  exports.Set("barrierLoad", Napi::Function::New<BarrierLoad>(env, "loadBarrier"));
  exports.Set("barrierDsbSy", Napi::Function::New<BarrierDsbSy>(env, "dsbSy"));
  exports.Set("barrierDsbSt", Napi::Function::New<BarrierDsbSt>(env, "dsbSt"));
}

}  // namespace

MMAPKIT_MODULE(InitRegs);

}  // namespace mmapkit
