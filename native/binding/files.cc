// Node-API binding of the file, shared-memory and memfd syscalls (native/sys/mapping.h).
#include <cerrno>
#include <csignal>
#include <string>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/module.h"
#include "sys/mapping.h"

namespace mmapkit {
namespace {

using args::Bool;
using args::Int;
using args::Str;
using args::ThrowSigbus;
using args::U64;

Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string path = Str(info, 0, "path");
  int fd;
  int err = sys::OpenFile(path.c_str(), Int(info, 1, "flags"), Int(info, 2, "mode"), &fd);
  if (err != 0) ThrowSystemError(info.Env(), err, "open", path);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int err = sys::CloseFd(Int(info, 0, "fd"));
  if (err != 0 && err != EINTR) ThrowSystemError(info.Env(), err, "close");
  return info.Env().Undefined();
}

Napi::Value FileSize(const Napi::CallbackInfo& info) {
  uint64_t size;
  int err = sys::FileSize(Int(info, 0, "fd"), &size);
  if (err != 0) ThrowSystemError(info.Env(), err, "fstat");
  return Napi::Number::New(info.Env(), static_cast<double>(size));
}

Napi::Value Ftruncate(const Napi::CallbackInfo& info) {
  int err = sys::Truncate(Int(info, 0, "fd"), U64(info, 1, "size"));
  if (err != 0) ThrowSystemError(info.Env(), err, "ftruncate");
  return info.Env().Undefined();
}

Napi::Value Evict(const Napi::CallbackInfo& info) {
  int err = sys::Evict(Int(info, 0, "fd"));
  if (err != 0) ThrowSystemError(info.Env(), err, "posix_fadvise");
  return info.Env().Undefined();
}

// fileResidency(fd, size, wantPages) → { pages, resident, vector? }
Napi::Value FileResidency(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = Int(info, 0, "fd");
  uint64_t size = U64(info, 1, "size");
  bool want = Bool(info, 2);
  uint64_t pages = (size + sys::PageSize() - 1) / sys::PageSize(), resident = 0;
  Napi::Object out = Napi::Object::New(env);
  Napi::Uint8Array vec;
  if (want) vec = Napi::Uint8Array::New(env, pages);
  int err = sys::FileResidency(fd, size, want ? vec.Data() : nullptr, &pages, &resident);
  if (err != 0) ThrowSystemError(env, err, err == ENODEV || err == EACCES ? "mmap" : "mincore");
  out.Set("pages", Napi::Number::New(env, static_cast<double>(pages)));
  out.Set("resident", Napi::Number::New(env, static_cast<double>(resident)));
  if (want) out.Set("vector", vec);
  return out;
}

Napi::Value FileTouch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* fault = nullptr;
  int err = sys::FileTouch(Int(info, 0, "fd"), U64(info, 1, "size"), &fault);
  if (err == SIGBUS) ThrowSigbus(env, fault, "touchFile()");
  if (err != 0) ThrowSystemError(env, err, "mmap");
  return env.Undefined();
}

Napi::Value PageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(sys::PageSize()));
}

Napi::Value ShmOpen(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 0, "name");
  int fd;
  int err = sys::ShmOpen(name.c_str(), Int(info, 1, "flags"), Int(info, 2, "mode"), &fd);
  if (err != 0) ThrowSystemError(info.Env(), err, "shm_open", name);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value ShmUnlink(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 0, "name");
  int err = sys::ShmUnlink(name.c_str());
  if (err != 0) ThrowSystemError(info.Env(), err, "shm_unlink", name);
  return info.Env().Undefined();
}

Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 0, "name");
  int fd;
  int err = sys::MemfdCreate(name.c_str(), static_cast<unsigned>(Int(info, 1, "flags")), &fd);
  if (err != 0) ThrowSystemError(info.Env(), err, "memfd_create");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value AddSeals(const Napi::CallbackInfo& info) {
  int err = sys::AddSeals(Int(info, 0, "fd"), Int(info, 1, "seals"));
  if (err != 0) ThrowSystemError(info.Env(), err, "fcntl");
  return info.Env().Undefined();
}

Napi::Value GetSeals(const Napi::CallbackInfo& info) {
  int seals = 0;
  int err = sys::GetSeals(Int(info, 0, "fd"), &seals);
  if (err != 0) ThrowSystemError(info.Env(), err, "fcntl");
  return Napi::Number::New(info.Env(), seals);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("fileSize", Napi::Function::New(env, FileSize, "fileSize"));
  exports.Set("ftruncate", Napi::Function::New(env, Ftruncate, "ftruncate"));
  exports.Set("evict", Napi::Function::New(env, Evict, "evict"));
  exports.Set("fileResidency", Napi::Function::New(env, FileResidency, "fileResidency"));
  exports.Set("fileTouch", Napi::Function::New(env, FileTouch, "fileTouch"));
  exports.Set("pageSize", Napi::Function::New(env, PageSize, "pageSize"));
  exports.Set("shmOpen", Napi::Function::New(env, ShmOpen, "shmOpen"));
  exports.Set("shmUnlink", Napi::Function::New(env, ShmUnlink, "shmUnlink"));
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("addSeals", Napi::Function::New(env, AddSeals, "addSeals"));
  exports.Set("getSeals", Napi::Function::New(env, GetSeals, "getSeals"));
}

MMAPKIT_MODULE(Init);

}  // namespace
}  // namespace mmapkit
