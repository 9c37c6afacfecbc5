// Port I/O: the x86 I/O port space, through /dev/port (pread/pwrite at offset = port; the kernel
// does one byte-wide in/out per byte) or, on x86, through ioperm()/iopl() and the in/out
// instructions of the access's width. Plain C++ returning errno values: no Node-API here.
#pragma once
#include <cstdint>

namespace mmapkit::sys {

// /dev/port: fd is an open descriptor of /dev/port. bytes is 1, 2 or 4. Returns 0 or an errno
// value (EIO for a short transfer).
int DevPortRead(int fd, uint32_t port, int bytes, uint32_t* value);
int DevPortWrite(int fd, uint32_t port, int bytes, uint32_t value);

// Whether this build can use the in/out instructions (x86 only).
bool HasPortInstructions();

// Grants the calling thread access to [port, port + bytes): ioperm() below 0x400, iopl(3) above.
// Returns 0 or an errno value (EPERM without CAP_SYS_RAWIO, ENOSYS off x86).
int GrantPorts(uint32_t port, int bytes);

// One in/out instruction of the given width; the port must have been granted.
uint32_t PortIn(uint32_t port, int bytes);
void PortOut(uint32_t port, int bytes, uint32_t value);

}  // namespace mmapkit::sys
