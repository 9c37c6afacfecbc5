#include "sys/csv.h"

#include <cstring>
#include <initializer_list>

#if defined(__x86_64__)
#include <immintrin.h>

#include "sys/cpu.h"
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace mmapkit::sys {

namespace {
constexpr uint64_t Pow10(int k) { return k == 0 ? 1 : 10 * Pow10(k - 1); }
}  // namespace

const uint64_t kCsvPow10[65] = {
    Pow10(0),  Pow10(1),  Pow10(2),  Pow10(3),  Pow10(4),  Pow10(5),  Pow10(6),  Pow10(7),  Pow10(8),  Pow10(9),
    Pow10(10), Pow10(11), Pow10(12), Pow10(13), Pow10(14), Pow10(15), Pow10(16), Pow10(17), Pow10(18), Pow10(19),
    Pow10(20), Pow10(21), Pow10(22), Pow10(23), Pow10(24), Pow10(25), Pow10(26), Pow10(27), Pow10(28), Pow10(29),
    Pow10(30), Pow10(31), Pow10(32), Pow10(33), Pow10(34), Pow10(35), Pow10(36), Pow10(37), Pow10(38), Pow10(39),
    Pow10(40), Pow10(41), Pow10(42), Pow10(43), Pow10(44), Pow10(45), Pow10(46), Pow10(47), Pow10(48), Pow10(49),
    Pow10(50), Pow10(51), Pow10(52), Pow10(53), Pow10(54), Pow10(55), Pow10(56), Pow10(57), Pow10(58), Pow10(59),
    Pow10(60), Pow10(61), Pow10(62), Pow10(63), Pow10(64),
};

// ---------------------------------------------------------------------------------------------
// The seed loop.

void CsvSumSeed(const uint8_t* p, size_t n, CsvState* st) {
  uint64_t sum = st->sum, x = st->x;
  for (size_t i = 0; i < n; ++i) {
    const unsigned c = p[i];
    if (c >= '0' && c <= '9') {
      x = 10 * x + (c - '0');
    } else if (c == ',' || c == '\n') {
      sum += x;
      x = 0;
    }
  }
  st->sum = sum;
  st->x = x;
}

// ---------------------------------------------------------------------------------------------
// Word at a time: one number (or 8 of its digits) per step, digits converted 8 at once.

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHigh = 0x8080808080808080ULL;
constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

// High bit of each byte set when the byte is '0'..'9' (exact for every byte value).
inline uint64_t DigitBytes(uint64_t w) {
  const uint64_t l = w & kLow7;
  return (kOnes * (127 + 0x3a) - l) & ~w & (l + kOnes * (127 - 0x2f)) & kHigh;
}

// High bit of each byte set when the byte is zero (exact).
inline uint64_t ZeroBytes(uint64_t y) { return ~(((y & kLow7) + kLow7) | y) & kHigh; }

inline uint64_t SepBytes(uint64_t w) { return ZeroBytes(w ^ (kOnes * ',')) | ZeroBytes(w ^ (kOnes * '\n')); }

// Eight digit values (0..9), the first in the lowest byte, as one number.
inline uint64_t Parse8(uint64_t v) {
  v = v * 10 + (v >> 8);
  v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  return v;
}

// The value of the last L bytes of a 64-byte block, all digits, L <= 8.
inline uint64_t TailValue8(const uint8_t* block, unsigned L) {
  const uint64_t lo = LoadLE64(block + 56) ^ (kOnes * '0');
  return Parse8(L >= 8 ? lo : lo & ~(~0ULL >> (8 * L)));
}

// The value of the last L bytes of a 64-byte block, all digits, L <= 16.
inline uint64_t TailValue(const uint8_t* block, unsigned L) {
  // Branch-free: the digits sit in the top L bytes of the block's last 16 bytes.
  const uint64_t lo = LoadLE64(block + 56) ^ (kOnes * '0');
  const uint64_t hi = LoadLE64(block + 48) ^ (kOnes * '0');
  const uint64_t lomask = L >= 8 ? ~0ULL : ~(~0ULL >> (8 * L));
  const uint64_t himask = L >= 16 ? ~0ULL : (L > 8 ? ~(~0ULL >> (8 * (L - 8))) : 0);
  return Parse8(hi & himask) * 100000000ULL + Parse8(lo & lomask);
}

}  // namespace

