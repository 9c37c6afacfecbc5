#include "sys/scan.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>

#include "sys/cpu.h"
#endif

namespace mmapkit::sys {

uint64_t ScanByteSumPlain(const uint8_t* p, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

#if defined(__x86_64__)
namespace {

__attribute__((target("avx2"))) uint64_t ByteSumAvx2(const uint8_t* p, size_t n) {
  const __m256i z = _mm256_setzero_si256();
  __m256i a0 = z, a1 = z, a2 = z, a3 = z;
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    a0 = _mm256_add_epi64(a0, _mm256_sad_epu8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)), z));
    a1 = _mm256_add_epi64(a1, _mm256_sad_epu8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)), z));
    a2 = _mm256_add_epi64(a2, _mm256_sad_epu8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64)), z));
    a3 = _mm256_add_epi64(a3, _mm256_sad_epu8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96)), z));
  }
  const __m256i a = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), a);
  return t[0] + t[1] + t[2] + t[3] + ScanByteSumPlain(p + i, n - i);
}

__attribute__((target("avx512f,avx512bw"))) uint64_t ByteSumAvx512(const uint8_t* p, size_t n) {
  const __m512i z = _mm512_setzero_si512();
  __m512i a0 = z, a1 = z, a2 = z, a3 = z;
  size_t i = 0;
  for (; i + 256 <= n; i += 256) {
    a0 = _mm512_add_epi64(a0, _mm512_sad_epu8(_mm512_loadu_si512(p + i), z));
    a1 = _mm512_add_epi64(a1, _mm512_sad_epu8(_mm512_loadu_si512(p + i + 64), z));
    a2 = _mm512_add_epi64(a2, _mm512_sad_epu8(_mm512_loadu_si512(p + i + 128), z));
    a3 = _mm512_add_epi64(a3, _mm512_sad_epu8(_mm512_loadu_si512(p + i + 192), z));
  }
  const __m512i a = _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3));
  alignas(64) uint64_t t[8];
  _mm512_store_si512(t, a);
  uint64_t s = 0;
  for (uint64_t v : t) s += v;
  return s + ScanByteSumPlain(p + i, n - i);
}

using SumFn = uint64_t (*)(const uint8_t*, size_t);

struct Pick {
  SumFn fn;
  const char* name;
};

Pick PickByteSum() {
  const CpuFeatures& f = Cpu();
  if (f.avx512f && f.avx512bw) return {ByteSumAvx512, "avx512"};
  if (f.avx2) return {ByteSumAvx2, "avx2"};
  return {ScanByteSumPlain, "plain"};
}

const Pick& Chosen() {
  static const Pick pick = PickByteSum();
  return pick;
}

}  // namespace

uint64_t ScanByteSum(const uint8_t* p, size_t n) { return Chosen().fn(p, n); }
const char* ScanByteSumVariant() { return Chosen().name; }
#else
uint64_t ScanByteSum(const uint8_t* p, size_t n) { return ScanByteSumPlain(p, n); }
const char* ScanByteSumVariant() { return "plain"; }
#endif

uint64_t ScanStrideSum(const uint8_t* p, size_t n, size_t stride) {
  uint64_t s = 0;
  const volatile uint8_t* vp = p;
  for (size_t i = 0; i < n; i += stride) s += vp[i];
  return s;
}

void ScanStrideTouchWrite(uint8_t* p, size_t n, size_t stride) {
  volatile uint8_t* vp = p;
  for (size_t i = 0; i < n; i += stride) vp[i] = static_cast<uint8_t>(vp[i] + 1);
}

uint64_t ScanRandomRead32(const uint8_t* p, size_t n, size_t count, uint64_t seed) {
  const uint64_t slots = n / 4;
  uint64_t s = 0, r = seed == 0 ? 0x9E3779B97F4A7C15ULL : seed;
  for (size_t k = 0; k < count; ++k) {
    r ^= r << 13;
    r ^= r >> 7;
    r ^= r << 17;
    uint32_t v;
    std::memcpy(&v, p + (r % slots) * 4, 4);
    s += v;
  }
  return s;
}

}  // namespace mmapkit::sys
