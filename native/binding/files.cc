// Node-API binding of the file, shared-memory and memfd syscalls (native/sys/files.h, sys/shm_memfd.h).
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <string>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/module.h"
#include "sys/files.h"
#include "sys/mmap.h"
#include "sys/shm_memfd.h"

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

// fileStat(fd, out: Float64Array(2)): out[0] = the size (a block device's from lseek), out[1] =
// st_mode & S_IFMT. One fstat: the file type is checked where the size is read anyway.
Napi::Value FileStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = Int(info, 0, "fd");
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[1].As<Napi::TypedArray>().ElementLength() < 2) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "fileStat(fd: number, out: Float64Array(2))");
  }
  struct stat st;
  if (fstat(fd, &st) != 0) ThrowSystemError(env, errno, "fstat");
  double size = static_cast<double>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0) ThrowSystemError(env, errno, "lseek");
    size = static_cast<double>(end);
  }
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[1].As<Napi::TypedArray>().ElementLength() < 2) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                    "The \"out\" argument must be a Float64Array of 2 or more elements");
  }
  double* out = info[1].As<Napi::Float64Array>().Data();
  out[0] = size;
  out[1] = static_cast<double>(st.st_mode & S_IFMT);
  return env.Undefined();
}

// fdOffset(fd) -> the file offset (lseek SEEK_CUR), or -1 where there is none (a pipe, a socket).
Napi::Value FdOffset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  off_t at = lseek(Int(info, 0, "fd"), 0, SEEK_CUR);
  if (at < 0) {
    if (errno == ESPIPE) return Napi::Number::New(env, -1);
    ThrowSystemError(env, errno, "lseek");
  }
  return Napi::Number::New(env, static_cast<double>(at));
}

// readFd(fd, chunk: Uint8Array, position) -> bytes read (0 at end of file). position >= 0 reads
// there (pread, the file offset is not moved), -1 reads at the file offset (read). Retries on
// EINTR; a descriptor in non-blocking mode (EAGAIN: a pipe whose other end put it there, a
// standard input Node has opened) is waited on with poll() until data or end of file arrives, so
// the caller sees exactly what a blocking read would give.
Napi::Value ReadFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = Int(info, 0, "fd");
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE",
                    "readFd(fd: number, chunk: Uint8Array, position: number)");
  }
  Napi::Uint8Array chunk = info[1].As<Napi::Uint8Array>();
  double position = args::Num(info, 2, "position");
  if (!(position >= -1 && position <= 9007199254740991.0) || std::floor(position) != position) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "The value of \"position\" is out of range");
  }
  uint8_t* data = chunk.Data();
  size_t length = chunk.ElementLength();
  for (;;) {
    ssize_t got = position < 0 ? read(fd, data, length) : pread(fd, data, length, static_cast<off_t>(position));
    if (got >= 0) return Napi::Number::New(env, static_cast<double>(got));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd p = {fd, POLLIN, 0};
      int rc;
      do {
        rc = poll(&p, 1, -1);
      } while (rc < 0 && errno == EINTR);
      if (rc < 0) ThrowSystemError(env, errno, "poll");
      continue;
    }
    ThrowSystemError(env, errno, "read");
  }
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
  exports.Set("fileStat", Napi::Function::New(env, FileStat, "fileStat"));
  exports.Set("fdOffset", Napi::Function::New(env, FdOffset, "fdOffset"));
  exports.Set("readFd", Napi::Function::New(env, ReadFd, "readFd"));
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
