// Conversion of arguments in the binding layer. lib/ validates every argument with exact
// messages before calling in; these re-check types so the addon stays safe when called directly.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace mmapkit::args {

double Num(const Napi::CallbackInfo& info, size_t i, const char* name);
// A non-negative safe integer (up to 2^53 - 1).
uint64_t U64(const Napi::CallbackInfo& info, size_t i, const char* name);
int Int(const Napi::CallbackInfo& info, size_t i, const char* name);
bool Bool(const Napi::CallbackInfo& info, size_t i);
std::string Str(const Napi::CallbackInfo& info, size_t i, const char* name);
// Reports a SIGBUS caught by a fault guard during `what`.
[[noreturn]] void ThrowSigbus(Napi::Env env, void* addr, const char* what);

}  // namespace mmapkit::args
