// RegisterWindowHandle: the native half of lib/regs (RegisterWindow). Bounds, alignment, the
// read-only flag and the closed state are checked here, against the window's own numbers, before
// any access; each access is one volatile load or store (native/sys/regs.h) under the SIGBUS guard.
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "binding/errors.h"
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

class RegisterWindowHandle : public Napi::ObjectWrap<RegisterWindowHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RegisterWindowHandle",
                       {
                           InstanceMethod<&RegisterWindowHandle::Read<uint8_t>>("read8"),
                           InstanceMethod<&RegisterWindowHandle::Read<uint16_t>>("read16"),
                           InstanceMethod<&RegisterWindowHandle::Read<uint32_t>>("read32"),
                           InstanceMethod<&RegisterWindowHandle::Read64>("read64"),
                           InstanceMethod<&RegisterWindowHandle::Write<uint8_t>>("write8"),
                           InstanceMethod<&RegisterWindowHandle::Write<uint16_t>>("write16"),
                           InstanceMethod<&RegisterWindowHandle::Write<uint32_t>>("write32"),
                           InstanceMethod<&RegisterWindowHandle::Write64>("write64"),
                           InstanceMethod<&RegisterWindowHandle::ReadBlock>("readBlock"),
                           InstanceMethod<&RegisterWindowHandle::Close>("close"),
                           InstanceMethod<&RegisterWindowHandle::PageOffset>("pageOffset"),
                       });
  }

  // new RegisterWindowHandle(path: string, offset: bigint, length: number, writable: boolean,
  //                         widths: number) — widths is a mask of the access sizes in bytes
  //                         (1 | 2 | 4 | 8) the device accepts.
  explicit RegisterWindowHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RegisterWindowHandle>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsString() || !info[1].IsBigInt() || !info[2].IsNumber() ||
        !info[3].IsBoolean() || !info[4].IsNumber()) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                      "RegisterWindowHandle(path: string, offset: bigint, length: number, writable: boolean, widths: number)");
    }
    widths_ = info[4].As<Napi::Number>().Uint32Value() & 15u;
    path_ = info[0].As<Napi::String>().Utf8Value();
    bool lossless = false;
    uint64_t offset = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
    double length = info[2].As<Napi::Number>().DoubleValue();
    if (!lossless || !(length >= 1) || length != std::floor(length) || length > 9007199254740991.0) {
      ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "Register window offset or length out of range");
    }
    writable_ = info[3].As<Napi::Boolean>().Value();
    const char* syscall = "mmap";
    int err = sys::MapRegisters(path_.c_str(), offset, static_cast<size_t>(length), writable_, &map_, &syscall);
    if (err != 0) ThrowSystemError(env, err, syscall, path_);
  }

  ~RegisterWindowHandle() override { sys::UnmapRegisters(&map_); }

 private:
  // Returns the address of an access of `bytes` bytes at info[0], or throws.
  volatile void* Check(const Napi::CallbackInfo& info, size_t bytes, bool write) {
    Napi::Env env = info.Env();
    if (map_.base == nullptr) ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The register window is closed");
    if (info.Length() < 1 || !info[0].IsNumber()) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"offset\" argument must be of type number");
    }
    double d = info[0].As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || map_.length < bytes || d > static_cast<double>(map_.length - bytes)) {
      ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", RangeMessage(d, bytes));
    }
    size_t offset = static_cast<size_t>(d);
    if (((map_.page_offset + offset) & (bytes - 1)) != 0) {
      ThrowUsageError(env, "RangeError", "ERR_MMAPKIT_UNALIGNED",
                      std::to_string(bytes * 8) + "-bit access at offset " + Hex(offset) +
                          " is unaligned: the address must be a multiple of " + std::to_string(bytes));
    }
    if ((widths_ & bytes) == 0) {
      ThrowUsageError(env, "RangeError", "ERR_MMAPKIT_WIDTH",
                      "The device behind this window does not take " + std::to_string(bytes * 8) +
                          "-bit accesses (allowed: " + WidthList() + ")");
    }
    if (write && !writable_) {
      ThrowUsageError(env, "Error", "ERR_MMAPKIT_READ_ONLY",
                      "The register window is read-only; open it with { writable: true } to write");
    }
    return map_.start + offset;
  }

  std::string WidthList() const {
    std::string out;
    for (unsigned b = 1; b <= 8; b <<= 1) {
      if ((widths_ & b) == 0) continue;
      if (!out.empty()) out += ", ";
      out += std::to_string(b * 8) + "-bit";
    }
    return out;
  }

  std::string RangeMessage(double d, size_t bytes) const {
    if (map_.length < bytes) {
      return "The value of \"offset\" is out of range: this " + std::to_string(map_.length) +
             "-byte window cannot hold a " + std::to_string(bytes * 8) + "-bit access. Received " + Num(d);
    }
    return "The value of \"offset\" is out of range. It must be an integer from 0 to " +
           std::to_string(map_.length - bytes) + " for a " + std::to_string(bytes * 8) + "-bit access to this " +
           std::to_string(map_.length) + "-byte window. Received " + Num(d);
  }

  [[noreturn]] void ThrowBus(Napi::Env env, const char* what, size_t bytes, const volatile void* addr) {
    size_t offset = static_cast<size_t>(static_cast<const volatile uint8_t*>(addr) - map_.start);
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_SIGBUS",
                    "Bus error (SIGBUS) on a " + std::to_string(bytes * 8) + "-bit " + what + " at offset " +
                        Hex(offset) + " of the register window onto '" + path_ +
                        "': nothing backs that address (a truncated file, or a device that refuses it)");
  }

  template <class T>
  static T Load(const volatile void* addr) {
    if constexpr (sizeof(T) == 1) return mmapkit_mmio_read8(addr);
    else if constexpr (sizeof(T) == 2) return mmapkit_mmio_read16(addr);
    else if constexpr (sizeof(T) == 4) return mmapkit_mmio_read32(addr);
    else return mmapkit_mmio_read64(addr);
  }

  template <class T>
  static void Store(volatile void* addr, T value) {
    if constexpr (sizeof(T) == 1) mmapkit_mmio_write8(addr, value);
    else if constexpr (sizeof(T) == 2) mmapkit_mmio_write16(addr, value);
    else if constexpr (sizeof(T) == 4) mmapkit_mmio_write32(addr, value);
    else mmapkit_mmio_write64(addr, value);
  }

  template <class T>
  T GuardedLoad(Napi::Env env, volatile void* addr) {
    T value = 0;
    int err = sys::WithFaultGuard([&] { value = Load<T>(addr); });
    if (err == SIGBUS) ThrowBus(env, "read", sizeof(T), addr);
    if (err != 0) ThrowSystemError(env, err, "sigaction");
    return value;
  }

  template <class T>
  void GuardedStore(Napi::Env env, volatile void* addr, T value) {
    int err = sys::WithFaultGuard([&] { Store<T>(addr, value); });
    if (err == SIGBUS) ThrowBus(env, "write", sizeof(T), addr);
    if (err != 0) ThrowSystemError(env, err, "sigaction");
  }

  template <class T>
  Napi::Value Read(const Napi::CallbackInfo& info) {
    volatile void* addr = Check(info, sizeof(T), false);
    return Napi::Number::New(info.Env(), GuardedLoad<T>(info.Env(), addr));
  }

  Napi::Value Read64(const Napi::CallbackInfo& info) {
    volatile void* addr = Check(info, 8, false);
    return Napi::BigInt::New(info.Env(), GuardedLoad<uint64_t>(info.Env(), addr));
  }

  template <class T>
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    volatile void* addr = Check(info, sizeof(T), true);
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
    GuardedStore<T>(env, addr, value);
    return env.Undefined();
  }

  Napi::Value Write64(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    volatile void* addr = Check(info, 8, true);
    if (info.Length() < 2 || !info[1].IsBigInt()) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"value\" argument must be of type bigint");
    }
    Napi::BigInt big = info[1].As<Napi::BigInt>();
    bool lossless = false;
    uint64_t value = big.Uint64Value(&lossless);
    if (!lossless) {
      int64_t signed_value = big.Int64Value(&lossless);
      value = static_cast<uint64_t>(signed_value);
    }
    if (!lossless) {
      ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                      "The value of \"value\" is out of range. It must be an integer from "
                      "-9223372036854775808n to 18446744073709551615n");
    }
    GuardedStore<uint64_t>(env, addr, value);
    return env.Undefined();
  }

  // readBlock(offset, count, bits): count consecutive registers of `bits` bits into a new typed
  // array (Uint8Array, Uint16Array, Uint32Array or BigUint64Array), one volatile load each.
  Napi::Value ReadBlock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (map_.base == nullptr) ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The register window is closed");
    if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "readBlock(offset: number, count: number, width: number)");
    }
    int bits = info[2].As<Napi::Number>().Int32Value();
    if (bits != 8 && bits != 16 && bits != 32 && bits != 64) {
      ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "The access width must be 8, 16, 32 or 64 bits");
    }
    size_t bytes = static_cast<size_t>(bits / 8);
    double c = info[1].As<Napi::Number>().DoubleValue();
    if (!(c >= 0) || c != std::floor(c) || c > static_cast<double>(map_.length / bytes + 1)) {
      ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                      "The value of \"count\" is out of range. It must be a non-negative integer. Received " + Num(c));
    }
    size_t count = static_cast<size_t>(c);
    volatile uint8_t* first = static_cast<volatile uint8_t*>(Check(info, bytes, false));
    size_t offset = static_cast<size_t>(first - map_.start);
    if (count > 0 && offset + count * bytes > map_.length) {
      ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE",
                      std::to_string(count) + " registers of " + std::to_string(bits) + " bits at offset " + Hex(offset) +
                          " reach past the end of this " + std::to_string(map_.length) + "-byte window");
    }
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, count * bytes);
    uint8_t* out = static_cast<uint8_t*>(ab.Data());
    volatile uint8_t* bad = nullptr;
    int err = sys::WithFaultGuard([&] {
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
    });
    if (err == SIGBUS) ThrowBus(env, "read", bytes, bad);
    if (err != 0) ThrowSystemError(env, err, "sigaction");
    switch (bytes) {
      case 1: return Napi::Uint8Array::New(env, count, ab, 0);
      case 2: return Napi::Uint16Array::New(env, count, ab, 0);
      case 4: return Napi::Uint32Array::New(env, count, ab, 0);
      default: return Napi::BigUint64Array::New(env, count, ab, 0);
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    int err = sys::UnmapRegisters(&map_);
    if (err != 0) ThrowSystemError(info.Env(), err, "munmap", path_);
    return info.Env().Undefined();
  }

  Napi::Value PageOffset(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(map_.page_offset));
  }

  std::string path_;
  bool writable_ = false;
  uint32_t widths_ = 15;
  sys::RegisterMap map_;
};

Napi::Value BarrierCompiler(const Napi::CallbackInfo& info) { mmapkit_barrier_compiler(); return info.Env().Undefined(); }
Napi::Value BarrierFull(const Napi::CallbackInfo& info) { mmapkit_barrier_full(); return info.Env().Undefined(); }
Napi::Value BarrierStore(const Napi::CallbackInfo& info) { mmapkit_barrier_store(); return info.Env().Undefined(); }
Napi::Value BarrierLoad(const Napi::CallbackInfo& info) { mmapkit_barrier_load(); return info.Env().Undefined(); }
Napi::Value BarrierDsbSy(const Napi::CallbackInfo& info) { mmapkit_barrier_dsb_sy(); return info.Env().Undefined(); }
Napi::Value BarrierDsbSt(const Napi::CallbackInfo& info) { mmapkit_barrier_dsb_st(); return info.Env().Undefined(); }

void InitRegs(Napi::Env env, Napi::Object exports) {
  exports.Set("RegisterWindowHandle", RegisterWindowHandle::Define(env));
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
