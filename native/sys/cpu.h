// x86-64 CPU features for run-time dispatch, read with CPUID and XGETBV. GCC's and clang's
// __builtin_cpu_supports need a symbol (__cpu_model) from the compiler's runtime library, which
// not every toolchain links into a shared library (Zig's does not); this header needs none.
// A vector feature counts only when the OS saves its registers too (XCR0), as the builtin does.
// Plain C++: no Node-API here.
#pragma once

#if defined(__x86_64__)
#include <cpuid.h>

#include <cstdint>

namespace mmapkit::sys {

struct CpuFeatures {
  bool popcnt = false, avx2 = false, bmi = false, bmi2 = false;
  bool avx512f = false, avx512bw = false, avx512vl = false;
  bool avx512vbmi = false, avx512vbmi2 = false, avx512vnni = false;
};

inline CpuFeatures ReadCpuFeatures() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  f.popcnt = (c >> 23) & 1;
  const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
  uint64_t xcr0 = 0;
  if (osxsave) {
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<uint64_t>(hi) << 32) | lo;
  }
  const bool ymm = avx && (xcr0 & 0x6) == 0x6;    // SSE and AVX state
  const bool zmm = ymm && (xcr0 & 0xe0) == 0xe0;  // opmask, ZMM0-15 upper halves, ZMM16-31
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.bmi = (b >> 3) & 1;
  f.bmi2 = (b >> 8) & 1;
  f.avx2 = ymm && ((b >> 5) & 1);
  f.avx512f = zmm && ((b >> 16) & 1);
  f.avx512bw = zmm && ((b >> 30) & 1);
  f.avx512vl = zmm && ((b >> 31) & 1);
  f.avx512vbmi = zmm && ((c >> 1) & 1);
  f.avx512vbmi2 = zmm && ((c >> 6) & 1);
  f.avx512vnni = zmm && ((c >> 11) & 1);
  return f;
}

// Read once per process.
inline const CpuFeatures& Cpu() {
  static const CpuFeatures f = ReadCpuFeatures();
  return f;
}

}  // namespace mmapkit::sys
#endif  // __x86_64__
