// Node-API binding of futexWaitAsync (native/sys/futex.h), and CancelFutexWaits for the mapping
// binding (binding/futex_waits.h).
//
// Each pending wait sleeps in the kernel on a thread of its own (a detached
// pthread named mmapkit-futex, with a 64 KiB stack and every signal blocked), never on the libuv
// pool, so any number of pending waits leaves fs, crypto, zlib and dns their pool threads. A
// thread whose wait is over stays idle for a while to serve the next one. The thread reports
// through one thread-safe function per environment, whose call settles the Promise on the
// JavaScript thread. That function is referenced while a wait is pending, so a pending wait keeps
// the event loop alive, as a timer does. unmap() and resize() cancel the waits on their memory
// (CancelFutexWaits); so does the end of the environment.
//
// Wake bits. Every wait is a FUTEX_WAIT_BITSET: futexWait() waits with bit 31, each asynchronous
// wait with one of bits 0..30 (the one least used by the environment's pending waits). futexWake()
// is a plain FUTEX_WAKE and reaches them all, and so does any other program's FUTEX_WAKE. The bits
// only serve cancellation: unmap() ends the asynchronous waits on its range by setting a flag on
// each and waking the word with the waits' own bits, so a futexWait() is never woken by it, and
// another asynchronous wait on the same word only when it shares a bit (possible once more than 31
// waits are pending in the environment, or for a wait in another process). Such a wake is spurious
// ('ok' with nobody having called futexWake), which futex semantics allow.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/futex_waits.h"
#include "sys/futex.h"
#include "sys/mmap.h"

#include "binding/futex_common.h"

