// Bindings for the threaded CSV sum, byte sum and page touch (sys/csv_parallel.h), in the calling
// thread or off it (a Promise whose job runs on the libuv pool and spreads over its own threads).
// File jobs map or read the file themselves (on a dup of the caller's descriptor), so no mapping
// of the caller's can be unmapped under them. Arguments are validated in lib/csv/; here they are
// only re-checked for type.
#include <napi.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/cancel.h"
#include "binding/errors.h"
#include "binding/module.h"
#include "sys/csv.h"
#include "sys/csv_parallel.h"

namespace mmapkit {
namespace {

sys::CsvFn MethodFn(Napi::Env env, Napi::Value v) {
  if (!v.IsNumber()) ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "method must be a number");
  const int m = v.As<Napi::Number>().Int32Value();
  sys::CsvFn fn = (m >= 0 && m < sys::kCsvMethodCount) ? sys::CsvFunction(static_cast<sys::CsvMethod>(m)) : nullptr;
  if (fn == nullptr)
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_UNSUPPORTED", "this CSV-sum method is not available on this machine");
  return fn;
}

// A Uint8Array's bytes (lib/csv/ passes only those). A detached buffer reads as empty and is
// refused by the caller first.
void Bytes(Napi::Env env, Napi::Value v, const uint8_t** p, size_t* n) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "data must be a Uint8Array");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  *p = a.Data();
  *n = a.ByteLength();
}

// The job's knobs: kind, method, threads, minPerThread, readChunk at info[i..i+4].
sys::ParallelJob JobArgs(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  sys::ParallelJob job;
  const int kind = args::Int(info, i, "kind");
  if (kind < 0 || kind > 2) ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "kind must be 0, 1 or 2");
  job.kind = static_cast<sys::ScanKind>(kind);
  if (job.kind == sys::ScanKind::kCsv) job.fn = MethodFn(env, info[i + 1]);
  job.threads = args::Int(info, i + 2, "threads");
  if (job.threads < 1 || job.threads > 1024)
    ThrowUsageError(env, "RangeError", "ERR_OUT_OF_RANGE", "threads must be 1 to 1024");
  job.min_per_thread = static_cast<size_t>(args::U64(info, i + 3, "minPerThread"));
  job.read_chunk = static_cast<size_t>(args::U64(info, i + 4, "readChunk"));
  return job;
}

// The error a finished job reports, or an empty value.
Napi::Value JobError(Napi::Env env, const sys::ParallelResult& r, const char* what) {
  if (r.fault == SIGBUS) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "SIGBUS during %s at byte %llu of the file: the file is shorter than its mapping (was it truncated?)",
                  what, static_cast<unsigned long long>(r.fault_offset));
    return UsageError(env, "Error", "ERR_MMAPKIT_SIGBUS", buf).Value();
  }
  if (r.fault != 0) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "SIGSEGV during %s at byte %llu: the bytes cannot be read", what,
                  static_cast<unsigned long long>(r.fault_offset));
    return UsageError(env, "Error", "ERR_MMAPKIT_PROTECTED", buf).Value();
  }
  if (r.err != 0) return SystemError(env, r.err, r.syscall != nullptr ? r.syscall : "read").Value();
  if (r.cancelled) return UsageError(env, "Error", "ABORT_ERR", std::string(what) + " was aborted").Value();
  return Napi::Value();
}

// { sum: bigint (signed), pending: bigint (unsigned), bytesSum: number, threads }
Napi::Object JobResult(Napi::Env env, const sys::ParallelResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("sum", Napi::BigInt::New(env, static_cast<int64_t>(r.csv.sum)));
  o.Set("pending", Napi::BigInt::New(env, static_cast<uint64_t>(r.csv.x)));
  o.Set("bytesSum", Napi::Number::New(env, static_cast<double>(r.bytes_sum)));
  o.Set("threads", Napi::Number::New(env, r.threads));
  return o;
}

// scanThreads(data: Uint8Array, kind, method, threads, minPerThread, readChunk, sum, x) -> result
// over bytes in memory, in this call (threads spawned and joined here); the CSV starts from (sum, x).
Napi::Value ScanThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sys::ParallelJob job = JobArgs(info, 1);
  sys::CsvState init;
  if (info.Length() > 7) {
    bool lossless = false;
    if (!info[6].IsBigInt() || !info[7].IsBigInt())
      ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "state must be bigints");
    init.sum = info[6].As<Napi::BigInt>().Uint64Value(&lossless);
    init.x = info[7].As<Napi::BigInt>().Uint64Value(&lossless);
  }
  const uint8_t* p = nullptr;
  size_t n = 0;
  Bytes(env, info[0], &p, &n);
  sys::ParallelResult r;
  sys::RunParallel(p, n, job, init, &r);
  if (r.fault != 0) {
    const args::FaultSite site{"the data", p, n, sys::kAccessRead};
    args::ThrowFault(env, r.fault, r.fault_info, "csvSum()", &site, 1);
  }
  return JobResult(env, r);
}