namespace {

// For each pattern of separators in an 8-byte word (bit k set: byte k is ',' or '\n'), how the
// word moves the state, as weights (mod 2^64 the seed loop is linear in x and the digits):
//   sum += x * XS + sum(A[k] * d[k]);  x = x * XX + sum(B[k] * d[k]).
// Row: [XS, XX, C0..C7] with C = A + (B << 32): each dot product is below 8 * 9 * 10^7 < 2^32,
// so one 64-bit multiply-add per digit computes both.
struct SwarTable {
  uint64_t w[256][10];
  SwarTable() : w{} {
    for (int pat = 0; pat < 256; ++pat) {
      int first = -1;
      for (int k = 0; k < 8 && first < 0; ++k)
        if (pat >> k & 1) first = k;
      w[pat][0] = first >= 0 ? kCsvPow10[first] : 0;
      w[pat][1] = first >= 0 ? 0 : 100000000u;
      for (int k = 0; k < 8; ++k) {
        if (pat >> k & 1) continue;
        int next = -1;
        for (int j = k + 1; j < 8 && next < 0; ++j)
          if (pat >> j & 1) next = j;
        if (next >= 0) w[pat][2 + k] = kCsvPow10[next - 1 - k];
        else w[pat][2 + k] = kCsvPow10[7 - k] << 32;
      }
    }
  }
};

const SwarTable& Table() {
  static const SwarTable table;
  return table;
}

}  // namespace

// Word at a time: each 8-byte word of digits and separators moves the state through one row of
// a weight table, with no branch on the data; words holding any other byte take the byte loop.
void CsvSumSwar(const uint8_t* p, size_t n, CsvState* st) {
  const SwarTable& table = Table();
  uint64_t sum = st->sum, x = st->x;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t w = LoadLE64(p + i);
    const uint64_t dig = DigitBytes(w);
    const uint64_t sep = SepBytes(w);
    if ((dig | sep) != kHigh) {
      CsvState s{sum, x};
      CsvSumSeed(p + i, 8, &s);
      sum = s.sum;
      x = s.x;
      continue;
    }
    // Gather the separator bits (7, 15, ..., 63) into one byte.
    const unsigned pat = static_cast<unsigned>(((sep >> 7) * 0x0102040810204080ULL) >> 56);
    const uint64_t* r = table.w[pat];
    const uint64_t v = w ^ (kOnes * '0');
    uint64_t c = 0;
    for (int k = 0; k < 8; ++k) c += ((v >> (8 * k)) & 0xff) * r[2 + k];
    sum += x * r[0] + (c & 0xffffffffu);
    x = x * r[1] + (c >> 32);
  }
  st->sum = sum;
  st->x = x;
  CsvSumSeed(p + i, n - i, st);
}

// ---------------------------------------------------------------------------------------------
// Squeezing bytes out of a block with a byte-shuffle table (AVX2 and NEON have no compress
// instruction): row m lists the positions of the set bits of m, then 0x80 (a shuffle index that
// yields 0, a byte that is neither digit nor separator).

namespace {

struct CompactTable {
  uint8_t idx[256][8];
};

constexpr CompactTable MakeCompactTable() {
  CompactTable t{};
  for (int m = 0; m < 256; ++m) {
    int o = 0;
    for (int k = 0; k < 8; ++k)
      if (m >> k & 1) t.idx[m][o++] = static_cast<uint8_t>(k);
    for (; o < 8; ++o) t.idx[m][o] = 0x80;
  }
  return t;
}

constexpr CompactTable kCompactTable = MakeCompactTable();

}  // namespace

