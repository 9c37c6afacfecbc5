#include "sys/fault_guard.h"

#include <cerrno>
#include <cstring>
#include <mutex>

namespace mmapkit::sys {
namespace {

struct sigaction g_previous;
std::once_flag g_once;
int g_install_error = 0;

void Handler(int sig, siginfo_t* info, void* ucontext) {
  FaultGuardFrame* frame = CurrentFaultGuard();
  if (frame != nullptr) {
    frame->fault_addr = info->si_addr;
    siglongjmp(frame->jmp, 1);
  }
  // Not ours: hand the fault to the handler that was there before.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction != nullptr) {
      g_previous.sa_sigaction(sig, info, ucontext);
      return;
    }
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // Default action: restore it and return; the faulting access runs again and the signal takes
  // its default course (the process dies with SIGBUS, as it would without mmapkit).
  sigaction(sig, &g_previous, nullptr);
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
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = Handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &g_previous) != 0) g_install_error = errno;
  });
  if (g_install_error == 0) (void)CurrentFaultGuard();  // allocate this thread's slot
  return g_install_error;
}

}  // namespace mmapkit::sys
