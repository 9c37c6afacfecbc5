#include "sys/fault_guard.h"

#include <ucontext.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace mmapkit::sys {
namespace {

// The handlers that were installed before mmapkit's, per signal: [0] SIGBUS, [1] SIGSEGV.
struct sigaction g_previous[2];
std::once_flag g_once;
int g_install_error = 0;

inline struct sigaction& Previous(int sig) { return g_previous[sig == SIGSEGV ? 1 : 0]; }

bool Takes(const FaultGuardFrame* frame, const void* addr) {
  if (frame->ranges == nullptr) return true;
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  for (int i = 0; i < frame->nranges; ++i) {
    if (a >= reinterpret_cast<uintptr_t>(frame->ranges[i].begin) &&
        a < reinterpret_cast<uintptr_t>(frame->ranges[i].end))
      return true;
  }
  return false;
}

int AccessOf(int sig, void* ucontext) {
#if defined(__x86_64__)
  // Bit 1 of the page-fault error code: the access was a write.
  if (sig == SIGSEGV && ucontext != nullptr) {
    const auto* uc = static_cast<const ucontext_t*>(ucontext);
    return (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0 ? kAccessWrite : kAccessRead;
  }
#else
  (void)sig;
  (void)ucontext;
#endif
  return kAccessUnknown;
}

// Hands a signal that is not ours to the handler that was there before, as if mmapkit had never
// installed one: an SA_SIGINFO handler gets the same siginfo and context (Node's SIGSEGV handler
// resolves WebAssembly traps through them), a plain handler gets the signal number.
void Chain(int sig, siginfo_t* info, void* ucontext) {
  const struct sigaction& prev = Previous(sig);
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction != nullptr) {
      prev.sa_sigaction(sig, info, ucontext);
      return;
    }
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  // Default (or ignored) action: restore it. A fault then runs again when this handler returns and
  // takes its default course (the process dies with that signal, as it would without mmapkit); a
  // signal sent by kill() or raise() is sent again, since returning would swallow it.
  sigaction(sig, &prev, nullptr);
  if (info == nullptr || info->si_code <= 0) raise(sig);
}

void Handler(int sig, siginfo_t* info, void* ucontext) {
  FaultGuardFrame* frame = CurrentFaultGuard();
  // si_code > 0: raised by the kernel for an access (a signal sent by kill() or raise() has
  // si_code <= 0 and is never taken for a fault).
  if (frame != nullptr && info != nullptr && info->si_code > 0 && Takes(frame, info->si_addr)) {
    frame->signo = sig;
    frame->addr = info->si_addr;
    frame->code = info->si_code;
    frame->access = AccessOf(sig, ucontext);
    siglongjmp(frame->jmp, 1);
  }
  Chain(sig, info, ucontext);
}

int Install(int sig) {
  // Read the current handler before replacing it, so Previous() is set before Handler can run.
  if (sigaction(sig, nullptr, &Previous(sig)) != 0) return errno;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = Handler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, nullptr) != 0) return errno;
  return 0;
}

}  // namespace

FaultGuardFrame*& CurrentFaultGuard() {
  // initial-exec: the signal handler and every guarded access reach the slot without a call to
  // __tls_get_addr. One pointer fits easily in the static TLS space glibc keeps for dlopen.
  static thread_local FaultGuardFrame* top __attribute__((tls_model("initial-exec"))) = nullptr;
  return top;
}

int EnsureFaultHandler() {
  std::call_once(g_once, [] {
    // Touch the thread-local slot outside any signal handler first.
    CurrentFaultGuard() = nullptr;
    g_install_error = Install(SIGBUS);
    if (g_install_error == 0) g_install_error = Install(SIGSEGV);
  });
  if (g_install_error == 0) (void)CurrentFaultGuard();  // allocate this thread's slot
  return g_install_error;
}

}  // namespace mmapkit::sys
