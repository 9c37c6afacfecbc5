// Registration of the addon's parts. Each binding file registers one init function with
// MMAPKIT_MODULE(fn); addon.cc calls them all when the addon loads, so adding a file needs no
// edit anywhere else (binding.gyp lists native/**/*.cc when it is configured: after adding a file,
// run `npx node-gyp configure` or `npm run build:native` once so the build knows it).
//
// Per-environment state: do not use env.SetInstanceData (one slot per environment, which parts
// would overwrite). Keep per-environment state in a map keyed by napi_env with a cleanup hook, as
// errors.cc does, or in ObjectWrap instances created from JavaScript with `new`.
#pragma once
#include <napi.h>

namespace mmapkit {

using ModuleInitFn = void (*)(Napi::Env env, Napi::Object exports);

struct ModuleRegistration {
  explicit ModuleRegistration(ModuleInitFn fn);
};

}  // namespace mmapkit

#define MMAPKIT_MODULE_CAT2(a, b) a##b
#define MMAPKIT_MODULE_CAT(a, b) MMAPKIT_MODULE_CAT2(a, b)
#define MMAPKIT_MODULE(fn) static ::mmapkit::ModuleRegistration MMAPKIT_MODULE_CAT(mmapkit_module_, __LINE__)(fn)
