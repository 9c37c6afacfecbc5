// Register windows: a shared mapping of a device file (/dev/mem, /dev/gpiomem, /dev/uioN, a PCI
// BAR resource file) or any file, exposing an exact byte range that need not be page-aligned.
// Accessors are out-of-line functions, each one volatile load or store of exactly its width, so
// the compiler can neither split nor merge them (test/regs.asm.test.ts disassembles the built
// addon and checks each one's instructions). Plain C++ returning errno values: no Node-API here.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {
// One access each. addr must be aligned to the width; the caller checks.
uint8_t mmapkit_mmio_read8(const volatile void* addr);
uint16_t mmapkit_mmio_read16(const volatile void* addr);
uint32_t mmapkit_mmio_read32(const volatile void* addr);
uint64_t mmapkit_mmio_read64(const volatile void* addr);
void mmapkit_mmio_write8(volatile void* addr, uint8_t value);
void mmapkit_mmio_write16(volatile void* addr, uint16_t value);
void mmapkit_mmio_write32(volatile void* addr, uint32_t value);
void mmapkit_mmio_write64(volatile void* addr, uint64_t value);
// The barriers of sys/barriers.h as out-of-line functions, so their instructions can be checked.
void mmapkit_barrier_compiler(void);
void mmapkit_barrier_full(void);
void mmapkit_barrier_store(void);
void mmapkit_barrier_load(void);
void mmapkit_barrier_dsb_sy(void);
void mmapkit_barrier_dsb_st(void);
}

namespace mmapkit::sys {

struct RegisterMap {
  void* base = nullptr;      // page-aligned start of the mapping (nullptr when closed)
  size_t map_length = 0;     // bytes mapped (whole pages)
  uint8_t* start = nullptr;  // first byte of the requested range
  size_t length = 0;         // bytes in the requested range
  size_t page_offset = 0;    // start - base
  unsigned file_type = 0;    // st_mode & S_IFMT of the file opened (set when mapping fails too)
};

// Opens path and maps [offset, offset + length) of it shared, read-only or read-write. On failure
// returns an errno value and sets *syscall to the call that failed ("open", "fstat" or "mmap"). The
// open never blocks (O_NONBLOCK: a FIFO without a writer would wait in open(2)); a FIFO or socket
// is refused with ENODEV before mmap, with out->file_type saying which it is.
int MapRegisters(const char* path, uint64_t offset, size_t length, bool writable, RegisterMap* out,
                 const char** syscall);

// Unmaps; safe to call twice. Returns 0 or an errno value.
int UnmapRegisters(RegisterMap* map);

size_t PageSize();

}  // namespace mmapkit::sys
