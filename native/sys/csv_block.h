// The block loop shared by the vector CSV-sum methods. Not a stand-alone header: csv.cc includes
// it once inside each instruction-set namespace, after defining there
//   struct Vec;                                   64 bytes of digit values (byte - '0')
//   void Load(const uint8_t* p, Vec* d, uint64_t* D, uint64_t* S);
//       D: bit i set when byte i is '0'..'9'; S: bit i set when byte i is ',' or '\n'
//   bool Compact(const uint8_t* block, uint64_t keep, Vec* d, uint64_t* D, uint64_t* S);
//       squeezes the bytes not in keep out of d, D and S (false when the ISA cannot)
//   Vec Scale10(uint64_t mask, const Vec& d);
//       the per-lane factor: d times 10 in the lanes of mask (AVX-512: the weights 10 / 1)
//   struct Accs { void Zero(); void Flush(); uint64_t Lanes(int j) const; };   8 accumulators
//   void AccAdd(Accs& a, int j, uint64_t mask, const Vec& e, const Vec& d);
//       a[j] += sum over the lanes of mask of e (AVX-512 VNNI: of d * e, with vpdpbusd)
//   constexpr size_t kFlushBlocks;   blocks after which Flush() widens 32-bit accumulators
// and, before the include, TailValue8 / TailValue(block, L) (in csv.cc): the value of a block's
// last L bytes, all digits, L <= 8 / L <= 16.
//
// How it works. With wrapping arithmetic, the seed loop's value of a number with digits
// d_0 .. d_{L-1} is sum(d_i * 10^(L-1-i)) mod 2^64, so the sum of a block's finished numbers is
// the sum over its digits of d * 10^k, k = the number of digits after it in its number. k comes
// from bit masks: M_j (digits followed by at least j more digits of the same number) is
// M_(j-1) & (D >> j), and k = the number of M_j holding the digit. Writing k = 2a + b, each digit
// becomes e = d * 10^b (at most 90, still a byte) and the block adds sum over a of 100^a * (sum
// of e over the digits with that a): one masked byte sum per a, accumulated in vector registers
// and weighted once at the end. A block takes this path when its numbers have at most 8 digits
// (4 groups) or 16 digits (8 groups); blocks with longer numbers, without a separator, or with
// other bytes the ISA cannot squeeze out go through the byte loop (AVX-512 squeezes with
// vpcompressb, AVX2 and NEON with a byte-shuffle table). The number left open at the
// block's end (the digits after its last separator) is carried in x; the carried x meets the
// block's first separator after k0 more digits and adds x * 10^k0.

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

static void BlockSum(const uint8_t* p, size_t n, CsvState* st) {
  uint64_t sum = st->sum, x = st->x;
  Accs acc;
  acc.Zero();
  size_t blocks = 0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    Vec d;
    uint64_t D, S;
    Load(p + i, &d, &D, &S);
    if (S == 0) {
      SeedBytes(p + i, 64, sum, x);
      continue;
    }
    const unsigned first = static_cast<unsigned>(__builtin_ctzll(S));
    const unsigned last = 63u - static_cast<unsigned>(__builtin_clzll(S));
    const unsigned k0 = static_cast<unsigned>(__builtin_popcountll(D & ((1ULL << first) - 1)));
    uint64_t Dn;
    const uint64_t keep = D | S;
    if (keep == ~0ULL) {
      Dn = D & ((2ULL << last) - 1);
    } else {
      uint64_t Dc = D, Sc = S;
      if (!Compact(p + i, keep, &d, &Dc, &Sc)) {
        SeedBytes(p + i, 64, sum, x);
        continue;
      }
      Dn = Dc & ((2ULL << (63u - static_cast<unsigned>(__builtin_clzll(Sc)))) - 1);
    }
    uint64_t M[17];
    M[0] = Dn;
    uint64_t m = Dn;
    for (int j = 1; j <= 8; ++j) {
      m &= Dn >> j;
      M[j] = m;
    }
    if (M[8] == 0) {
      const uint64_t odd = M[1] ^ M[2] ^ M[3] ^ M[4] ^ M[5] ^ M[6] ^ M[7];
      const Vec e = Scale10(odd, d);
      for (int a = 0; a < 4; ++a) AccAdd(acc, a, M[2 * a] & ~M[2 * a + 2], e, d);
    } else {
      for (int j = 9; j <= 16; ++j) {
        m &= Dn >> j;
        M[j] = m;
      }
      if (M[16] != 0) {
        SeedBytes(p + i, 64, sum, x);
        continue;
      }
      uint64_t odd = 0;
      for (int j = 1; j < 16; ++j) odd ^= M[j];
      const Vec e = Scale10(odd, d);
      for (int a = 0; a < 8; ++a) AccAdd(acc, a, M[2 * a] & ~M[2 * a + 2], e, d);
    }
    if (kFlushBlocks != ~size_t{0} && ++blocks == kFlushBlocks) {
      acc.Flush();
      blocks = 0;
    }
    sum += x * kCsvPow10[k0];
    const unsigned tail = 63u - last;
    if (keep == ~0ULL && tail <= 8) {
      x = TailValue8(p + i, tail);
    } else if (keep == ~0ULL && tail <= 16) {
      x = TailValue(p + i, tail);
    } else {
      x = 0;
      for (unsigned t = last + 1; t < 64; ++t) {
        const unsigned c = p[i + t] - '0';
        if (c < 10u) x = x * 10 + c;
      }
    }
  }
  SeedBytes(p + i, n - i, sum, x);
  acc.Flush();
  uint64_t w = 1;
  for (int a = 0; a < 8; ++a) {
    sum += w * acc.Lanes(a);
    w *= 100;
  }
  st->sum = sum;
  st->x = x;
}
