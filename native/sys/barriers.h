// Memory barriers as functions. Each compiles to the architecture's fence instruction:
//   x86-64:  full = mfence, store = sfence, load = lfence; dsb_sy = mfence, dsb_st = sfence
//   AArch64: full = dmb ish, store = dmb ishst, load = dmb ishld; dsb_sy = dsb sy, dsb_st = dsb st
//   ARMv7:   full = dmb ish, store = dmb ishst, load = dmb ish (no ishld); dsb_sy = dsb sy,
//            dsb_st = dsb st
// Every one is also a compiler barrier ("memory" clobber). Plain C++: no Node-API here.
#pragma once

namespace mmapkit::sys {

inline void CompilerBarrier() { __asm__ __volatile__("" ::: "memory"); }

#if defined(__x86_64__) || defined(__i386__)
inline void FullBarrier() { __asm__ __volatile__("mfence" ::: "memory"); }
inline void StoreBarrier() { __asm__ __volatile__("sfence" ::: "memory"); }
inline void LoadBarrier() { __asm__ __volatile__("lfence" ::: "memory"); }
inline void DsbSy() { __asm__ __volatile__("mfence" ::: "memory"); }
inline void DsbSt() { __asm__ __volatile__("sfence" ::: "memory"); }
#define MMAPKIT_BARRIER_ARCH "x86-64"
#elif defined(__aarch64__)
inline void FullBarrier() { __asm__ __volatile__("dmb ish" ::: "memory"); }
inline void StoreBarrier() { __asm__ __volatile__("dmb ishst" ::: "memory"); }
inline void LoadBarrier() { __asm__ __volatile__("dmb ishld" ::: "memory"); }
inline void DsbSy() { __asm__ __volatile__("dsb sy" ::: "memory"); }
inline void DsbSt() { __asm__ __volatile__("dsb st" ::: "memory"); }
#define MMAPKIT_BARRIER_ARCH "aarch64"
#elif defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
inline void FullBarrier() { __asm__ __volatile__("dmb ish" ::: "memory"); }
inline void StoreBarrier() { __asm__ __volatile__("dmb ishst" ::: "memory"); }
inline void LoadBarrier() { __asm__ __volatile__("dmb ish" ::: "memory"); }
inline void DsbSy() { __asm__ __volatile__("dsb sy" ::: "memory"); }
inline void DsbSt() { __asm__ __volatile__("dsb st" ::: "memory"); }
#define MMAPKIT_BARRIER_ARCH "armv7"
#else
inline void FullBarrier() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void StoreBarrier() { __atomic_thread_fence(__ATOMIC_RELEASE); }
inline void LoadBarrier() { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
inline void DsbSy() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void DsbSt() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
#define MMAPKIT_BARRIER_ARCH "generic"
#endif

}  // namespace mmapkit::sys
