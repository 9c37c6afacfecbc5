// A register window's state and the checks made before each access, shared by regs.cc (the
// accessors, readBlock, regsOpen) and regs_check.cc (the checks and their messages).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "sys/fault_guard.h"
#include "sys/regs.h"

namespace mmapkit::regs {

// One mapped window, shared by the accessor functions of its JavaScript handle. Each function holds
// a reference (released by its finalizer), so the state lives as long as any of them can be called;
// close() unmaps at once and leaves the state in place to report ERR_MMAPKIT_CLOSED.
struct WindowState {
  std::string path;
  bool writable = false;
  uint32_t widths = 15;  // mask of the access sizes in bytes (1 | 2 | 4 | 8) the device takes
  sys::RegisterMap map;
  int refs = 0;
};

// The finalizer of each accessor function: drops its reference; the last one unmaps and frees.
void ReleaseState(napi_env env, void* data, void* hint);

inline WindowState& State(const Napi::CallbackInfo& info) { return *static_cast<WindowState*>(info.Data()); }

// v as 0x… and as a number with all its digits (for messages).
std::string Hex(uint64_t v);
std::string Num(double v);
// ERR_MMAPKIT_CLOSED for a closed window.
[[noreturn]] void ThrowClosed(Napi::Env env);

// Checks an access of `bytes` bytes at the offset in info[0]: the window is open, the offset a
// whole number with offset + bytes <= length, aligned to `bytes`, the width allowed, and a write
// allowed. Returns the address, which the accessor may then load or store (the precondition of
// the sys/regs.h accessors); throws the coded error otherwise.
volatile uint8_t* Check(const Napi::CallbackInfo& info, WindowState& s, size_t bytes, bool write);

// A fault caught by the guard around a register access: SIGBUS, SIGSEGV (the page does not allow
// the access), or an errno value when the handlers could not be installed.
[[noreturn]] void ThrowFault(Napi::Env env, const WindowState& s, int err, const char* what, size_t bytes,
                             const volatile uint8_t* addr);

// The window's bytes: the only addresses where a guard around its accesses takes a fault.
inline sys::FaultRange WindowRange(const WindowState& s) {
  return {const_cast<const uint8_t*>(s.map.start), const_cast<const uint8_t*>(s.map.start) + s.map.length};
}

}  // namespace mmapkit::regs