// ---------------------------------------------------------------------------------------------
// x86-64: AVX2 and AVX-512, compiled for those ISAs only here and chosen at run time.

#if defined(__x86_64__)

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,bmi,bmi2,popcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,bmi,bmi2,popcnt")
#pragma GCC optimize("unroll-loops")
#endif
namespace avx2 {

struct Vec {
  __m256i lo, hi;
};

static inline void Load(const uint8_t* p, Vec* d, uint64_t* D, uint64_t* S) {
  const __m256i zero = _mm256_set1_epi8('0'), nine = _mm256_set1_epi8(9);
  const __m256i comma = _mm256_set1_epi8(','), nl = _mm256_set1_epi8('\n');
  const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  d->lo = _mm256_sub_epi8(v0, zero);
  d->hi = _mm256_sub_epi8(v1, zero);
  const uint32_t d0 =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(d->lo, nine), d->lo)));
  const uint32_t d1 =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(d->hi, nine), d->hi)));
  const uint32_t s0 = static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v0, comma), _mm256_cmpeq_epi8(v0, nl))));
  const uint32_t s1 = static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v1, comma), _mm256_cmpeq_epi8(v1, nl))));
  *D = d0 | (static_cast<uint64_t>(d1) << 32);
  *S = s0 | (static_cast<uint64_t>(s1) << 32);
}

static inline void Load(const uint8_t* p, Vec* d, uint64_t* D, uint64_t* S);

// Keeps the bytes of keep, in order, then zero bytes; reclassifies the squeezed block.
static inline bool Compact(const uint8_t* p, uint64_t keep, Vec* d, uint64_t* D, uint64_t* S) {
  alignas(32) uint8_t buf[64 + 8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(buf), _mm256_setzero_si256());
  _mm256_store_si256(reinterpret_cast<__m256i*>(buf + 32), _mm256_setzero_si256());
  size_t o = 0;
  for (int c = 0; c < 8; ++c) {
    const unsigned m = static_cast<unsigned>(keep >> (8 * c)) & 0xff;
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8 * c));
    const __m128i sh = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kCompactTable.idx[m]));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(buf + o), _mm_shuffle_epi8(v, sh));
    o += static_cast<size_t>(__builtin_popcount(m));
  }
  Load(buf, d, D, S);
  return true;
}

// 32 mask bits -> 32 bytes of 0x00 / 0xff.
static inline __m256i Expand(uint32_t m) {
  const __m256i shuf =
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bits = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  const __m256i t = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(m)), shuf), bits);
  return _mm256_cmpeq_epi8(t, bits);
}

static inline Vec Scale10(uint64_t mask, const Vec& d) {
  const __m256i nine = _mm256_set1_epi8(9);
  Vec e;
  const __m256i lo = _mm256_min_epu8(d.lo, nine), hi = _mm256_min_epu8(d.hi, nine);
  const __m256i lo10 = _mm256_add_epi16(_mm256_slli_epi16(lo, 3), _mm256_slli_epi16(lo, 1));
  const __m256i hi10 = _mm256_add_epi16(_mm256_slli_epi16(hi, 3), _mm256_slli_epi16(hi, 1));
  e.lo = _mm256_blendv_epi8(lo, lo10, Expand(static_cast<uint32_t>(mask)));
  e.hi = _mm256_blendv_epi8(hi, hi10, Expand(static_cast<uint32_t>(mask >> 32)));
  return e;
}

struct Accs {
  __m256i a[8];
  void Zero() {
    for (auto& v : a) v = _mm256_setzero_si256();
  }
  void Flush() {}
  uint64_t Lanes(int j) const {
    return static_cast<uint64_t>(_mm256_extract_epi64(a[j], 0)) + static_cast<uint64_t>(_mm256_extract_epi64(a[j], 1)) +
           static_cast<uint64_t>(_mm256_extract_epi64(a[j], 2)) + static_cast<uint64_t>(_mm256_extract_epi64(a[j], 3));
  }
};

