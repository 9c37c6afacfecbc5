#include "binding/args.h"

#include <climits>
#include <cmath>
#include <cstdio>

#include "binding/errors.h"

namespace mmapkit::args {

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

}  // namespace mmapkit::args
