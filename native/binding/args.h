// Conversion of arguments in the binding layer. lib/ validates every argument with exact
// messages before calling in; these re-check types so the addon stays safe when called directly.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "sys/fault_guard.h"

namespace mmapkit::args {

double Num(const Napi::CallbackInfo& info, size_t i, const char* name);
// A non-negative safe integer (up to 2^53 - 1).
uint64_t U64(const Napi::CallbackInfo& info, size_t i, const char* name);
int Int(const Napi::CallbackInfo& info, size_t i, const char* name);
bool Bool(const Napi::CallbackInfo& info, size_t i);
std::string Str(const Napi::CallbackInfo& info, size_t i, const char* name);
// Reports a SIGBUS caught by a fault guard during `what`.
[[noreturn]] void ThrowSigbus(Napi::Env env, void* addr, const char* what);

// Bytes a guarded call was working on, to say where a fault hit: "byte 4096 of the mapping".
struct FaultSite {
  const char* name;     // "the data", "the mapping", "the source" ...
  const uint8_t* base;  // its first byte
  size_t length;
  int access;  // what the call does there (sys::kAccessRead or kAccessWrite), used when
               // the CPU does not report it
};

// Reports a fault caught by a guard during `what` ("csvSum()", "read()" ...): a SIGBUS becomes
// ERR_MMAPKIT_SIGBUS, a SIGSEGV ERR_MMAPKIT_PROTECTED naming the byte, its address and the
// protection the kernel reports for its page; any other value is a failure to install the handler.
[[noreturn]] void ThrowFault(Napi::Env env, int result, const sys::FaultInfo& f, const char* what,
                             const FaultSite* sites, int nsites);

// Bytes per element of a typed array of type t (8 for the 64-bit and BigInt kinds).
inline size_t ElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    default: return 8;
  }
}

// The protection of the page holding addr as mmapkit names it ('none', 'read', 'readwrite',
// 'write'), "unmapped" when no mapping holds it, or "" when /proc/self/maps cannot be read.
std::string ProtectionAt(const void* addr);

}  // namespace mmapkit::args
