// The addon's entry point: runs every registered part's init function.
#include <vector>

#include "binding/errors.h"
#include "binding/module.h"

namespace mmapkit {
namespace {
std::vector<ModuleInitFn>& Registry() {
  static std::vector<ModuleInitFn> fns;
  return fns;
}
}  // namespace

ModuleRegistration::ModuleRegistration(ModuleInitFn fn) { Registry().push_back(fn); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitErrors(env, exports);
  for (ModuleInitFn fn : Registry()) fn(env, exports);
  return exports;
}

}  // namespace mmapkit

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return mmapkit::Init(env, exports); }

NODE_API_MODULE(mmapkit, InitAddon)
