// Splitting the CSV sum, the byte sum and the page touch over threads: see csv_parallel.h.
#include "sys/csv_parallel.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <thread>
#include <vector>

#include "sys/scan.h"

namespace mmapkit::sys {

void CsvPartFeed(CsvPart* part, CsvFn fn, const uint8_t* p, size_t n) {
  size_t i = 0;
  if (!part->sep) {
    uint64_t head = part->head, scale = part->scale;
    for (; i < n; ++i) {
      const unsigned c = p[i];
      if (c - '0' < 10u) {
        head = head * 10 + (c - '0');
        scale *= 10;
      } else if (c == ',' || c == '\n') {
        part->sep = true;
        ++i;
        break;
      }
    }
    part->head = head;
    part->scale = scale;
    if (!part->sep) return;
  }
  if (i < n) fn(p + i, n - i, &part->inner);
}

void CsvPartApply(CsvState* st, const CsvPart& part) {
  const uint64_t x = st->x * part.scale + part.head;
  if (!part.sep) {
    st->x = x;
    return;
  }
  st->sum += x + part.inner.sum;
  st->x = part.inner.x;
}

CsvPart CsvPartJoin(const CsvPart& a, const CsvPart& b) {
  CsvPart r;
  if (!a.sep) {
    r.head = a.head * b.scale + b.head;
    r.scale = a.scale * b.scale;
    r.sep = b.sep;
    r.inner = b.inner;
    return r;
  }
  r = a;
  CsvPartApply(&r.inner, b);
  return r;
}

int ParallelThreads(const ParallelJob& job, uint64_t n) {
  uint64_t t = job.threads < 1 ? 1 : static_cast<uint64_t>(job.threads);
  const uint64_t per = job.min_per_thread < 1 ? 1 : job.min_per_thread;
  const uint64_t most = n / per;
  if (t > most) t = most < 1 ? 1 : most;
  return static_cast<int>(t);
}

namespace {

// Bytes between two looks at the cancel flag.
constexpr size_t kBlock = size_t{8} << 20;

struct Piece {
  uint64_t begin = 0, end = 0;
  CsvPart part;
  uint64_t bytes_sum = 0;
  bool cancelled = false;
  int fault = 0;
  FaultInfo info;
  int err = 0;
  const char* syscall = nullptr;
};

inline bool Cancelled(const ParallelJob& job) {
  return job.cancel != nullptr && job.cancel->load(std::memory_order_relaxed);
}

// One block of bytes into a piece.
inline void Feed(const ParallelJob& job, Piece* pc, const uint8_t* p, size_t n) {
  switch (job.kind) {
    case ScanKind::kCsv: CsvPartFeed(&pc->part, job.fn, p, n); break;
    case ScanKind::kByteSum: pc->bytes_sum += ScanByteSum(p, n); break;
    case ScanKind::kTouch: pc->bytes_sum += ScanStrideSum(p, n, static_cast<size_t>(sysconf(_SC_PAGESIZE))); break;
  }
}

void MemoryPiece(const uint8_t* base, size_t n, const ParallelJob& job, Piece* pc) {
  const FaultRange range{base, base + n};
  pc->fault = GuardFaults(
      [&] {
        for (uint64_t off = pc->begin; off < pc->end; off += kBlock) {
          if (Cancelled(job)) {
            pc->cancelled = true;
            return;
          }
          const size_t len = static_cast<size_t>(pc->end - off < kBlock ? pc->end - off : kBlock);
          Feed(job, pc, base + off, len);
        }
      },
      &pc->info, &range, 1);
}

void ReadPiece(int fd, uint64_t offset, const ParallelJob& job, Piece* pc) {
  const size_t chunk = job.read_chunk < 4096 ? 4096 : job.read_chunk;
  std::vector<uint8_t> buf(chunk);
  uint64_t off = pc->begin;
  uint64_t since = 0;
  while (off < pc->end) {
    if (since >= kBlock) {
      since = 0;
      if (Cancelled(job)) {
        pc->cancelled = true;
        return;
      }
    }
    const size_t want = static_cast<size_t>(pc->end - off < chunk ? pc->end - off : chunk);
    const ssize_t got = pread(fd, buf.data(), want, static_cast<off_t>(offset + off));
    if (got < 0) {
      if (errno == EINTR) continue;
      pc->err = errno;
      pc->syscall = "pread";
      return;
    }
    if (got == 0) return;  // the file got shorter: its end is here
    Feed(job, pc, buf.data(), static_cast<size_t>(got));
    off += static_cast<uint64_t>(got);
    since += static_cast<uint64_t>(got);
  }
}

template <class Body>
void Spread(uint64_t n, int threads, const ParallelJob& job, ParallelResult* out, const CsvState& init, Body body) {
  std::vector<Piece> pieces(static_cast<size_t>(threads));
  // Touch reads one byte per page: its pieces start on page boundaries.
  const uint64_t align = job.kind == ScanKind::kTouch ? static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 1;
  for (int k = 0; k < threads; ++k) {
    const uint64_t b = k == 0 ? 0 : (n / threads * k + (n % threads) * k / threads) / align * align;
    pieces[k].begin = b;
    if (k > 0) pieces[k - 1].end = b;
  }
  pieces[threads - 1].end = n;
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads - 1));
  for (int k = 1; k < threads; ++k) workers.emplace_back([&, k] { body(&pieces[k]); });
  body(&pieces[0]);
  for (auto& w : workers) w.join();
  out->threads = threads;
  out->csv = init;
  out->bytes_sum = 0;
  for (const Piece& pc : pieces) {
    if (pc.fault != 0 && out->fault == 0) {
      out->fault = pc.fault;
      out->fault_info = pc.info;
    }
    if (pc.err != 0 && out->err == 0) {
      out->err = pc.err;
      out->syscall = pc.syscall;
    }
    out->cancelled = out->cancelled || pc.cancelled;
    CsvPartApply(&out->csv, pc.part);
    out->bytes_sum += pc.bytes_sum;
  }
}

}  // namespace

