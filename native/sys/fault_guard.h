// Guarding native reads and writes of mapped memory against SIGBUS and SIGSEGV.
//
// When a file is truncated under a mapping, touching a page wholly past the new end of file raises
// SIGBUS; touching a page whose protection forbids the access (protect('none'), a write to a
// read-only page) raises SIGSEGV. Either would kill the process. Every native routine of mmapkit
// that touches mapped or caller-supplied bytes (copy-out and copy-in helpers, scans, CSV sums,
// touch, register block reads) runs inside a guard: a fault of that kind on that thread jumps back
// to the guard, which reports it instead of dying.
//
// Faults outside a guard, faults on other threads, faults inside a guard at an address outside the
// ranges it declared, and signals sent by kill()/raise() go to whatever handler was installed before
// mmapkit (Node's own SIGSEGV handler, which serves WebAssembly's out-of-bounds traps; by default
// the process dies, as it would without mmapkit). Plain C++: no Node-API here.
//
// Cost: one sigsetjmp without the signal mask (no syscall) and two stores to a thread-local slot
// per guarded call; nothing per byte.
#pragma once
#include <csetjmp>
#include <csignal>
#include <cstddef>
#include <cstdint>

namespace mmapkit::sys {

// What kind of access faulted, where the CPU tells (x86-64); kUnknown elsewhere.
enum FaultAccess : int { kAccessUnknown = 0, kAccessRead = 1, kAccessWrite = 2 };

// A fault caught by a guard.
struct FaultInfo {
  int signo = 0;         // SIGBUS or SIGSEGV (0: none)
  void* addr = nullptr;  // the faulting address (si_addr)
  int code = 0;          // si_code: SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR ...
  int access = kAccessUnknown;
};

// An address range [begin, end) in which a guard takes faults.
struct FaultRange {
  const void* begin;
  const void* end;
};

struct FaultGuardFrame {
  sigjmp_buf jmp;
  volatile int signo;
  void* volatile addr;
  volatile int code;
  volatile int access;
  const FaultRange* ranges;  // nullptr: a fault at any address is taken
  int nranges;
  FaultGuardFrame* prev;
};

// The innermost guard of the calling thread (nullptr when none).
FaultGuardFrame*& CurrentFaultGuard();

// Installs the process-wide SIGBUS and SIGSEGV handlers once. Returns 0 or an errno value.
int EnsureFaultHandler();

// Runs fn() with SIGBUS and SIGSEGV guarded. Returns 0 if fn() finished, SIGBUS or SIGSEGV if a
// fault cut it short (described in *info when given), or an errno value if the handlers could not
// be installed (fn() is then not run). With ranges, only faults at addresses inside one of them
// are taken; any other fault goes on to the previous handler (a bug, not a mapped-memory fault).
// fn() must not own objects with destructors: a fault leaves it by siglongjmp.
template <class F>
int GuardFaults(F&& fn, FaultInfo* info, const FaultRange* ranges = nullptr, int nranges = 0) {
  int err = EnsureFaultHandler();
  if (err != 0) return err;
  FaultGuardFrame frame;
  frame.signo = 0;
  frame.addr = nullptr;
  frame.code = 0;
  frame.access = kAccessUnknown;
  frame.ranges = ranges;
  frame.nranges = nranges;
  FaultGuardFrame*& top = CurrentFaultGuard();
  frame.prev = top;
  // savemask = 0 keeps this cheap; the handlers run with SA_NODEFER, so no signal is left blocked.
  if (sigsetjmp(frame.jmp, 0) != 0) {
    CurrentFaultGuard() = frame.prev;
    if (info != nullptr) {
      info->signo = frame.signo;
      info->addr = frame.addr;
      info->code = frame.code;
      info->access = frame.access;
    }
    return frame.signo;
  }
  top = &frame;
  fn();
  CurrentFaultGuard() = frame.prev;
  return 0;
}

// The same, reporting only the faulting address (in *fault_addr when given).
template <class F>
int WithFaultGuard(F&& fn, void** fault_addr = nullptr) {
  FaultInfo info;
  int r = GuardFaults(fn, &info);
  if ((r == SIGBUS || r == SIGSEGV) && fault_addr != nullptr) *fault_addr = info.addr;
  return r;
}

}  // namespace mmapkit::sys
