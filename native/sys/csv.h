// Summing the numbers of a CSV, as the seed's example loop does, at several speeds.
//
// Semantics (every method gives exactly these on every input):
//   for each byte c:  '0'..'9' -> x = 10*x + (c - '0')      (64-bit wrapping)
//                     ',' '\n' -> sum += x; x = 0            (64-bit wrapping)
//                     anything else is skipped (x is kept)
// A number with no ',' or '\n' after it is never added: it stays in state.x. Streaming callers
// keep the state across chunks, so a number split between two chunks is parsed as one.
// Plain C++: no Node-API here.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mmapkit::sys {

struct CsvState {
  uint64_t sum = 0;  // read as int64 (two's complement) by callers
  uint64_t x = 0;    // the number being built
};

enum class CsvMethod : int { kSeed = 0, kSwar = 1, kAvx2 = 2, kAvx512 = 3, kNeon = 4 };
constexpr int kCsvMethodCount = 5;

using CsvFn = void (*)(const uint8_t* p, size_t n, CsvState* st);

// The seed's loop, byte by byte.
void CsvSumSeed(const uint8_t* p, size_t n, CsvState* st);
// Word at a time (8 bytes, portable C++).
void CsvSumSwar(const uint8_t* p, size_t n, CsvState* st);

// Name of a method ("seed", "swar", "avx2", "avx512", "neon").
const char* CsvMethodName(CsvMethod m);
// Whether the method is compiled in and the CPU supports it.
bool CsvMethodAvailable(CsvMethod m);
// The function for a method, or nullptr when it is not available here.
CsvFn CsvFunction(CsvMethod m);
// The fastest available method.
CsvMethod CsvBestMethod();

// 10^k mod 2^64 for k in 0..64 (10^64 is a multiple of 2^64, so the entry for 64 is 0).
extern const uint64_t kCsvPow10[65];

}  // namespace mmapkit::sys
