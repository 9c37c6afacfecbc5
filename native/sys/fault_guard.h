// Guarding native reads and writes of mapped memory against SIGBUS.
//
// When a file is truncated under a mapping, touching a page wholly past the new end of file raises
// SIGBUS, which would kill the process. Every native routine of mmapkit that touches mapped bytes
// (copy-out and copy-in helpers, scans, touch) runs inside WithFaultGuard: a SIGBUS on that thread
// jumps back to the guard, which reports it instead of dying. Faults outside a guard, or on other
// threads without a guard, go to whatever handler was installed before mmapkit (by default the
// process dies, as it would without mmapkit). Plain C++: no Node-API here.
#pragma once
#include <csetjmp>
#include <csignal>
#include <cstdint>

namespace mmapkit::sys {

struct FaultGuardFrame {
  sigjmp_buf jmp;
  void* volatile fault_addr;
  FaultGuardFrame* prev;
};

// The innermost guard of the calling thread (nullptr when none).
FaultGuardFrame*& CurrentFaultGuard();

// Installs the process-wide SIGBUS handler once. Returns 0 or an errno value.
int EnsureFaultHandler();

// Runs fn() with SIGBUS guarded. Returns 0 if fn() finished, SIGBUS if a SIGBUS cut it short (the
// faulting address is stored in *fault_addr when given), or an errno value if the handler could
// not be installed (fn() is then not run).
template <class F>
int WithFaultGuard(F&& fn, void** fault_addr = nullptr) {
  int err = EnsureFaultHandler();
  if (err != 0) return err;
  FaultGuardFrame frame;
  frame.fault_addr = nullptr;
  FaultGuardFrame*& top = CurrentFaultGuard();
  frame.prev = top;
  // savemask = 0 keeps this cheap; the handler runs with SA_NODEFER, so SIGBUS is not left blocked.
  if (sigsetjmp(frame.jmp, 0) != 0) {
    CurrentFaultGuard() = frame.prev;
    if (fault_addr != nullptr) *fault_addr = frame.fault_addr;
    return SIGBUS;
  }
  top = &frame;
  fn();
  CurrentFaultGuard() = frame.prev;
  return 0;
}

}  // namespace mmapkit::sys