void RunParallel(const uint8_t* p, size_t n, const ParallelJob& job, const CsvState& init, ParallelResult* out) {
  const int threads = ParallelThreads(job, n);
  Spread(n, threads, job, out, init, [&](Piece* pc) { MemoryPiece(p, n, job, pc); });
  if (out->fault != 0) {
    out->fault_offset = static_cast<uint64_t>(static_cast<const uint8_t*>(out->fault_info.addr) - p);
  }
}

void RunParallelFd(int fd, uint64_t offset, uint64_t length, bool via_mmap, const ParallelJob& job,
                   ParallelResult* out) {
  const CsvState init;
  if (length == 0) {
    out->threads = 1;
    out->csv = init;
    return;
  }
  if (!via_mmap && job.kind != ScanKind::kTouch) {
    const int threads = ParallelThreads(job, length);
    Spread(length, threads, job, out, init, [&](Piece* pc) { ReadPiece(fd, offset, job, pc); });
    return;
  }
  const uint64_t ps = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t start = offset / ps * ps;
  const size_t span = static_cast<size_t>(length + (offset - start));
  void* base = mmap(nullptr, span, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(start));
  if (base == MAP_FAILED) {
    out->err = errno;
    out->syscall = "mmap";
    return;
  }
  // A touch asks the kernel to read ahead the whole range first, as touchFile always did.
  if (job.kind == ScanKind::kTouch) madvise(base, span, MADV_WILLNEED);
  RunParallel(static_cast<const uint8_t*>(base) + (offset - start), static_cast<size_t>(length), job, init, out);
  munmap(base, span);
}

CsvState CsvSumPieces(const uint8_t* p, size_t n, CsvFn fn, const size_t* cuts, size_t ncuts) {
  CsvState st;
  size_t at = 0;
  for (size_t k = 0; k <= ncuts; ++k) {
    size_t end = k < ncuts ? cuts[k] : n;
    if (end > n) end = n;
    if (end < at) end = at;
    CsvPart part;
    CsvPartFeed(&part, fn, p + at, end - at);
    CsvPartApply(&st, part);
    at = end;
  }
  return st;
}

}  // namespace mmapkit::sys
