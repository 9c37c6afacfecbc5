// The checks made before each register access, and their messages (see binding/regs_window.h).
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "binding/errors.h"
#include "binding/map_budget.h"
#include "binding/regs_window.h"

namespace mmapkit::regs {

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void ReleaseState(napi_env /*env*/, void* data, void* /*hint*/) {
  auto* state = static_cast<WindowState*>(data);
  if (--state->refs == 0) {
    if (state->map.base != nullptr) {
      sys::UnmapRegisters(&state->map);
      ReleaseMapping();
    }
    delete state;
  }
}

std::string WidthList(const WindowState& s) {
  std::string out;
  for (unsigned b = 1; b <= 8; b <<= 1) {
    if ((s.widths & b) == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(b * 8) + "-bit";
  }
  return out;
}

std::string RangeMessage(const WindowState& s, double d, size_t bytes) {
  const size_t length = s.map.length;
  if (length < bytes) {
    return "The value of \"offset\" is out of range: this " + std::to_string(length) + "-byte window cannot hold a " +
           std::to_string(bytes * 8) + "-bit access. Received " + Num(d);
  }
  return "The value of \"offset\" is out of range. It must be an integer from 0 to " + std::to_string(length - bytes) +
         " for a " + std::to_string(bytes * 8) + "-bit access to this " + std::to_string(length) +
         "-byte window. Received " + Num(d);
}

[[noreturn]] void ThrowClosed(Napi::Env env) {
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_CLOSED", "The register window is closed");
}

// Returns the address of an access of `bytes` bytes at info[0], or throws before any access.
volatile uint8_t* Check(const Napi::CallbackInfo& info, WindowState& s, size_t bytes, bool write) {
  Napi::Env env = info.Env();
  if (s.map.base == nullptr) ThrowClosed(env);
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "The \"offset\" argument must be of type number");
  }
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || s.map.length < bytes || d > static_cast<double>(s.map.length - bytes)) {
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", RangeMessage(s, d, bytes));
  }
  size_t offset = static_cast<size_t>(d);
  if (((s.map.page_offset + offset) & (bytes - 1)) != 0) {
    ThrowUsageError(env, "RangeError", "ERR_MMAPKIT_UNALIGNED",
                    std::to_string(bytes * 8) + "-bit access at offset " + Hex(offset) +
                        " is unaligned: the address must be a multiple of " + std::to_string(bytes));
  }
  if ((s.widths & bytes) == 0) {
    ThrowUsageError(env, "RangeError", "ERR_MMAPKIT_WIDTH",
                    "The device behind this window does not take " + std::to_string(bytes * 8) +
                        "-bit accesses (allowed: " + WidthList(s) + ")");
  }
  if (write && !s.writable) {
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_READ_ONLY",
                    "The register window is read-only; open it with { writable: true } to write");
  }
  return s.map.start + offset;
}

[[noreturn]] void ThrowBus(Napi::Env env, const WindowState& s, const char* what, size_t bytes,
                           const volatile uint8_t* addr) {
  size_t offset = static_cast<size_t>(addr - s.map.start);
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_SIGBUS",
                  "Bus error (SIGBUS) on a " + std::to_string(bytes * 8) + "-bit " + what + " at offset " +
                      Hex(offset) + " of the register window onto '" + s.path +
                      "': nothing backs that address (a truncated file, or a device that refuses it)");
}

// A fault caught by the guard around a register access: SIGBUS (above), SIGSEGV (the page does not
// allow the access), or an errno value when the handlers could not be installed.
[[noreturn]] void ThrowFault(Napi::Env env, const WindowState& s, int err, const char* what, size_t bytes,
                             const volatile uint8_t* addr) {
  if (err == SIGBUS) ThrowBus(env, s, what, bytes, addr);
  if (err != SIGSEGV) ThrowSystemError(env, err, "sigaction");
  size_t offset = static_cast<size_t>(addr - s.map.start);
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_PROTECTED",
                  "Segmentation fault (SIGSEGV) on a " + std::to_string(bytes * 8) + "-bit " + what + " at offset " +
                      Hex(offset) + " of the register window onto '" + s.path +
                      "': the page does not allow that access");
}

}  // namespace mmapkit::regs