namespace mmapkit {
namespace futex {
namespace {

using args::Int;
using args::Num;
using args::U64;

}  // namespace

// ---- asynchronous waits ----

struct Wait {
  uint32_t* addr = nullptr;
  uint32_t expected = 0;
  int64_t deadline = -1;
  uint32_t bits = 0;
  int bit = 0;
  std::atomic<bool> cancelled{false};  // set on the JavaScript thread, read by the waiter
  std::atomic<bool> done{false};       // set by the waiter once it has left the kernel for good
  int err = 0;                         // the waiter's outcome, written before done
  // The JavaScript thread's side.
  napi_deferred deferred = nullptr;
  napi_ref array = nullptr;  // holds the array, so its memory (and mapping) outlives the wait
  bool settled = false;
  std::list<std::shared_ptr<Wait>>::iterator entry;  // in Hub::pending
};

// One environment's pending waits.
struct Hub {
  std::mutex mutex;
  bool open = true;  // under mutex: the waiters may still call tsfn
  napi_threadsafe_function tsfn = nullptr;
  // Only on the JavaScript thread:
  std::list<std::shared_ptr<Wait>> pending;
  int bit_use[kAsyncBitCount] = {};
  bool closed = false;  // the environment is being torn down
};

std::atomic<int> g_pending{0};  // pending waits in all environments: lets unmap() skip the lookup
std::mutex g_hubs_mutex;
std::unordered_map<napi_env, std::shared_ptr<Hub>>& Hubs() {
  static auto* hubs = new std::unordered_map<napi_env, std::shared_ptr<Hub>>();
  return *hubs;
}

std::shared_ptr<Hub> FindHub(napi_env env) {
  std::lock_guard<std::mutex> lock(g_hubs_mutex);
  auto it = Hubs().find(env);
  return it == Hubs().end() ? nullptr : it->second;
}

// Settles w's Promise on the JavaScript thread (err: a WaitLoop result or kCancelled) and forgets w.
void Settle(napi_env env, Hub* hub, Wait* w, int err) {
  if (w->settled) return;
  w->settled = true;
  Napi::Env e(env);
  try {
    Napi::HandleScope scope(e);
    if (IsResult(err)) {
      napi_resolve_deferred(env, w->deferred, Napi::String::New(e, ResultName(err)));
    } else if (err == kCancelled) {
      napi_reject_deferred(env, w->deferred,
                           UsageError(e, "Error", "ERR_MMAPKIT_CLOSED",
                                      "The mapping was unmapped or resized while futexWaitAsync() was waiting on it")
                               .Value());
    } else {
      napi_reject_deferred(env, w->deferred, SystemError(e, err, "futex").Value());
    }
  } catch (const Napi::Error& error) {
    napi_reject_deferred(env, w->deferred, error.Value());
  }
  napi_delete_reference(env, w->array);
  w->array = nullptr;
  hub->bit_use[w->bit]--;
  g_pending.fetch_sub(1);
  hub->pending.erase(w->entry);  // last: this may free w
  if (hub->pending.empty()) napi_unref_threadsafe_function(env, hub->tsfn);
}

// Runs on the JavaScript thread for each waiter that finished (env is null at teardown).
void CallJs(napi_env env, napi_value /*callback*/, void* context, void* data) {
  std::unique_ptr<std::shared_ptr<Wait>> box(static_cast<std::shared_ptr<Wait>*>(data));
  if (env == nullptr) return;
  Hub* hub = static_cast<std::shared_ptr<Hub>*>(context)->get();
  Wait* w = box->get();
  if (hub->closed || w->settled) return;
  Settle(env, hub, w, w->err);
}

// The thread-safe function is gone (normally after CloseHub, which has already closed the hub).
void FinalizeTsfn(napi_env /*env*/, void* /*data*/, void* context) {
  auto* hub = static_cast<std::shared_ptr<Hub>*>(context);
  {
    std::lock_guard<std::mutex> lock((*hub)->mutex);
    (*hub)->open = false;
  }
  delete hub;
}

// Wakes the thread of each wait in ws (its cancelled flag already set) until every one has left
// the kernel or `patience_ns` has passed. A thread that has just read the flag as unset but not
// yet entered the kernel misses a wake, hence the repeats. A word that cannot be woken any more
// (its memory gone or made inaccessible: the wake fails) is given up at once. Returns whether all
// left.
bool DriveOut(const std::vector<std::shared_ptr<Wait>>& ws, int64_t patience_ns) {
  int64_t until = sys::MonotonicNs() + patience_ns;
  std::vector<bool> lost(ws.size(), false);
  for (int round = 0;; round++) {
    bool all = true;
    for (size_t i = 0; i < ws.size(); i++) {
      if (lost[i] || ws[i]->done.load(std::memory_order_acquire)) continue;
      all = false;
      if (sys::FutexWakeRetired(ws[i]->addr, INT_MAX, 1u << ws[i]->bit) != 0) lost[i] = true;
    }
    if (all) return std::find(lost.begin(), lost.end(), true) == lost.end();
    if (sys::MonotonicNs() > until) return false;
    if (round < 16) {
      sched_yield();
    } else {
      struct timespec ts = {0, 200000};
      nanosleep(&ts, nullptr);
    }
  }
}

// The environment is going away: stop the waiters from calling into it and wake them, so that no
// thread stays asleep for good. Node may already have run the finalizers of the environment's
// external buffers, so a mapping holding a word may be unmapped by now: FutexWakeRetired reaches
// a waiter on private memory all the same; one on shared memory leaves at the next wake of that
// word from elsewhere.
void CloseHub(void* arg) {
  auto* hub = static_cast<Hub*>(arg);
  std::shared_ptr<Hub> keep;
  {
    std::lock_guard<std::mutex> lock(g_hubs_mutex);
    for (auto it = Hubs().begin(); it != Hubs().end(); ++it) {
      if (it->second.get() == hub) {
        keep = it->second;
        Hubs().erase(it);
        break;
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(hub->mutex);
    hub->open = false;
  }
  hub->closed = true;
  std::vector<std::shared_ptr<Wait>> ws(hub->pending.begin(), hub->pending.end());
  for (const auto& w : ws) w->cancelled.store(true);
  DriveOut(ws, 100000000);
  g_pending.fetch_sub(static_cast<int>(ws.size()));
  hub->pending.clear();  // the environment frees the references and Promises itself
}

std::shared_ptr<Hub> GetHub(napi_env env) {
  std::shared_ptr<Hub> found = FindHub(env);
  if (found) return found;
  auto hub = std::make_shared<Hub>();
  auto* context = new std::shared_ptr<Hub>(hub);
  napi_value name;
  napi_status st = napi_create_string_utf8(env, "mmapkit:futex", NAPI_AUTO_LENGTH, &name);
  if (st == napi_ok) {
    st = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, FinalizeTsfn, context, CallJs,
                                         &hub->tsfn);
  }
  if (st != napi_ok) {
    delete context;
    NAPI_THROW_IF_FAILED(env, st, nullptr);
  }
  napi_unref_threadsafe_function(env, hub->tsfn);
  // Added after the thread-safe function, so it runs before that function's own cleanup.
  napi_add_env_cleanup_hook(env, CloseHub, hub.get());
  std::lock_guard<std::mutex> lock(g_hubs_mutex);
  Hubs()[env] = hub;
  return hub;
}

struct Job {
  std::shared_ptr<Hub> hub;
  std::shared_ptr<Wait> wait;
};

// Runs one wait on the waiter thread and reports it to the JavaScript thread. Takes job.
void RunJob(Job* raw) {
  std::unique_ptr<Job> job(raw);
  Wait& w = *job->wait;
  int err = kCancelled;
  while (!w.cancelled.load()) {
    err = sys::FutexWaitUntil(w.addr, w.expected, w.deadline, w.bits);
    if (err != EINTR) break;
  }
  // The word held `expected` when futexWaitAsync() was called: finding it changed now means it
  // was changed since (perhaps with a wake that came before this thread was asleep), which is
  // the waker's news, not 'not-equal'.
  if (err == EAGAIN) err = 0;
  // A cancellation that raced with a wake wins: the caller unmapped the memory.
  if (w.cancelled.load()) err = kCancelled;
  w.err = err;
  w.done.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(job->hub->mutex);
  if (job->hub->open) {
    auto* box = new std::shared_ptr<Wait>(job->wait);
    if (napi_call_threadsafe_function(job->hub->tsfn, box, napi_tsfn_nonblocking) != napi_ok) delete box;
  }
}

// Idle waiter threads: a thread whose wait is over waits up to kIdleTime for the next one (named
// mmapkit-idle meanwhile), so a wait does not always pay for a new thread, and one that is woken
// is scheduled sooner than one that is new. At most kMaxIdle are kept.
constexpr auto kIdleTime = std::chrono::seconds(10);
constexpr size_t kMaxIdle = 16;

struct Parked {
  std::mutex mutex;
  std::condition_variable cv;
  Job* job = nullptr;
};

std::mutex g_idle_mutex;
std::vector<Parked*>& Idle() {
  static auto* idle = new std::vector<Parked*>();
  return *idle;
}

void* WaiterMain(void* arg) {
  Parked self;
  Job* job = static_cast<Job*>(arg);
  for (;;) {
    pthread_setname_np(pthread_self(), "mmapkit-futex");
    RunJob(job);
    pthread_setname_np(pthread_self(), "mmapkit-idle");
    {
      std::lock_guard<std::mutex> lock(g_idle_mutex);
      if (Idle().size() >= kMaxIdle) return nullptr;
      Idle().push_back(&self);
    }
    std::unique_lock<std::mutex> lock(self.mutex);
    if (!self.cv.wait_for(lock, kIdleTime, [&] { return self.job != nullptr; })) {
      std::unique_lock<std::mutex> idle_lock(g_idle_mutex);
      auto it = std::find(Idle().begin(), Idle().end(), &self);
      if (it != Idle().end()) {
        Idle().erase(it);
        return nullptr;
      }
      // A starter has just taken this thread: its job is on the way.
      idle_lock.unlock();
      self.cv.wait(lock, [&] { return self.job != nullptr; });
    }
    job = self.job;
    self.job = nullptr;
  }
}

// Hands job to an idle waiter thread, or starts a detached one with a small stack and every
// signal blocked (signals are for the JavaScript thread; a handler run here would only interrupt
// the wait).
int StartWaiter(Job* job) {
  Parked* parked = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_idle_mutex);
    if (!Idle().empty()) {
      parked = Idle().back();
      Idle().pop_back();
    }
  }
  if (parked != nullptr) {
    {
      std::lock_guard<std::mutex> lock(parked->mutex);
      parked->job = job;
    }
    parked->cv.notify_one();
    return 0;
  }
  pthread_attr_t attr;
  int err = pthread_attr_init(&attr);
  if (err != 0) return err;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  size_t stack = std::max<size_t>(64 * 1024, static_cast<size_t>(PTHREAD_STACK_MIN));
  pthread_attr_setstacksize(&attr, stack);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  err = pthread_create(&thread, &attr, WaiterMain, job);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  return err;
}

// futexWaitAsync(array, index, expected, timeoutNs) → Promise<'ok' | 'not-equal' | 'timed-out'>
Napi::Value FutexWaitAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t* addr = Word(info);
  uint32_t expected = static_cast<uint32_t>(Num(info, 2, "expected"));
  double timeout = Num(info, 3, "timeout");
  int64_t deadline = Deadline(timeout);
  napi_deferred deferred;
  napi_value promise;
  NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &deferred, &promise), Napi::Value());
  // A first wait that ends at once settles without a thread when the word does not hold
  // `expected` (or the timeout is 0), and reports a bad address (EFAULT) as a rejection.
  int err = WaitLoop(addr, expected, sys::MonotonicNs(), kSyncBits);
  if (err != ETIMEDOUT || timeout == 0) {
    napi_value v = IsResult(err) ? Napi::String::New(env, ResultName(err)) : SystemError(env, err, "futex").Value();
    (IsResult(err) ? napi_resolve_deferred : napi_reject_deferred)(env, deferred, v);
    return Napi::Value(env, promise);
  }
  std::shared_ptr<Hub> hub = GetHub(env);
  auto w = std::make_shared<Wait>();
  w->addr = addr;
  w->expected = expected;
  w->deadline = deadline;
  w->bit = static_cast<int>(std::min_element(hub->bit_use, hub->bit_use + kAsyncBitCount) - hub->bit_use);
  w->bits = 1u << w->bit;
  w->deferred = deferred;
  NAPI_THROW_IF_FAILED(env, napi_create_reference(env, info[0], 1, &w->array), Napi::Value());
  auto* job = new Job{hub, w};
  err = StartWaiter(job);
  if (err != 0) {
    delete job;
    napi_delete_reference(env, w->array);
    napi_reject_deferred(env, deferred, SystemError(env, err, "pthread_create").Value());
    return Napi::Value(env, promise);
  }
  if (hub->pending.empty()) napi_ref_threadsafe_function(env, hub->tsfn);
  w->entry = hub->pending.insert(hub->pending.end(), w);
  hub->bit_use[w->bit]++;
  g_pending.fetch_add(1);
  return Napi::Value(env, promise);
}

}  // namespace futex

void CancelFutexWaits(napi_env env, const void* begin, size_t length) {
  using namespace futex;  // NOLINT: the hub and its waits
  if (g_pending.load() == 0 || length == 0) return;
  std::shared_ptr<Hub> hub = FindHub(env);
  if (!hub || hub->pending.empty()) return;
  uintptr_t lo = reinterpret_cast<uintptr_t>(begin);
  std::vector<std::shared_ptr<Wait>> ws;
  for (const auto& w : hub->pending) {
    uintptr_t a = reinterpret_cast<uintptr_t>(w->addr);
    if (!w->settled && a >= lo && a - lo < length) {
      w->cancelled.store(true);
      ws.push_back(w);
    }
  }
  if (ws.empty()) return;
  DriveOut(ws, 2000000000);
  for (const auto& w : ws) {
    // A waiter that finished before it saw the flag keeps its own outcome.
    bool done = w->done.load(std::memory_order_acquire);
    Settle(env, hub.get(), w.get(), done ? w->err : kCancelled);
  }
}

}  // namespace mmapkit
