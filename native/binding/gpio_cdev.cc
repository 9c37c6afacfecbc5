// Binding of the GPIO character device (sys/gpio_cdev.h): thin wrappers taking and returning file
// descriptors. lib/gpio/chardev.ts validates every argument, owns the descriptors and adds the
// advice to errors (who holds a busy line, which group may open a chip).
#include <cerrno>
#include <vector>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/module.h"
#include "sys/gpio_cdev.h"

namespace mmapkit {
namespace {

using gpio::LineConfig;
using gpio::LineInfo;

Napi::Object InfoObject(Napi::Env env, const LineInfo& li) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", li.name);
  o.Set("consumer", li.consumer);
  o.Set("offset", Napi::Number::New(env, li.offset));
  o.Set("flags", Napi::Number::New(env, static_cast<double>(li.flags)));
  o.Set("debounceUs", Napi::Number::New(env, li.debounce_us));
  return o;
}

uint64_t BigU64(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsBigInt()) {
    ThrowUsageError(info.Env(), "TypeError", "ERR_INVALID_ARG_TYPE", std::string(name) + " must be a bigint");
  }
  bool lossless = false;
  uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless)
    ThrowUsageError(info.Env(), "RangeError", "ERR_OUT_OF_RANGE", std::string(name) + " must fit in 64 bits");
  return v;
}

// [flags, count, (kind, value, mask) × count] from a BigUint64Array.
LineConfig Config(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "config must be a BigUint64Array");
  }
  Napi::TypedArrayOf<uint64_t> arr = info[i].As<Napi::TypedArrayOf<uint64_t>>();
  const uint64_t* a = arr.Data();
  LineConfig c;
  if (arr.ElementLength() < 2) ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "config is too short");
  c.flags = a[0];
  uint64_t n = a[1];
  if (n > gpio::kMaxAttrs || arr.ElementLength() < 2 + 3 * n) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "config has more than 10 attributes or is too short");
  }
  c.num_attrs = static_cast<uint32_t>(n);
  for (uint32_t k = 0; k < c.num_attrs; k++) {
    c.attrs[k].kind = static_cast<uint32_t>(a[2 + 3 * k]);
    c.attrs[k].value = a[3 + 3 * k];
    c.attrs[k].mask = a[4 + 3 * k];
  }
  return c;
}

uint32_t U32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  uint64_t v = args::U64(info, i, name);
  if (v > UINT32_MAX)
    ThrowUsageError(info.Env(), "RangeError", "ERR_OUT_OF_RANGE", std::string(name) + " must fit in 32 bits");
  return static_cast<uint32_t>(v);
}

Napi::Value OpenChip(const Napi::CallbackInfo& info) {
  std::string path = args::Str(info, 0, "path");
  int fd = -1;
  int err = gpio::OpenChip(path.c_str(), &fd);
  if (err != 0) ThrowSystemError(info.Env(), err, err == ENOTTY ? "ioctl(GPIO_GET_CHIPINFO_IOCTL)" : "open", path);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int err = gpio::CloseFd(args::Int(info, 0, "fd"));
  if (err != 0 && err != EINTR) ThrowSystemError(info.Env(), err, "close");
  return info.Env().Undefined();
}

Napi::Value ChipInfo(const Napi::CallbackInfo& info) {
  gpio::ChipInfo ci;
  int err = gpio::GetChipInfo(args::Int(info, 0, "fd"), &ci);
  if (err != 0) ThrowSystemError(info.Env(), err, "ioctl(GPIO_GET_CHIPINFO_IOCTL)");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("name", ci.name);
  o.Set("label", ci.label);
  o.Set("lines", Napi::Number::New(info.Env(), ci.lines));
  return o;
}

Napi::Value LineInfoOf(const Napi::CallbackInfo& info) {
  LineInfo li;
  int err = gpio::GetLineInfo(args::Int(info, 0, "fd"), U32(info, 1, "offset"), &li);
  if (err != 0) ThrowSystemError(info.Env(), err, "ioctl(GPIO_V2_GET_LINEINFO_IOCTL)");
  return InfoObject(info.Env(), li);
}

Napi::Value WatchLineInfo(const Napi::CallbackInfo& info) {
  LineInfo li;
  bool watch = args::Bool(info, 2);
  int err = gpio::WatchLineInfo(args::Int(info, 0, "fd"), U32(info, 1, "offset"), watch, &li);
  if (err != 0) {
    ThrowSystemError(info.Env(), err,
                     watch ? "ioctl(GPIO_V2_GET_LINEINFO_WATCH_IOCTL)" : "ioctl(GPIO_GET_LINEINFO_UNWATCH_IOCTL)");
  }
  return watch ? InfoObject(info.Env(), li) : info.Env().Undefined();
}

