// Native loops over mapped (or any) bytes, for scans and benchmarks. Plain C++: no Node-API.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mmapkit::sys {

// Sum of all bytes (each 0..255) of p[0, n). Uses AVX-512 / AVX2 when the CPU has them.
uint64_t ScanByteSum(const uint8_t* p, size_t n);
// The portable byte loop (what the compiler makes of a plain for loop).
uint64_t ScanByteSumPlain(const uint8_t* p, size_t n);
// Sum of p[0], p[stride], p[2*stride], ... : one read per page with stride = page size.
uint64_t ScanStrideSum(const uint8_t* p, size_t n, size_t stride);
// p[0] += 1, p[stride] += 1, ... : one write per page (a write fault on each fresh page).
void ScanStrideTouchWrite(uint8_t* p, size_t n, size_t stride);
// count 4-byte little-endian loads at pseudo-random 4-byte-aligned offsets in p[0, n) (n >= 4),
// summed. The offsets come from a 64-bit xorshift generator started at seed, so a JS caller can
// reproduce them (see lib/csv.ts randomOffsets).
uint64_t ScanRandomRead32(const uint8_t* p, size_t n, size_t count, uint64_t seed);
// Which ScanByteSum variant runs here: "avx512", "avx2" or "plain".
const char* ScanByteSumVariant();

}  // namespace mmapkit::sys
