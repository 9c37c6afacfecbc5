// Bindings for the CSV sum (sys/csv.h) and the byte scans (sys/scan.h). Every loop over the
// caller's bytes runs inside a fault guard, so a mapping whose file was truncated raises
// ERR_MMAPKIT_SIGBUS and a page whose protection forbids the access raises ERR_MMAPKIT_PROTECTED,
// instead of killing the process. Arguments are validated in lib/csv.ts; here they are only
// re-checked for type, and every one is converted before any byte is touched.
#include <napi.h>

#include <csignal>
#include <string>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/module.h"
#include "sys/csv.h"
#include "sys/fault_guard.h"
#include "sys/scan.h"

namespace mmapkit {
namespace {

struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};

[[noreturn]] void ThrowDetached(Napi::Env env, const char* what) {
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED",
                  std::string("The \"") + what +
                      "\" argument's ArrayBuffer is detached (transferred, or its mapping was unmapped or resized)");
}

// A Buffer, any TypedArray, a DataView or an ArrayBuffer: the engine's own pointer and length (no
// user-visible property is read). A detached buffer is refused rather than read as empty.
Bytes GetBytes(Napi::Env env, Napi::Value v, const char* what) {
  Bytes b;
  bool is = false;
  void* data = nullptr;
  napi_value ab = nullptr;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type t;
    size_t len = 0, off = 0;
    napi_get_typedarray_info(env, v, &t, &len, &data, &ab, &off);
    b.data = static_cast<uint8_t*>(data);
    b.length = len * args::ElementSize(t);
  } else if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    size_t len = 0, off = 0;
    napi_get_dataview_info(env, v, &len, &data, &ab, &off);
    b.data = static_cast<uint8_t*>(data);
    b.length = len;
  } else if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    size_t len = 0;
    napi_get_arraybuffer_info(env, v, &data, &len);
    b.data = static_cast<uint8_t*>(data);
    b.length = len;
    ab = v;
  } else {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                    std::string("The \"") + what + "\" argument must be a Buffer, TypedArray, DataView or ArrayBuffer");
  }
  if (b.length == 0 && ab != nullptr) {
    bool detached = false;
    if (napi_is_detached_arraybuffer(env, ab, &detached) == napi_ok && detached) ThrowDetached(env, what);
  }
  return b;
}

// Runs fn over the caller's bytes with SIGBUS and SIGSEGV guarded (faults inside those bytes only);
// throws a coded error on a fault.
template <class F>
void Guarded(Napi::Env env, const char* what, const Bytes& b, int access, F&& fn) {
  sys::FaultInfo fault;
  const sys::FaultRange range{b.data, b.data + b.length};
  const int r = sys::GuardFaults(fn, &fault, &range, 1);
  if (r != 0) {
    const args::FaultSite site{"the data", b.data, b.length, access};
    args::ThrowFault(env, r, fault, what, &site, 1);
  }
}

sys::CsvFn MethodFn(Napi::Env env, Napi::Value v) {
  if (!v.IsNumber()) ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "method must be a number");
  const int m = v.As<Napi::Number>().Int32Value();
  sys::CsvFn fn = (m >= 0 && m < sys::kCsvMethodCount) ? sys::CsvFunction(static_cast<sys::CsvMethod>(m)) : nullptr;
  if (fn == nullptr)
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "this CSV-sum method is not available on this machine");
  return fn;
}

// csvSum(data, method) -> bigint (signed 64-bit)
Napi::Value CsvSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sys::CsvFn fn = MethodFn(env, info[1]);
  const Bytes b = GetBytes(env, info[0], "data");
  sys::CsvState st;
  Guarded(env, "csvSum()", b, sys::kAccessRead, [&] { fn(b.data, b.length, &st); });
  return Napi::BigInt::New(env, static_cast<int64_t>(st.sum));
}

// csvSumChunk(data, method, state: BigUint64Array [sum, x]) -> undefined; updates state.
Napi::Value CsvSumChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sys::CsvFn fn = MethodFn(env, info[1]);
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array ||
      info[2].As<Napi::TypedArray>().ElementLength() < 2)
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "state must be a BigUint64Array of 2");
  // Through Data(): on 32-bit targets state[0] is ambiguous (size_t index or the napi_value
  // conversion).
  uint64_t* state = info[2].As<Napi::BigUint64Array>().Data();
  sys::CsvState st;
  st.sum = state[0];
  st.x = state[1];
  const Bytes b = GetBytes(env, info[0], "chunk");
  Guarded(env, "CsvSummer.update()", b, sys::kAccessRead, [&] { fn(b.data, b.length, &st); });
  state[0] = st.sum;
  state[1] = st.x;
  return env.Undefined();
}

