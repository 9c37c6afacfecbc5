// Port I/O for lib/regs (openPorts). Ports and widths are validated in lib/; this file re-checks
// types and maps errno values to errors.
#include <fcntl.h>
#include <napi.h>
#include <unistd.h>

#include <cerrno>

#include "binding/errors.h"
#include "binding/module.h"
#include "sys/portio.h"

namespace mmapkit {
namespace {

constexpr const char* kDevPort = "/dev/port";

void CheckNumbers(const Napi::CallbackInfo& info, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (info.Length() <= i || !info[i].IsNumber()) {
      ThrowUsageError(info.Env(), "TypeError", "ERR_INVALID_ARG_TYPE", "port I/O arguments must be numbers");
    }
  }
}

uint32_t U32(const Napi::Value& v) { return v.As<Napi::Number>().Uint32Value(); }

// portOpen(writable) -> fd of /dev/port
Napi::Value PortOpen(const Napi::CallbackInfo& info) {
  bool writable = info.Length() > 0 && info[0].ToBoolean().Value();
  int fd = open(kDevPort, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) ThrowSystemError(info.Env(), errno, "open", kDevPort);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value PortClose(const Napi::CallbackInfo& info) {
  CheckNumbers(info, 1);
  if (close(static_cast<int>(U32(info[0]))) != 0) ThrowSystemError(info.Env(), errno, "close", kDevPort);
  return info.Env().Undefined();
}

// portRead(fd, port, bytes) -> value
Napi::Value PortRead(const Napi::CallbackInfo& info) {
  CheckNumbers(info, 3);
  uint32_t value = 0;
  int err = sys::DevPortRead(static_cast<int>(U32(info[0])), U32(info[1]), static_cast<int>(U32(info[2])), &value);
  if (err != 0) ThrowSystemError(info.Env(), err, "pread", kDevPort);
  return Napi::Number::New(info.Env(), value);
}

// portWrite(fd, port, bytes, value)
Napi::Value PortWrite(const Napi::CallbackInfo& info) {
  CheckNumbers(info, 4);
  int err =
      sys::DevPortWrite(static_cast<int>(U32(info[0])), U32(info[1]), static_cast<int>(U32(info[2])), U32(info[3]));
  if (err != 0) ThrowSystemError(info.Env(), err, "pwrite", kDevPort);
  return info.Env().Undefined();
}

// portGrant(port, bytes): ioperm()/iopl() for the calling thread.
Napi::Value PortGrant(const Napi::CallbackInfo& info) {
  CheckNumbers(info, 2);
  uint32_t port = U32(info[0]);
  int err = sys::GrantPorts(port, static_cast<int>(U32(info[1])));
  if (err != 0) ThrowSystemError(info.Env(), err, port + U32(info[1]) <= 0x400 ? "ioperm" : "iopl");
  return info.Env().Undefined();
}

// portIn(port, bytes) / portOut(port, bytes, value): one in/out instruction; granted ports only.
Napi::Value PortIn(const Napi::CallbackInfo& info) {
  CheckNumbers(info, 2);
  return Napi::Number::New(info.Env(), sys::PortIn(U32(info[0]), static_cast<int>(U32(info[1]))));
}

Napi::Value PortOut(const Napi::CallbackInfo& info) {
  CheckNumbers(info, 3);
  sys::PortOut(U32(info[0]), static_cast<int>(U32(info[1])), U32(info[2]));
  return info.Env().Undefined();
}

void InitPorts(Napi::Env env, Napi::Object exports) {
  exports.Set("portHasInstructions", Napi::Boolean::New(env, sys::HasPortInstructions()));
  exports.Set("portOpen", Napi::Function::New<PortOpen>(env, "portOpen"));
  exports.Set("portClose", Napi::Function::New<PortClose>(env, "portClose"));
  exports.Set("portRead", Napi::Function::New<PortRead>(env, "portRead"));
  exports.Set("portWrite", Napi::Function::New<PortWrite>(env, "portWrite"));
  exports.Set("portGrant", Napi::Function::New<PortGrant>(env, "portGrant"));
  exports.Set("portIn", Napi::Function::New<PortIn>(env, "portIn"));
  exports.Set("portOut", Napi::Function::New<PortOut>(env, "portOut"));
}

}  // namespace

MMAPKIT_MODULE(InitPorts);

}  // namespace mmapkit
