// Memory barriers as native functions (native/sys/regs.h, sys/barriers.h): lib/regs/barriers.ts.
#include <napi.h>

#include "binding/module.h"
#include "sys/barriers.h"  // MMAPKIT_BARRIER_ARCH
#include "sys/regs.h"      // mmapkit_barrier_*

namespace mmapkit {
namespace {

Napi::Value BarrierCompiler(const Napi::CallbackInfo& info) {
  mmapkit_barrier_compiler();
  return info.Env().Undefined();
}
Napi::Value BarrierFull(const Napi::CallbackInfo& info) {
  mmapkit_barrier_full();
  return info.Env().Undefined();
}
Napi::Value BarrierStore(const Napi::CallbackInfo& info) {
  mmapkit_barrier_store();
  return info.Env().Undefined();
}
Napi::Value BarrierLoad(const Napi::CallbackInfo& info) {
  mmapkit_barrier_load();
  return info.Env().Undefined();
}
Napi::Value BarrierDsbSy(const Napi::CallbackInfo& info) {
  mmapkit_barrier_dsb_sy();
  return info.Env().Undefined();
}
Napi::Value BarrierDsbSt(const Napi::CallbackInfo& info) {
  mmapkit_barrier_dsb_st();
  return info.Env().Undefined();
}

void InitBarriers(Napi::Env env, Napi::Object exports) {
  exports.Set("barrierArch", Napi::String::New(env, MMAPKIT_BARRIER_ARCH));
  exports.Set("barrierCompiler", Napi::Function::New<BarrierCompiler>(env, "compilerBarrier"));
  exports.Set("barrierFull", Napi::Function::New<BarrierFull>(env, "fullBarrier"));
  exports.Set("barrierStore", Napi::Function::New<BarrierStore>(env, "storeBarrier"));
  exports.Set("barrierLoad", Napi::Function::New<BarrierLoad>(env, "loadBarrier"));
  exports.Set("barrierDsbSy", Napi::Function::New<BarrierDsbSy>(env, "dsbSy"));
  exports.Set("barrierDsbSt", Napi::Function::New<BarrierDsbSt>(env, "dsbSt"));
}

}  // namespace

MMAPKIT_MODULE(InitBarriers);

}  // namespace mmapkit
