// The CSV-sum kernel for WebAssembly with SIMD128, with the same semantics as the seed loop (see
// lib/csv.ts): SIMD128 classifies each 64-byte block into digit and separator masks, and the
// fields are then added one per separator, 8 digits at a time, as masked words whose bytes are
// summed per position, two fields per vector (no multiply, no branch per field) and weighted by
// powers of ten once every few thousand fields; see FieldSum. Built by scripts/build-wasm.js into
// wasm/csv-sum.wasm, which ships in the package; lib/csv/wasm.ts loads it.
//
// Interface (all offsets into the module's memory):
//   csv_buffer()  the input area (csv_capacity() bytes): the caller copies a chunk there
//   csv_state()   two little-endian u64: the sum and the open number, kept across calls
//   csv_run(n)    sums the first n bytes of the input area into the state
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

namespace mmapkit::sys {

struct CsvState {
  uint64_t sum = 0;
  uint64_t x = 0;
};

namespace {

constexpr uint64_t Pow10(int k) { return k == 0 ? 1 : 10 * Pow10(k - 1); }

struct Pow10Table {
  uint64_t v[65];
};
constexpr Pow10Table MakePow10() {
  Pow10Table t{};
  for (int k = 0; k <= 64; ++k) t.v[k] = Pow10(k);
  return t;
}
constexpr Pow10Table kPow10 = MakePow10();
#define kCsvPow10 kPow10.v

constexpr uint64_t kOnes = 0x0101010101010101ULL;

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t w;
  __builtin_memcpy(&w, p, 8);
  return w;
}

struct CompactTable {
  uint8_t idx[256][16];
};

constexpr CompactTable MakeCompactTable() {
  CompactTable t{};
  for (int m = 0; m < 256; ++m) {
    int o = 0;
    for (int k = 0; k < 8; ++k)
      if (m >> k & 1) t.idx[m][o++] = static_cast<uint8_t>(k);
    for (; o < 16; ++o) t.idx[m][o] = 0x80;
  }
  return t;
}

constexpr CompactTable kCompactTable = MakeCompactTable();

// The index of the lowest set bit, 64 for 0 (as wasm's i64.ctz).
static inline unsigned Ctz64(uint64_t v) { return v == 0 ? 64u : static_cast<unsigned>(__builtin_ctzll(v)); }

// Masks of a 64-byte block: D (bit i: byte i is '0'..'9') and S (bit i: byte i is ',' or '\n').
static inline void Masks(const uint8_t* p, uint64_t* D, uint64_t* S) {
  const v128_t zero = wasm_i8x16_splat('0'), nine = wasm_i8x16_splat(9);
  const v128_t comma = wasm_i8x16_splat(','), nl = wasm_i8x16_splat('\n');
  uint64_t dm = 0, sm = 0;
  for (int k = 0; k < 4; ++k) {
    const v128_t b = wasm_v128_load(p + 16 * k);
    dm |= static_cast<uint64_t>(wasm_i8x16_bitmask(wasm_u8x16_le(wasm_i8x16_sub(b, zero), nine))) << (16 * k);
    sm |= static_cast<uint64_t>(wasm_i8x16_bitmask(wasm_v128_or(wasm_i8x16_eq(b, comma), wasm_i8x16_eq(b, nl))))
          << (16 * k);
  }
  *D = dm;
  *S = sm;
}

static inline void SeedBytes(const uint8_t* p, size_t n, uint64_t& sum, uint64_t& x) {
  for (size_t i = 0; i < n; ++i) {
    const unsigned c = p[i];
    if (c - '0' < 10u) {
      x = x * 10 + (c - '0');
    } else if (c == ',' || c == '\n') {
      sum += x;
      x = 0;
    }
  }
}

// The low 8 * L bits cleared (the L digits of a field sit in the top L bytes of the word); for
// 8 <= L <= 64 all bits kept (only the last 8 digits of such a field are in the word).
struct FieldMasks {
  uint64_t m[65];
};
constexpr FieldMasks MakeFieldMasks() {
  FieldMasks t{};
  t.m[0] = 0;
  for (int L = 1; L < 8; ++L) t.m[L] = ~(~0ULL >> (8 * L));
  for (int L = 8; L <= 64; ++L) t.m[L] = ~0ULL;
  return t;
}
constexpr FieldMasks kFieldMasks = MakeFieldMasks();

// By the distance from the separator before: m[k] is the mask of a field of length k - 1, m[0] = 0
// (length -1: past the last separator).
constexpr FieldMasks MakeStepMasks() {
  FieldMasks t{};
  for (int k = 1; k <= 64; ++k) t.m[k] = kFieldMasks.m[k - 1];
  return t;
}
constexpr FieldMasks kStepMasks = MakeStepMasks();

// The digits of fields of at most 8 digits are summed as words: each field's digit values are
// loaded as one little-endian word right-aligned at its separator (the bytes before it masked to
// 0), and since the conversion to a number is linear, the words are summed per position in 16-bit
// lanes and weighted by powers of ten only when the lanes are flushed: no multiply per field.
// SlowBlock adds each word to DigitAcc (even and odd bytes apart), flushed after kFlushFields
// fields; the fast path sums a block's words bytewise in a vector first (a byte gains at most 9
// per field), then widens them into its own 16-bit lanes, flushed every kFlushBlocks blocks.
constexpr int kPairs = 7;                // fields of the fast path walked without a test: 2 * kPairs
constexpr unsigned kFlushFields = 4096;  // (4096 + 64) * 9 < 2^16
constexpr uint64_t kEven = 0x00FF00FF00FF00FFULL;

struct DigitAcc {
  uint64_t even = 0, odd = 0;
  unsigned fields = 0;
  // Moves a bytewise sum of field words into the 16-bit lanes.
  void AddBytes(uint64_t w) {
    even += w & kEven;
    odd += (w >> 8) & kEven;
  }
  uint64_t Flush() {
    uint64_t v = 0;
    for (int j = 0; j < 4; ++j) {
      v += ((even >> (16 * j)) & 0xffff) * kCsvPow10[7 - 2 * j];
      v += ((odd >> (16 * j)) & 0xffff) * kCsvPow10[6 - 2 * j];
    }
    even = odd = 0;
    fields = 0;
    return v;
  }
};

// The fast path's 16-bit sums per word position, weighted (byte j of a word has weight 10^(7-j)).
constexpr unsigned kFlushBlocks = 200;  // 200 * 33 * 9 < 2^16
static inline uint64_t Flush16(v128_t a) {
  alignas(16) uint16_t t[8];
  wasm_v128_store(t, a);
  uint64_t v = 0;
  for (int j = 0; j < 8; ++j) v += t[j] * kCsvPow10[7 - j];
  return v;
}

// Adds the L digits that end just before q[end] (all digits; q[end - 8 .. end) readable); fields
// of more than 8 digits are converted byte by byte into sum.
static inline void AddField(const uint8_t* q, unsigned end, unsigned L, DigitAcc& acc, uint64_t& sum) {
  if (L <= 8) {
    acc.AddBytes((LoadLE64(q + end - 8) ^ (kOnes * '0')) & kFieldMasks.m[L]);
    if (++acc.fields >= kFlushFields) sum += acc.Flush();
    return;
  }
  uint64_t v = 0;
  for (unsigned i = end - L; i < end; ++i) v = v * 10 + (q[i] - '0');
  sum += v;
}

// Keeps the bytes of keep, in order, then zero bytes (neither digits nor separators).
static inline void Compact(const uint8_t* p, uint64_t keep, uint8_t* out) {
  for (int k = 0; k < 4; ++k) wasm_v128_store(out + 16 * k, wasm_i64x2_splat(0));
  size_t o = 0;
  for (int c = 0; c < 8; ++c) {
    const unsigned m = static_cast<unsigned>(keep >> (8 * c)) & 0xff;
    const v128_t v = wasm_v128_load64_zero(p + 8 * c);
    wasm_v128_store64_lane(out + o, wasm_i8x16_swizzle(v, wasm_v128_load(kCompactTable.idx[m])), 0);
    o += static_cast<size_t>(__builtin_popcount(m));
  }
}

// A block with other bytes than digits and separators, or with a field of more than 8 digits:
// the other bytes are squeezed out first, then the fields are added one by one (AddField). The
// digits after the last separator are left open (as by the fast path) when the block has no other
// bytes, else their value goes to x.
static void SlowBlock(const uint8_t* b, uint64_t D, uint64_t S, uint8_t* squeezed, DigitAcc& acc, uint64_t& sum,
                      uint64_t& x, unsigned& open) {
  const unsigned last = 63u - static_cast<unsigned>(__builtin_clzll(S));
  const uint64_t keep = D | S;
  const uint8_t* q = b;
  uint64_t s = S;
  if (keep != ~0ULL) {
    Compact(b, keep, squeezed + 8);
    q = squeezed + 8;
    uint64_t D2;
    Masks(q, &D2, &s);
  }
  // The first field continues the carried number.
  unsigned pos = static_cast<unsigned>(__builtin_ctzll(s));
  sum += x * kCsvPow10[pos];
  AddField(q, pos, pos, acc, sum);
  unsigned prev = pos;
  s &= s - 1;
  while (s != 0) {
    pos = static_cast<unsigned>(__builtin_ctzll(s));
    AddField(q, pos, pos - prev - 1, acc, sum);
    prev = pos;
    s &= s - 1;
  }
  x = 0;
  if (keep == ~0ULL) {
    open = 63u - last;
    return;
  }
  for (unsigned t = last + 1; t < 64; ++t) {
    const unsigned c = b[t] - '0';
    if (c < 10u) x = x * 10 + c;
  }
}

// Each 64-byte block is classified (Masks). A block of only digits and separators whose fields
// have at most 8 digits (its first field counted with the digits left open by the block before)
// takes the fast path: its separators are walked with ctz, and for each the 8 bytes ending there
// are loaded as a word, turned into digit values and masked to the field's digits (by the
// field's length); the first field's word may reach back into the block before, whose last bytes
// are then its open digits. Fields go two per step into the two halves of a vector of byte sums
// (alternate fields, so that a byte gains at most 22 fields of one block: 22 * 9 < 256), which
// is widened into 16-bit sums per position after the block. No multiply per field, no value of
// the open number (the digits after a fast block's last separator stay where they are, open counts
// them, for the next block's first field), and for the usual block no data-dependent branch: the
// first 2 * kPairs fields are walked unconditionally.
// Other blocks take SlowBlock, blocks without a separator the byte loop; before them the open
// digits are folded into x, the number carried, which meets the next separator after k0 more
// digits: x * 10^k0 is added.
// p - 8 .. p must be readable (the digits of a field read as an 8-byte word ending at its separator).
static void FieldSum(const uint8_t* p, size_t n, CsvState* st) {
  uint64_t sum = st->sum, x = st->x;
  unsigned open = 0;  // the digits just before the block, after its last separator
  // The number carried: x, then the open digits (x is 0 whenever open is not).
  auto fold = [&](const uint8_t* b) {
    for (const uint8_t* q = b - open; q < b; ++q) x = x * 10 + (*q - '0');
    open = 0;
  };
  DigitAcc acc;
  v128_t acc16 = wasm_i64x2_splat(0);  // the fast path's sums per word position (0: highest digit)
  unsigned blocks = 0;
  const v128_t ascii0 = wasm_i8x16_splat('0');
  alignas(16) uint8_t squeezed[8 + 64 + 16] = {};
  size_t i = 0;
  // The masks of each block are made one block ahead: the loads and compares of the next block
  // are under way while this one's fields are walked, and do not wait for the walk's last branch.
  uint64_t Dnext = 0, Snext = 0;
  if (n >= 64) Masks(p, &Dnext, &Snext);
  uint64_t before = 0;  // S of the block before (0 at the start of a call: unknown)
  for (; i + 64 <= n; i += 64) {
    const uint8_t* const b = p + i;
    const uint64_t D = Dnext, S0 = Snext;
    if (i + 128 <= n) Masks(b + 64, &Dnext, &Snext);
    const uint64_t after = i + 128 <= n ? Snext : 0;
    // Other bytes next to a separator (a CR before LF, a space after a comma) count as separators
    // here: the seed loop would add the same number at the separator, and 0 at each of them.
    uint64_t S = S0;
    const uint64_t O = ~(D | S0);
    if (O != 0 && (O & ~((S0 << 1) | (before >> 63) | (S0 >> 1) | (after << 63))) == 0) S = S0 | O;
    before = S0;
    if (S == 0) {
      fold(b);
      SeedBytes(b, 64, sum, x);
      continue;
    }
    const unsigned first = static_cast<unsigned>(__builtin_ctzll(S));
    const unsigned last = 63u - static_cast<unsigned>(__builtin_clzll(S));
    // The digits up to the last separator; r: bit i set where 9 of them start a run.
    const uint64_t Dn = D & ((2ULL << last) - 1);
    uint64_t r = Dn & (Dn >> 1);
    r &= r >> 2;
    r &= r >> 4;
    r &= Dn >> 8;
    if ((D | S) != ~0ULL || r != 0 || first + open > 8) {
      fold(b);
      if (S0 == 0) SeedBytes(b, 64, sum, x);
      else SlowBlock(b, D, S0, squeezed, acc, sum, x, open);
      continue;
    }
    sum += x * kCsvPow10[first + open];
    x = 0;
    // Two fields per step, one in each half of a vector: their words (the 8 bytes ending at their
    // separators) and their masks (by the distance from the separator before) go to lanes 0 and 1.
    // The first kPairs steps run unconditionally (a loop that ends after a varying number of steps
    // costs a mispredicted branch per block). Past the last separator ctz(0) = 64: the first such
    // field is the block's last 8 bytes masked to the open digits (taken back below), the later
    // ones have distance 0 (mask 0).
    uint64_t s = S;
    v128_t w = wasm_i64x2_splat(0);
    unsigned prev = ~open;  // the separator before the field (-1 - open for the first)
    unsigned steps = 0;
    auto pair = [&] {
      const unsigned p1 = Ctz64(s);
      s &= s - 1;
      const unsigned p2 = Ctz64(s);
      s &= s - 1;
      v128_t v = wasm_v128_load64_zero(b + p1 - 8);
      v = wasm_v128_load64_lane(b + p2 - 8, v, 1);
      v128_t m = wasm_v128_load64_zero(&kStepMasks.m[p1 - prev]);
      m = wasm_v128_load64_lane(&kStepMasks.m[p2 - p1], m, 1);
      w = wasm_i8x16_add(w, wasm_v128_and(wasm_v128_xor(v, ascii0), m));
      prev = p2;
      steps += 2;
    };
    for (int k = 0; k < kPairs; ++k) pair();
    while (s != 0) pair();
    const unsigned tail = 63u - last;
    const uint64_t extra = ((LoadLE64(b + 56) ^ (kOnes * '0')) & kFieldMasks.m[tail]) &
                           (0 - static_cast<uint64_t>(steps > static_cast<unsigned>(__builtin_popcountll(S))));
    // Each byte of w took at most 22 fields (alternate ones) and the extra word: no carry. Widen
    // per position (lane 0 and 1 hold the same positions).
    acc16 = wasm_i16x8_add(acc16, wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(w), wasm_u16x8_extend_high_u8x16(w)));
    acc16 = wasm_i16x8_sub(acc16, wasm_u16x8_extend_low_u8x16(wasm_i64x2_splat(static_cast<int64_t>(extra))));
    // A 16-bit lane gains at most 33 * 9 per block (32 fields with a digit, the extra word).
    if (++blocks == kFlushBlocks) {
      sum += Flush16(acc16);
      acc16 = wasm_i64x2_splat(0);
      blocks = 0;
    }
    open = 63u - last;
  }
  fold(p + i);
  sum += acc.Flush() + Flush16(acc16);
  SeedBytes(p + i, n - i, sum, x);
  st->sum = sum;
  st->x = x;
}

}  // namespace
}  // namespace mmapkit::sys

namespace {
constexpr size_t kCapacity = size_t{1} << 20;
// 16 bytes before the input: the first field of a chunk is read as a word ending at its separator.
alignas(16) uint8_t g_area[16 + kCapacity + 64];
uint8_t* const g_input = g_area + 16;
mmapkit::sys::CsvState g_state;
}  // namespace

extern "C" {
__attribute__((export_name("csv_buffer"))) uint8_t* csv_buffer() { return g_input; }
__attribute__((export_name("csv_capacity"))) uint32_t csv_capacity() { return kCapacity; }
__attribute__((export_name("csv_state"))) mmapkit::sys::CsvState* csv_state() { return &g_state; }
__attribute__((export_name("csv_run"))) void csv_run(uint32_t n) {
  mmapkit::sys::FieldSum(g_input, n > kCapacity ? kCapacity : n, &g_state);
}
}