// csvSumPieces(data: Uint8Array, method, cuts: Float64Array) -> [sum (signed), pending]
Napi::Value CsvSumPieces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sys::CsvFn fn = MethodFn(env, info[1]);
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "cuts must be a Float64Array");
  Napi::Float64Array c = info[2].As<Napi::Float64Array>();
  std::vector<size_t> cuts(c.ElementLength());
  for (size_t i = 0; i < cuts.size(); ++i) cuts[i] = c[i] < 0 ? 0 : static_cast<size_t>(c[i]);
  const uint8_t* p = nullptr;
  size_t n = 0;
  Bytes(env, info[0], &p, &n);
  sys::CsvState st;
  sys::FaultInfo fault;
  const sys::FaultRange range{p, p + n};
  const int rc =
      sys::GuardFaults([&] { st = sys::CsvSumPieces(p, n, fn, cuts.data(), cuts.size()); }, &fault, &range, 1);
  if (rc != 0) {
    const args::FaultSite site{"the data", p, n, sys::kAccessRead};
    args::ThrowFault(env, rc, fault, "csvSum()", &site, 1);
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::BigInt::New(env, static_cast<int64_t>(st.sum)));
  out.Set(1u, Napi::BigInt::New(env, static_cast<uint64_t>(st.x)));
  return out;
}

struct FileArgs {
  int fd = -1;  // a dup of the caller's descriptor, owned by the job
  uint64_t offset = 0, length = 0;
  bool via_mmap = true;
  std::string what;
};

// fd, offset, length, viaMmap, what at info[0..4]; the job knobs at info[5..9].
FileArgs GetFileArgs(const Napi::CallbackInfo& info) {
  FileArgs a;
  const int fd = args::Int(info, 0, "fd");
  a.offset = args::U64(info, 1, "offset");
  a.length = args::U64(info, 2, "length");
  a.via_mmap = args::Bool(info, 3);
  a.what = args::Str(info, 4, "what");
  a.fd = dup(fd);
  if (a.fd < 0) ThrowSystemError(info.Env(), errno, "dup");
  return a;
}

// fileScan(fd, offset, length, viaMmap, what, kind, method, threads, minPerThread, readChunk) -> result
Napi::Value FileScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::ParallelJob job = JobArgs(info, 5);
  FileArgs a = GetFileArgs(info);
  sys::ParallelResult r;
  sys::RunParallelFd(a.fd, a.offset, a.length, a.via_mmap, job, &r);
  close(a.fd);
  Napi::Value err = JobError(env, r, a.what.c_str());
  if (!err.IsEmpty()) throw Napi::Error(env, err);
  return JobResult(env, r);
}

class ScanWorker : public Napi::AsyncWorker {
 public:
  ScanWorker(Napi::Env env, FileArgs a, sys::ParallelJob job, CancelFlag cancel)
      : Napi::AsyncWorker(env, "mmapkit.fileScan"),
        deferred_(Napi::Promise::Deferred::New(env)),
        args_(std::move(a)),
        job_(job),
        cancel_(std::move(cancel)) {
    job_.cancel = cancel_.get();
  }
  ~ScanWorker() override {
    if (args_.fd >= 0) close(args_.fd);
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    if (cancel_->load()) {
      result_.cancelled = true;
      return;
    }
    sys::RunParallelFd(args_.fd, args_.offset, args_.length, args_.via_mmap, job_, &result_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    try {
      // Cancelled before the promise settles: it rejects, even if the job got to its end first.
      if (cancel_->load()) {
        deferred_.Reject(UsageError(env, "Error", "ABORT_ERR", args_.what + " was aborted").Value());
        return;
      }
      Napi::Value err = JobError(env, result_, args_.what.c_str());
      if (!err.IsEmpty()) {
        deferred_.Reject(err);
        return;
      }
      deferred_.Resolve(JobResult(env, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  FileArgs args_;
  sys::ParallelJob job_;
  CancelFlag cancel_;
  sys::ParallelResult result_;
};

// cancelToken() -> an opaque token for fileScanAsync and cancelJob.
Napi::Value CancelToken(const Napi::CallbackInfo& info) {
  return Napi::External<CancelFlag>::New(info.Env(), new CancelFlag(std::make_shared<std::atomic<bool>>(false)),
                                         [](Napi::Env, CancelFlag* c) { delete c; });
}

// cancelJob(token): the job stops at its next block and rejects with ABORT_ERR.
Napi::Value CancelJob(const Napi::CallbackInfo& info) {
  (*TokenOf(info.Env(), info[0]))->store(true);
  return info.Env().Undefined();
}

// fileScanAsync(fd, offset, length, viaMmap, what, kind, method, threads, minPerThread, readChunk, token) ->
// Promise<result>
Napi::Value FileScanAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sys::ParallelJob job = JobArgs(info, 5);
  CancelFlag cancel = *TokenOf(env, info[10]);
  FileArgs a = GetFileArgs(info);
  auto* w = new ScanWorker(env, std::move(a), job, std::move(cancel));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("scanThreads", Napi::Function::New(env, ScanThreads, "scanThreads"));
  exports.Set("csvSumPieces", Napi::Function::New(env, CsvSumPieces, "csvSumPieces"));
  exports.Set("fileScan", Napi::Function::New(env, FileScan, "fileScan"));
  exports.Set("fileScanAsync", Napi::Function::New(env, FileScanAsync, "fileScanAsync"));
  exports.Set("cancelToken", Napi::Function::New(env, CancelToken, "cancelToken"));
  exports.Set("cancelJob", Napi::Function::New(env, CancelJob, "cancelJob"));
}

}  // namespace

MMAPKIT_MODULE(Init);

CancelFlag* TokenOf(Napi::Env env, Napi::Value v) {
  if (!v.IsExternal()) ThrowUsageError(env, "TypeError", "ERR_INVALID_ARG_TYPE", "token must be a cancel token");
  return v.As<Napi::External<CancelFlag>>().Data();
}

}  // namespace mmapkit
