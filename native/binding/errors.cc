#include "binding/errors.h"

#include <cstring>
#include <mutex>
#include <unordered_map>

namespace mmapkit {
namespace {

// The factory of each Node-API environment (main thread and every worker). Kept in a map of our
// own rather than in the environment's instance data, which stays free for other uses.
struct ErrorData {
  Napi::FunctionReference factory;
};

std::mutex g_mutex;
std::unordered_map<napi_env, ErrorData*>& Factories() {
  static std::unordered_map<napi_env, ErrorData*> map;
  return map;
}

ErrorData* Data(Napi::Env env) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = Factories().find(env);
  return it == Factories().end() ? nullptr : it->second;
}

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "setErrorFactory expects a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Data(env)->factory = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

// Falls back to a plain Error when the factory is missing, which only happens if the binding is
// used without lib/ (for example from a stand-alone script).
Napi::Error Build(Napi::Env env, std::initializer_list<napi_value> args, const std::string& fallback) {
  ErrorData* data = Data(env);
  if (data == nullptr || data->factory.IsEmpty()) return Napi::Error::New(env, fallback);
  Napi::Value v = data->factory.Call(args);
  return Napi::Error(env, v);
}

}  // namespace

void InitErrors(Napi::Env env, Napi::Object exports) {
  ErrorData* data = new ErrorData();
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    Factories()[env] = data;
  }
  env.AddCleanupHook([env, data] {
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      Factories().erase(env);
    }
    delete data;
  });
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
}

Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be buf.
  const char* text = strerror_r(err, buf, sizeof buf);
  std::string fallback = std::string(text) + ", " + syscall;
  return Build(env,
               {Napi::String::New(env, "system"), Napi::Number::New(env, err), Napi::String::New(env, syscall),
                Napi::String::New(env, path), Napi::String::New(env, text)},
               fallback);
}

void ThrowSystemError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  throw SystemError(env, err, syscall, path);
}

Napi::Error UsageError(Napi::Env env, const char* cls, const char* code, const std::string& message) {
  return Build(env,
               {Napi::String::New(env, "usage"), Napi::String::New(env, cls), Napi::String::New(env, code),
                Napi::String::New(env, message)},
               message);
}

void ThrowUsageError(Napi::Env env, const char* cls, const char* code, const std::string& message) {
  throw UsageError(env, cls, code, message);
}

}  // namespace mmapkit