Napi::Value Request(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int chip = args::Int(info, 0, "fd");
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "offsets must be a Uint32Array");
  }
  Napi::Uint32Array offs = info[1].As<Napi::Uint32Array>();
  std::vector<uint32_t> offsets(offs.ElementLength());
  for (size_t k = 0; k < offsets.size(); k++) offsets[k] = offs[k];
  std::string consumer = args::Str(info, 2, "consumer");
  uint32_t ebs = U32(info, 3, "eventBufferSize");
  LineConfig c = Config(info, 4);
  int fd = -1;
  int err =
      gpio::RequestLines(chip, offsets.data(), static_cast<uint32_t>(offsets.size()), consumer.c_str(), c, ebs, &fd);
  if (err != 0) ThrowSystemError(env, err, "ioctl(GPIO_V2_GET_LINE_IOCTL)");
  return Napi::Number::New(env, fd);
}

Napi::Value SetConfig(const Napi::CallbackInfo& info) {
  int fd = args::Int(info, 0, "fd");
  LineConfig c = Config(info, 1);
  int err = gpio::SetLineConfig(fd, c);
  if (err != 0) ThrowSystemError(info.Env(), err, "ioctl(GPIO_V2_LINE_SET_CONFIG_IOCTL)");
  return info.Env().Undefined();
}

Napi::Value GetValues(const Napi::CallbackInfo& info) {
  uint64_t bits = 0;
  int err = gpio::GetValues(args::Int(info, 0, "fd"), BigU64(info, 1, "mask"), &bits);
  if (err != 0) ThrowSystemError(info.Env(), err, "ioctl(GPIO_V2_LINE_GET_VALUES_IOCTL)");
  return Napi::BigInt::New(info.Env(), bits);
}

Napi::Value SetValues(const Napi::CallbackInfo& info) {
  int err = gpio::SetValues(args::Int(info, 0, "fd"), BigU64(info, 1, "mask"), BigU64(info, 2, "bits"));
  if (err != 0) ThrowSystemError(info.Env(), err, "ioctl(GPIO_V2_LINE_SET_VALUES_IOCTL)");
  return info.Env().Undefined();
}

// Fills out (a BigUint64Array) with 5 slots per event: timestamp, id, offset, seqno, line_seqno.
// Returns the number of events (0 when none is queued).
Napi::Value ReadEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = args::Int(info, 0, "fd");
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "out must be a BigUint64Array");
  }
  Napi::TypedArrayOf<uint64_t> outArr = info[1].As<Napi::TypedArrayOf<uint64_t>>();
  uint64_t* out = outArr.Data();
  size_t max = outArr.ElementLength() / 5;
  if (max > 1024) max = 1024;
  std::vector<gpio::LineEvent> ev(max);
  size_t n = 0;
  int err = gpio::ReadEvents(fd, ev.data(), max, &n);
  if (err != 0) ThrowSystemError(env, err, "read");
  for (size_t k = 0; k < n; k++) {
    out[5 * k] = ev[k].timestamp_ns;
    out[5 * k + 1] = ev[k].id;
    out[5 * k + 2] = ev[k].offset;
    out[5 * k + 3] = ev[k].seqno;
    out[5 * k + 4] = ev[k].line_seqno;
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Value ReadInfoChanged(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  gpio::LineInfoChanged ev[8];
  size_t n = 0;
  int err = gpio::ReadInfoChanged(args::Int(info, 0, "fd"), ev, 8, &n);
  if (err != 0) ThrowSystemError(env, err, "read");
  Napi::Array arr = Napi::Array::New(env, n);
  for (size_t k = 0; k < n; k++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("info", InfoObject(env, ev[k].info));
    o.Set("timestampNs", Napi::BigInt::New(env, ev[k].timestamp_ns));
    o.Set("type", Napi::Number::New(env, ev[k].type));
    arr.Set(static_cast<uint32_t>(k), o);
  }
  return arr;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gpioOpenChip", Napi::Function::New(env, OpenChip, "gpioOpenChip"));
  exports.Set("gpioClose", Napi::Function::New(env, CloseFd, "gpioClose"));
  exports.Set("gpioChipInfo", Napi::Function::New(env, ChipInfo, "gpioChipInfo"));
  exports.Set("gpioLineInfo", Napi::Function::New(env, LineInfoOf, "gpioLineInfo"));
  exports.Set("gpioWatchLineInfo", Napi::Function::New(env, WatchLineInfo, "gpioWatchLineInfo"));
  exports.Set("gpioRequest", Napi::Function::New(env, Request, "gpioRequest"));
  exports.Set("gpioSetConfig", Napi::Function::New(env, SetConfig, "gpioSetConfig"));
  exports.Set("gpioGetValues", Napi::Function::New(env, GetValues, "gpioGetValues"));
  exports.Set("gpioSetValues", Napi::Function::New(env, SetValues, "gpioSetValues"));
  exports.Set("gpioReadEvents", Napi::Function::New(env, ReadEvents, "gpioReadEvents"));
  exports.Set("gpioReadInfoChanged", Napi::Function::New(env, ReadInfoChanged, "gpioReadInfoChanged"));
}

MMAPKIT_MODULE(Init);

}  // namespace
}  // namespace mmapkit
