// The kernel's numbers as the system headers define them when the addon is compiled: the flags and
// values lib/ passes to mmap, mprotect, msync, madvise, memfd_create, fcntl(F_ADD_SEALS), mlock2,
// open and shm_open. Exported as `constants`, an object from C name to number; lib/constants.ts
// builds its tables from it, with Linux's generic values as the fallback for a name the headers
// lack (an older C library) and for platforms without the addon.
#include <fcntl.h>
#include <sys/mman.h>
// After <sys/mman.h>: the kernel's own header adds what an older C library lacks (MADV_COLLAPSE),
// and repeats the rest with the same values.
#include <linux/mman.h>

#include "binding/module.h"

namespace mmapkit {
namespace {

void Put(Napi::Env env, Napi::Object out, const char* name, long value) {
  out.Set(name, Napi::Number::New(env, static_cast<double>(value)));
}

void InitConstants(Napi::Env env, Napi::Object exports) {
  Napi::Object out = Napi::Object::New(env);
#ifdef PROT_NONE
  Put(env, out, "PROT_NONE", PROT_NONE);
#endif
#ifdef PROT_READ
  Put(env, out, "PROT_READ", PROT_READ);
#endif
#ifdef PROT_WRITE
  Put(env, out, "PROT_WRITE", PROT_WRITE);
#endif
#ifdef PROT_EXEC
  Put(env, out, "PROT_EXEC", PROT_EXEC);
#endif
#ifdef MAP_SHARED
  Put(env, out, "MAP_SHARED", MAP_SHARED);
#endif
#ifdef MAP_PRIVATE
  Put(env, out, "MAP_PRIVATE", MAP_PRIVATE);
#endif
#ifdef MAP_SHARED_VALIDATE
  Put(env, out, "MAP_SHARED_VALIDATE", MAP_SHARED_VALIDATE);
#endif
#ifdef MAP_FIXED
  Put(env, out, "MAP_FIXED", MAP_FIXED);
#endif
#ifdef MAP_ANONYMOUS
  Put(env, out, "MAP_ANONYMOUS", MAP_ANONYMOUS);
#endif
#ifdef MAP_NORESERVE
  Put(env, out, "MAP_NORESERVE", MAP_NORESERVE);
#endif
#ifdef MAP_POPULATE
  Put(env, out, "MAP_POPULATE", MAP_POPULATE);
#endif
#ifdef MAP_HUGETLB
  Put(env, out, "MAP_HUGETLB", MAP_HUGETLB);
#endif
#ifdef MAP_FIXED_NOREPLACE
  Put(env, out, "MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE);
#endif
#ifdef MAP_LOCKED
  Put(env, out, "MAP_LOCKED", MAP_LOCKED);
#endif
#ifdef MREMAP_MAYMOVE
  Put(env, out, "MREMAP_MAYMOVE", MREMAP_MAYMOVE);
#endif
#ifdef MREMAP_FIXED
  Put(env, out, "MREMAP_FIXED", MREMAP_FIXED);
#endif
#ifdef MREMAP_DONTUNMAP
  Put(env, out, "MREMAP_DONTUNMAP", MREMAP_DONTUNMAP);
#endif
#ifdef MS_ASYNC
  Put(env, out, "MS_ASYNC", MS_ASYNC);
#endif
#ifdef MS_INVALIDATE
  Put(env, out, "MS_INVALIDATE", MS_INVALIDATE);
#endif
#ifdef MS_SYNC
  Put(env, out, "MS_SYNC", MS_SYNC);
#endif
#ifdef MADV_NORMAL
  Put(env, out, "MADV_NORMAL", MADV_NORMAL);
#endif
#ifdef MADV_RANDOM
  Put(env, out, "MADV_RANDOM", MADV_RANDOM);
#endif
#ifdef MADV_SEQUENTIAL
  Put(env, out, "MADV_SEQUENTIAL", MADV_SEQUENTIAL);
#endif
#ifdef MADV_WILLNEED
  Put(env, out, "MADV_WILLNEED", MADV_WILLNEED);
#endif
#ifdef MADV_DONTNEED
  Put(env, out, "MADV_DONTNEED", MADV_DONTNEED);
#endif
#ifdef MADV_FREE
  Put(env, out, "MADV_FREE", MADV_FREE);
#endif
#ifdef MADV_REMOVE
  Put(env, out, "MADV_REMOVE", MADV_REMOVE);
#endif
#ifdef MADV_DONTFORK
  Put(env, out, "MADV_DONTFORK", MADV_DONTFORK);
#endif
#ifdef MADV_DOFORK
  Put(env, out, "MADV_DOFORK", MADV_DOFORK);
#endif
#ifdef MADV_MERGEABLE
  Put(env, out, "MADV_MERGEABLE", MADV_MERGEABLE);
#endif
#ifdef MADV_UNMERGEABLE
  Put(env, out, "MADV_UNMERGEABLE", MADV_UNMERGEABLE);
#endif
#ifdef MADV_HUGEPAGE
  Put(env, out, "MADV_HUGEPAGE", MADV_HUGEPAGE);
#endif
#ifdef MADV_NOHUGEPAGE
  Put(env, out, "MADV_NOHUGEPAGE", MADV_NOHUGEPAGE);
#endif
#ifdef MADV_DONTDUMP
  Put(env, out, "MADV_DONTDUMP", MADV_DONTDUMP);
#endif
#ifdef MADV_DODUMP
  Put(env, out, "MADV_DODUMP", MADV_DODUMP);
#endif
#ifdef MADV_WIPEONFORK
  Put(env, out, "MADV_WIPEONFORK", MADV_WIPEONFORK);
#endif
#ifdef MADV_KEEPONFORK
  Put(env, out, "MADV_KEEPONFORK", MADV_KEEPONFORK);
#endif
#ifdef MADV_COLD
  Put(env, out, "MADV_COLD", MADV_COLD);
#endif
#ifdef MADV_PAGEOUT
  Put(env, out, "MADV_PAGEOUT", MADV_PAGEOUT);
#endif
#ifdef MADV_POPULATE_READ
  Put(env, out, "MADV_POPULATE_READ", MADV_POPULATE_READ);
#endif
#ifdef MADV_POPULATE_WRITE
  Put(env, out, "MADV_POPULATE_WRITE", MADV_POPULATE_WRITE);
#endif
#ifdef MADV_COLLAPSE
  Put(env, out, "MADV_COLLAPSE", MADV_COLLAPSE);
#endif
#ifdef MFD_CLOEXEC
  Put(env, out, "MFD_CLOEXEC", MFD_CLOEXEC);
#endif
#ifdef MFD_ALLOW_SEALING
  Put(env, out, "MFD_ALLOW_SEALING", MFD_ALLOW_SEALING);
#endif
#ifdef MFD_HUGETLB
  Put(env, out, "MFD_HUGETLB", MFD_HUGETLB);
#endif
#ifdef F_SEAL_SEAL
  Put(env, out, "F_SEAL_SEAL", F_SEAL_SEAL);
#endif
#ifdef F_SEAL_SHRINK
  Put(env, out, "F_SEAL_SHRINK", F_SEAL_SHRINK);
#endif
#ifdef F_SEAL_GROW
  Put(env, out, "F_SEAL_GROW", F_SEAL_GROW);
#endif
#ifdef F_SEAL_WRITE
  Put(env, out, "F_SEAL_WRITE", F_SEAL_WRITE);
#endif
#ifdef F_SEAL_FUTURE_WRITE
  Put(env, out, "F_SEAL_FUTURE_WRITE", F_SEAL_FUTURE_WRITE);
#endif
#ifdef MCL_CURRENT
  Put(env, out, "MCL_CURRENT", MCL_CURRENT);
#endif
#ifdef MCL_FUTURE
  Put(env, out, "MCL_FUTURE", MCL_FUTURE);
#endif
#ifdef MCL_ONFAULT
  Put(env, out, "MCL_ONFAULT", MCL_ONFAULT);
#endif
#ifdef MLOCK_ONFAULT
  Put(env, out, "MLOCK_ONFAULT", MLOCK_ONFAULT);
#endif
#ifdef O_RDONLY
  Put(env, out, "O_RDONLY", O_RDONLY);
#endif
#ifdef O_WRONLY
  Put(env, out, "O_WRONLY", O_WRONLY);
#endif
#ifdef O_RDWR
  Put(env, out, "O_RDWR", O_RDWR);
#endif
#ifdef O_CREAT
  Put(env, out, "O_CREAT", O_CREAT);
#endif
#ifdef O_EXCL
  Put(env, out, "O_EXCL", O_EXCL);
#endif
#ifdef O_TRUNC
  Put(env, out, "O_TRUNC", O_TRUNC);
#endif
#ifdef O_NONBLOCK
  Put(env, out, "O_NONBLOCK", O_NONBLOCK);
#endif
#ifdef O_CLOEXEC
  Put(env, out, "O_CLOEXEC", O_CLOEXEC);
#endif
#ifdef O_NOCTTY
  Put(env, out, "O_NOCTTY", O_NOCTTY);
#endif
#ifdef O_SYNC
  Put(env, out, "O_SYNC", O_SYNC);
#endif
#ifdef O_DSYNC
  Put(env, out, "O_DSYNC", O_DSYNC);
#endif
  out.Freeze();
  exports.Set("constants", out);
}

}  // namespace

MMAPKIT_MODULE(InitConstants);

}  // namespace mmapkit