// csvMethods() -> string[] of the native methods available here, fastest last.
Napi::Value CsvMethods(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  for (int m = 0; m < sys::kCsvMethodCount; ++m) {
    if (sys::CsvMethodAvailable(static_cast<sys::CsvMethod>(m)))
      out.Set(k++, Napi::String::New(env, sys::CsvMethodName(static_cast<sys::CsvMethod>(m))));
  }
  return out;
}

Napi::Value CsvBest(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), sys::CsvMethodName(sys::CsvBestMethod()));
}

// scanByteSum(data, plain?: boolean) -> number
Napi::Value ScanByteSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool plain = args::Bool(info, 1);
  const Bytes b = GetBytes(env, info[0], "data");
  uint64_t s = 0;
  Guarded(env, "scanByteSum()", b, sys::kAccessRead,
          [&] { s = plain ? sys::ScanByteSumPlain(b.data, b.length) : sys::ScanByteSum(b.data, b.length); });
  return Napi::Number::New(env, static_cast<double>(s));
}

// scanStrideSum(data, stride) -> number
Napi::Value ScanStrideSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t stride = static_cast<size_t>(args::U64(info, 1, "stride"));
  if (stride == 0) ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "stride must be > 0");
  const Bytes b = GetBytes(env, info[0], "data");
  uint64_t s = 0;
  Guarded(env, "scanStrideSum()", b, sys::kAccessRead, [&] { s = sys::ScanStrideSum(b.data, b.length, stride); });
  return Napi::Number::New(env, static_cast<double>(s));
}

// scanStrideTouchWrite(data, stride) -> undefined
Napi::Value ScanStrideTouchWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t stride = static_cast<size_t>(args::U64(info, 1, "stride"));
  if (stride == 0) ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "stride must be > 0");
  const Bytes b = GetBytes(env, info[0], "data");
  Guarded(env, "scanTouchWrite()", b, sys::kAccessWrite, [&] { sys::ScanStrideTouchWrite(b.data, b.length, stride); });
  return env.Undefined();
}

// scanRandomRead32(data, count, seed) -> number (sum of the loads, wrapped to 2^53 by the caller)
Napi::Value ScanRandomRead32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t count = static_cast<size_t>(args::U64(info, 1, "count"));
  const uint64_t seed = args::U64(info, 2, "seed");
  const Bytes b = GetBytes(env, info[0], "data");
  if (b.length < 4) ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "data must hold at least 4 bytes");
  uint64_t s = 0;
  Guarded(env, "scanRandomRead32()", b, sys::kAccessRead,
          [&] { s = sys::ScanRandomRead32(b.data, b.length, count, seed); });
  return Napi::Number::New(env, static_cast<double>(s));
}

Napi::Value ScanVariant(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), sys::ScanByteSumVariant());
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("csvSum", Napi::Function::New(env, CsvSum, "csvSum"));
  exports.Set("csvSumChunk", Napi::Function::New(env, CsvSumChunk, "csvSumChunk"));
  exports.Set("csvMethods", Napi::Function::New(env, CsvMethods, "csvMethods"));
  exports.Set("csvBestMethod", Napi::Function::New(env, CsvBest, "csvBestMethod"));
  exports.Set("scanByteSum", Napi::Function::New(env, ScanByteSum, "scanByteSum"));
  exports.Set("scanStrideSum", Napi::Function::New(env, ScanStrideSum, "scanStrideSum"));
  exports.Set("scanStrideTouchWrite", Napi::Function::New(env, ScanStrideTouchWrite, "scanStrideTouchWrite"));
  exports.Set("scanRandomRead32", Napi::Function::New(env, ScanRandomRead32, "scanRandomRead32"));
  exports.Set("scanVariant", Napi::Function::New(env, ScanVariant, "scanVariant"));
}

}  // namespace

MMAPKIT_MODULE(Init);

}  // namespace mmapkit