constexpr size_t kFlushBlocks = ~size_t{0};

static inline void AccAdd(Accs& acc, int j, uint64_t mask, const Vec& d, const Vec&) {
  const __m256i z = _mm256_setzero_si256();
  const __m256i s0 = _mm256_sad_epu8(_mm256_and_si256(Expand(static_cast<uint32_t>(mask)), d.lo), z);
  const __m256i s1 = _mm256_sad_epu8(_mm256_and_si256(Expand(static_cast<uint32_t>(mask >> 32)), d.hi), z);
  acc.a[j] = _mm256_add_epi64(acc.a[j], _mm256_add_epi64(s0, s1));
}

#include "sys/csv_block.h"

}  // namespace avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(                                                                                    \
    __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,avx512vnni,bmi,bmi2,popcnt"))), \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,avx512vnni,bmi,bmi2,popcnt")
#pragma GCC optimize("unroll-loops")
#endif
namespace avx512 {

struct Vec {
  __m512i v;
};

static inline void Load(const uint8_t* p, Vec* d, uint64_t* D, uint64_t* S) {
  const __m512i v = _mm512_loadu_si512(p);
  d->v = _mm512_sub_epi8(v, _mm512_set1_epi8('0'));
  *D = _mm512_cmple_epu8_mask(d->v, _mm512_set1_epi8(9));
  *S = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(',')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
}

static inline bool Compact(const uint8_t*, uint64_t keep, Vec* d, uint64_t* D, uint64_t* S) {
  d->v = _mm512_maskz_compress_epi8(keep, d->v);
  *D = _pext_u64(*D, keep);
  *S = _pext_u64(*S, keep);
  return true;
}

// With VNNI the x10 scaling folds into the multiply-accumulate: Scale10 only makes the weights.
static inline Vec Scale10(uint64_t mask, const Vec&) {
  return Vec{_mm512_mask_blend_epi8(mask, _mm512_set1_epi8(1), _mm512_set1_epi8(10))};
}

// 32-bit lanes gain at most 4 * 9 * 10 = 360 per block: widen before 2^31.
constexpr size_t kFlushBlocks = size_t{1} << 22;

struct Accs {
  __m512i a[8];
  uint64_t total[8];
  void Zero() {
    for (auto& v : a) v = _mm512_setzero_si512();
    for (auto& t : total) t = 0;
  }
  void Flush() {
    for (int j = 0; j < 8; ++j) {
      alignas(64) uint32_t t[16];
      _mm512_store_si512(t, a[j]);
      for (uint32_t v : t) total[j] += v;
      a[j] = _mm512_setzero_si512();
    }
  }
  uint64_t Lanes(int j) const { return total[j]; }
};

// acc[j] += sum over mask of digit * weight, four bytes into each 32-bit lane (vpdpbusd).
static inline void AccAdd(Accs& acc, int j, uint64_t mask, const Vec& w, const Vec& d) {
  acc.a[j] = _mm512_dpbusd_epi32(acc.a[j], _mm512_maskz_mov_epi8(mask, d.v), w.v);
}

#include "sys/csv_block.h"

// The main AVX-512 loop: one field (number) per 8-byte lane instead of one mask per digit group.
// A block takes this path when all its bytes are digits or separators (or other bytes next to
// a separator, which then count as separators too), every field that ends in it has at most 8
// bytes, and the bytes of its first field that lie in the block before are digits too. Then
// the block's separator positions are squeezed into one vector (vpcompressb), and for eight
// fields at a time each field's digits are gathered right-aligned into a 64-bit lane from the
// 128 bytes of this block and the one before (vpermt2b, zeroing the bytes before the field).
// The conversion to numbers is linear, so the groups' digit bytes are simply added, and each
// block's sum goes through vpmaddubsw (weights 10, 1) into 16-bit accumulators; every 32 blocks
// vpmaddwd (weights 100, 1) moves them into 32-bit halves that hold a lane's high and low four
// digits, weighted 10000 / 1 at the end. A field is added by the block holding its separator,
// so no number is carried between fast blocks. Other blocks (other bytes inside numbers or
// in runs, numbers longer than 8 digits, no separator) go through BlockSum with the seed state x
// carried, in runs that grow while they repeat.
namespace {

struct FieldTables {
  alignas(64) uint8_t idx[64];    // 64 + j: the block's bytes in window coordinates
  alignas(64) uint8_t shift[64];  // j - 1, and 64 (the separator before the block) for j = 0
  alignas(64) uint8_t rep[64];    // j / 8: each lane of a group repeats one field's entry
  alignas(64) uint8_t off[64];    // j % 8 - 8: a lane's bytes end just before its separator
};

constexpr FieldTables MakeFieldTables() {
  FieldTables t{};
  for (int j = 0; j < 64; ++j) {
    t.idx[j] = static_cast<uint8_t>(64 + j);
    t.shift[j] = static_cast<uint8_t>(j == 0 ? 64 : j - 1);
    t.rep[j] = static_cast<uint8_t>(j / 8);
    t.off[j] = static_cast<uint8_t>(j % 8 - 8);
  }
  return t;
}

constexpr FieldTables kFieldTables = MakeFieldTables();

// Blocks per FastBlocks call: each 32-bit half of acc gains at most 8 * 9999 per block, so
// 16384 blocks stay below 2^32.
constexpr size_t kFastChunkBlocks = 16384;

}  // namespace

// Runs the fast path over the blocks from i while they qualify (and i + 64 <= stop); returns
// where it stopped. prev_last / prevd: the last separator and the digit values of the block
// before i; acc gains the fields' 32-bit halves.
static inline __attribute__((always_inline)) size_t FastBlocks(const uint8_t* p, size_t n, size_t stop, size_t i,
                                                               size_t* prev_last_io, __m512i* prevd_io,
                                                               __m512i* acc_io) {
  const __m512i idx = _mm512_load_si512(kFieldTables.idx);
  const __m512i shift = _mm512_load_si512(kFieldTables.shift);
  const __m512i rep0 = _mm512_load_si512(kFieldTables.rep);
  const __m512i off = _mm512_load_si512(kFieldTables.off);
  const __m512i eight = _mm512_set1_epi8(8);
  const __m512i rep1 = _mm512_add_epi8(rep0, eight);
  const __m512i zero = _mm512_set1_epi8('0'), nine = _mm512_set1_epi8(9);
  const __m512i comma = _mm512_set1_epi8(','), nl = _mm512_set1_epi8('\n');
  const __m512i fill = _mm512_set1_epi8(64);
  const __m512i w10 = _mm512_set1_epi16(0x010a), w100 = _mm512_set1_epi32(0x00010064);
  size_t prev_last = *prev_last_io;
  __m512i prevd = *prevd_io, acc = *acc_io;
  bool more = true;
  while (more && i + 64 <= stop) {
    // acc16: per block, the sum of the gathered digit bytes (at most 8 groups * 9 = 72) through
    // vpmaddubsw (weights 10, 1): at most 792 per 16-bit lane, so 32 blocks stay below 2^15
    // (vpmaddwd reads the lanes as signed).
    __m512i acc16 = _mm512_setzero_si512();
    const size_t chunk_stop = stop - i > 32 * 64 ? i + 32 * 64 : stop;
    for (; i + 64 <= chunk_stop; i += 64) {
      const __m512i v = _mm512_loadu_si512(p + i);
      const __m512i d = _mm512_sub_epi8(v, zero);
      const uint64_t D = _mm512_cmple_epu8_mask(d, nine);
      uint64_t S = _mm512_cmpeq_epi8_mask(v, comma) | _mm512_cmpeq_epi8_mask(v, nl);
      if ((D | S) != ~0ULL) {
        // Another byte (CR, space, quote ...) right before or right after a separator can
        // count as one more separator: before one, it ends the field as the separator would
        // (which then ends an empty field); after one, x is 0 there and stays 0. So CRLF files,
        // ", " and quoted numbers stay on this path.
        const uint64_t O = ~(D | S);
        uint64_t next = S >> 1, prev = S << 1;
        if (i + 64 < n && (p[i + 64] == ',' || p[i + 64] == '\n')) next |= 1ULL << 63;
        if (prev_last + 1 == i) prev |= 1;
        if ((O & ~(next | prev)) != 0) {
          more = false;
          break;
        }
        S |= O;
      }
      if (S == 0) {
        more = false;
        break;
      }
      // Separator positions in window coordinates (this block is bytes 64..127), then 64s.
      const __m512i sp = _mm512_mask_compress_epi8(fill, S, idx);
      // The separator before each field: the last one before the block, then sp shifted by one.
      const __m512i pv = _mm512_set1_epi8(static_cast<char>(prev_last + 64 - i));
      const __m512i E = _mm512_permutex2var_epi8(sp, shift, pv);
      const unsigned ns = static_cast<unsigned>(__builtin_popcountll(S));
      // Every field at most 8 bytes.
      if (_mm512_mask_cmpgt_epu8_mask(_bzhi_u64(~0ULL, ns), _mm512_sub_epi8(sp, E), nine)) {
        more = false;
        break;
      }
      const auto group = [&](__m512i rep) {
        // (maskz forms with a full mask: the plain intrinsics trip GCC 12's -Wmaybe-uninitialized)
        const __m512i end = _mm512_maskz_permutexvar_epi8(~0ULL, rep, sp);
        const __m512i beg = _mm512_maskz_permutexvar_epi8(~0ULL, rep, E);
        const __m512i gi = _mm512_add_epi8(end, off);
        const __mmask64 in = _mm512_cmpgt_epu8_mask(gi, beg);
        return _mm512_maskz_permutex2var_epi8(in, prevd, gi, d);
      };
      __m512i dg = _mm512_add_epi8(group(rep0), group(rep1));
      if (ns > 16) {
        __m512i rep = rep1;
        for (unsigned g = 16; g < ns; g += 8) {
          rep = _mm512_add_epi8(rep, eight);
          dg = _mm512_add_epi8(dg, group(rep));
        }
      }
      acc16 = _mm512_add_epi16(acc16, _mm512_maddubs_epi16(dg, w10));
      prev_last = i + 63 - static_cast<unsigned>(__builtin_clzll(S));
      prevd = d;
    }
    acc = _mm512_add_epi32(acc, _mm512_madd_epi16(acc16, w100));
  }
  *prev_last_io = prev_last;
  *prevd_io = prevd;
  *acc_io = acc;
  return i;
}

static uint64_t FieldTotal(__m512i acc) {
  alignas(64) uint32_t t[16];
  _mm512_store_si512(t, acc);
  uint64_t hi = 0, lo = 0;
  for (int j = 0; j < 16; j += 2) {
    hi += t[j];
    lo += t[j + 1];
  }
  return 10000 * hi + lo;
}

static void FieldSum(const uint8_t* p, size_t n, CsvState* st) {
  const __m512i zero = _mm512_set1_epi8('0'), nine = _mm512_set1_epi8(9);
  const __m512i comma = _mm512_set1_epi8(','), nl = _mm512_set1_epi8('\n');
  uint64_t sum = st->sum, x = st->x;
  bool xv = true;        // x holds the seed state at i (else it is recomputed from prev_last)
  size_t prev_last = 0;  // when !xv: the last separator before i, in the block before i
  size_t run = 1;        // blocks handed to BlockSum at the next fallback
  __m512i prevd = _mm512_setzero_si512();
  size_t i = 0;
  while (i + 64 <= n) {
    if (!xv) {
      const size_t stop = n - i > 64 * kFastChunkBlocks ? i + 64 * kFastChunkBlocks : n;
      __m512i acc = _mm512_setzero_si512();
      const size_t at = FastBlocks(p, n, stop, i, &prev_last, &prevd, &acc);
      sum += FieldTotal(acc);
      if (at != i) run = 1;
      i = at;
      if (i + 64 > stop) continue;  // the chunk or the input ended
    }
    // Fallback: the seed state at i, then BlockSum over a run of blocks.
    if (!xv) {
      x = 0;
      for (size_t t = prev_last + 1; t < i; ++t) {
        const unsigned c = p[t] - '0';
        if (c < 10u) x = x * 10 + c;
      }
    }
    size_t len = run * 64;
    if (len > n - i) len = (n - i) / 64 * 64;
    CsvState s{sum, x};
    BlockSum(p + i, len, &s);
    sum = s.sum;
    x = s.x;
    i += len;
    if (run < 1024) run *= 2;
    // The next block can take the fast path if the last one had a separator and only digits
    // after it.
    const __m512i lv = _mm512_loadu_si512(p + i - 64);
    prevd = _mm512_sub_epi8(lv, zero);
    const uint64_t LS = _mm512_cmpeq_epi8_mask(lv, comma) | _mm512_cmpeq_epi8_mask(lv, nl);
    const uint64_t LD = _mm512_cmple_epu8_mask(prevd, nine);
    xv = true;
    if (LS != 0) {
      const unsigned last = 63u - static_cast<unsigned>(__builtin_clzll(LS));
      if ((~LD & ~((2ULL << last) - 1)) == 0) {
        prev_last = i - 64 + last;
        xv = false;
      }
    }
  }
  if (!xv) {
    x = 0;
    SeedBytes(p + prev_last + 1, i - prev_last - 1, sum, x);
  }
  SeedBytes(p + i, n - i, sum, x);
  st->sum = sum;
  st->x = x;
}

}  // namespace avx512
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif  // __x86_64__

