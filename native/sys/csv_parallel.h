// Splitting a CSV sum, a byte sum or a page touch over threads, and combining the pieces exactly.
//
// The CSV state at a seam (a number cut in two) is a small partial result. A piece summed on its
// own, from a fresh state, is described by
//   head, scale: the digits before its first ',' or '\n' as a number, and 10^(their count) mod 2^64;
//   sep:         whether it holds a separator at all;
//   sum, x:      the sum of the numbers ended after that first separator, and the number left open.
// Applying a piece to the state (S, X) of everything before it gives
//   sep:  S + X * scale + head + sum, x      (the first separator ends the number cut at the seam)
//   else: S, X * scale + head                (the whole piece continues the open number)
// which is what one pass gives, mod 2^64, for any split. Plain C++: no Node-API here.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sys/csv.h"
#include "sys/fault_guard.h"

namespace mmapkit::sys {

struct CsvPart {
  uint64_t head = 0;
  uint64_t scale = 1;
  bool sep = false;
  CsvState inner;  // sum and open number after the first separator
};

// Adds bytes to a piece (in order; a piece may be fed in any number of calls).
void CsvPartFeed(CsvPart* part, CsvFn fn, const uint8_t* p, size_t n);
// The state after `part`, given the state before it.
void CsvPartApply(CsvState* st, const CsvPart& part);
// The part of two consecutive parts (associative: Join(Join(a, b), c) == Join(a, Join(b, c))).
CsvPart CsvPartJoin(const CsvPart& a, const CsvPart& b);

enum class ScanKind : int { kCsv = 0, kByteSum = 1, kTouch = 2 };

struct ParallelJob {
  ScanKind kind = ScanKind::kCsv;
  CsvFn fn = nullptr;                         // kCsv
  int threads = 1;                            // at most this many threads (>= 1), the caller's one included
  size_t min_per_thread = 1;                  // fewer threads when a piece would be smaller than this
  size_t read_chunk = 1 << 20;                // pread() size per thread (sources read with pread)
  const std::atomic<bool>* cancel = nullptr;  // checked between blocks; may be null
};

struct ParallelResult {
  CsvState csv;            // kCsv: the state after the bytes, from the initial state given
  uint64_t bytes_sum = 0;  // kByteSum: the sum of all bytes; kTouch: the sum of one byte per page
  int threads = 0;         // threads used
  bool cancelled = false;
  int fault = 0;  // SIGBUS / SIGSEGV when a guarded access faulted (info in fault_info)
  FaultInfo fault_info;
  uint64_t fault_offset = 0;  // the faulting byte, from the start of the bytes
  int err = 0;                // errno of a failed syscall (syscall names it)
  const char* syscall = nullptr;
};

// The threads a job over n bytes uses.
int ParallelThreads(const ParallelJob& job, uint64_t n);

// Over bytes in memory (a mapping's, say); faults inside [p, p + n) are caught.
void RunParallel(const uint8_t* p, size_t n, const ParallelJob& job, const CsvState& init, ParallelResult* out);

// Over [offset, offset + length) of a regular file: mapped (whole range, read-only, shared) when
// via_mmap, else read with pread() by every thread into its own buffer.
void RunParallelFd(int fd, uint64_t offset, uint64_t length, bool via_mmap, const ParallelJob& job,
                   ParallelResult* out);

// The CSV state after summing p[0, n) as the pieces cut at `cuts` (ascending offsets, each piece
// summed on its own and the parts applied in order): the same as one pass, whatever the cuts.
CsvState CsvSumPieces(const uint8_t* p, size_t n, CsvFn fn, const size_t* cuts, size_t ncuts);

}  // namespace mmapkit::sys