// ---------------------------------------------------------------------------------------------
// AArch64: NEON (always present there).

#if defined(__aarch64__)
namespace neon {

struct Vec {
  uint8x16_t v[4];
};

static inline uint64_t Bits64(uint8x16_t m0, uint8x16_t m1, uint8x16_t m2, uint8x16_t m3) {
  static const uint8_t kW[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t w = vld1q_u8(kW);
  uint8x16_t t0 = vpaddq_u8(vandq_u8(m0, w), vandq_u8(m1, w));
  const uint8x16_t t1 = vpaddq_u8(vandq_u8(m2, w), vandq_u8(m3, w));
  t0 = vpaddq_u8(t0, t1);
  t0 = vpaddq_u8(t0, t0);
  return vgetq_lane_u64(vreinterpretq_u64_u8(t0), 0);
}

static inline void Load(const uint8_t* p, Vec* d, uint64_t* D, uint64_t* S) {
  uint8x16_t dm[4], sm[4];
  for (int k = 0; k < 4; ++k) {
    const uint8x16_t b = vld1q_u8(p + 16 * k);
    d->v[k] = vsubq_u8(b, vdupq_n_u8('0'));
    dm[k] = vcleq_u8(d->v[k], vdupq_n_u8(9));
    sm[k] = vorrq_u8(vceqq_u8(b, vdupq_n_u8(',')), vceqq_u8(b, vdupq_n_u8('\n')));
  }
  *D = Bits64(dm[0], dm[1], dm[2], dm[3]);
  *S = Bits64(sm[0], sm[1], sm[2], sm[3]);
}

// Keeps the bytes of keep, in order, then zero bytes; reclassifies the squeezed block.
static inline bool Compact(const uint8_t* p, uint64_t keep, Vec* d, uint64_t* D, uint64_t* S) {
  alignas(16) uint8_t buf[64 + 8] = {};
  size_t o = 0;
  for (int c = 0; c < 8; ++c) {
    const unsigned m = static_cast<unsigned>(keep >> (8 * c)) & 0xff;
    vst1_u8(buf + o, vtbl1_u8(vld1_u8(p + 8 * c), vld1_u8(kCompactTable.idx[m])));
    o += static_cast<size_t>(__builtin_popcount(m));
  }
  Load(buf, d, D, S);
  return true;
}

static inline uint8x16_t ExpandBits16(unsigned bits) {
  static const uint8_t kW[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t b = vcombine_u8(vdup_n_u8(static_cast<uint8_t>(bits)), vdup_n_u8(static_cast<uint8_t>(bits >> 8)));
  return vtstq_u8(b, vld1q_u8(kW));
}

static inline Vec Scale10(uint64_t mask, const Vec& d) {
  Vec e;
  for (int k = 0; k < 4; ++k) {
    const uint8x16_t c = vminq_u8(d.v[k], vdupq_n_u8(9));
    e.v[k] = vbslq_u8(ExpandBits16(static_cast<unsigned>(mask >> (16 * k))), vmulq_u8(c, vdupq_n_u8(10)), c);
  }
  return e;
}

struct Accs {
  uint64_t a[8];
  void Zero() {
    for (auto& v : a) v = 0;
  }
  void Flush() {}
  uint64_t Lanes(int j) const { return a[j]; }
};

constexpr size_t kFlushBlocks = ~size_t{0};

static inline void AccAdd(Accs& acc, int j, uint64_t mask, const Vec& d, const Vec&) {
  uint64_t s = 0;
  for (int k = 0; k < 4; ++k) s += vaddlvq_u8(vandq_u8(ExpandBits16(static_cast<unsigned>(mask >> (16 * k))), d.v[k]));
  acc.a[j] += s;
}

#include "sys/csv_block.h"

}  // namespace neon
#endif  // __aarch64__

// ---------------------------------------------------------------------------------------------
// Dispatch.

const char* CsvMethodName(CsvMethod m) {
  switch (m) {
    case CsvMethod::kSeed: return "seed";
    case CsvMethod::kSwar: return "swar";
    case CsvMethod::kAvx2: return "avx2";
    case CsvMethod::kAvx512: return "avx512";
    case CsvMethod::kNeon: return "neon";
  }
  return "?";
}

CsvFn CsvFunction(CsvMethod m) {
  switch (m) {
    case CsvMethod::kSeed: return CsvSumSeed;
    case CsvMethod::kSwar: return CsvSumSwar;
#if defined(__x86_64__)
    case CsvMethod::kAvx2: {
      const CpuFeatures& f = Cpu();
      if (f.avx2 && f.bmi && f.bmi2 && f.popcnt) return avx2::BlockSum;
      return nullptr;
    }
    case CsvMethod::kAvx512: {
      const CpuFeatures& f = Cpu();
      if (f.avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vbmi2 && f.avx512vnni && f.bmi && f.bmi2 &&
          f.popcnt)
        // The field loop needs VBMI too (every CPU with VBMI2 so far has it).
        return f.avx512vbmi ? avx512::FieldSum : avx512::BlockSum;
      return nullptr;
    }
#endif
#if defined(__aarch64__)
    case CsvMethod::kNeon: return neon::BlockSum;
#endif
    default: return nullptr;
  }
}

bool CsvMethodAvailable(CsvMethod m) { return CsvFunction(m) != nullptr; }

CsvMethod CsvBestMethod() {
  static const CsvMethod best = [] {
    for (CsvMethod m : {CsvMethod::kAvx512, CsvMethod::kAvx2, CsvMethod::kNeon})
      if (CsvMethodAvailable(m)) return m;
    return CsvMethod::kSwar;
  }();
  return best;
}

}  // namespace mmapkit::sys
