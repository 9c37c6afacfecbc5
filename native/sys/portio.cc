#include "sys/portio.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <sys/io.h>
#define MMAPKIT_HAS_PORT_INSNS 1
#else
#define MMAPKIT_HAS_PORT_INSNS 0
#endif

namespace mmapkit::sys {

int DevPortRead(int fd, uint32_t port, int bytes, uint32_t* value) {
  uint8_t buf[4] = {0, 0, 0, 0};
  ssize_t n = pread(fd, buf, static_cast<size_t>(bytes), static_cast<off_t>(port));
  if (n < 0) return errno;
  if (n != bytes) return EIO;
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | buf[i];  // little-endian, like inw/inl
  *value = v;
  return 0;
}

int DevPortWrite(int fd, uint32_t port, int bytes, uint32_t value) {
  uint8_t buf[4];
  for (int i = 0; i < bytes; ++i) buf[i] = static_cast<uint8_t>(value >> (8 * i));
  ssize_t n = pwrite(fd, buf, static_cast<size_t>(bytes), static_cast<off_t>(port));
  if (n < 0) return errno;
  if (n != bytes) return EIO;
  return 0;
}

bool HasPortInstructions() { return MMAPKIT_HAS_PORT_INSNS != 0; }

#if MMAPKIT_HAS_PORT_INSNS
namespace {
thread_local uint8_t g_granted[0x400 / 8];  // ioperm() bitmap mirror for ports below 0x400
thread_local bool g_iopl = false;
}  // namespace

int GrantPorts(uint32_t port, int bytes) {
  const uint32_t end = port + static_cast<uint32_t>(bytes);
  if (g_iopl) return 0;
  if (end <= 0x400) {
    bool all = true;
    for (uint32_t p = port; p < end; ++p) all = all && (g_granted[p / 8] & (1u << (p % 8)));
    if (all) return 0;
    if (ioperm(port, static_cast<unsigned long>(bytes), 1) != 0) return errno;
    for (uint32_t p = port; p < end; ++p) g_granted[p / 8] |= static_cast<uint8_t>(1u << (p % 8));
    return 0;
  }
  if (iopl(3) != 0) return errno;
  g_iopl = true;
  return 0;
}

uint32_t PortIn(uint32_t port, int bytes) {
  const uint16_t p = static_cast<uint16_t>(port);
  if (bytes == 1) return inb(p);
  if (bytes == 2) return inw(p);
  return inl(p);
}

void PortOut(uint32_t port, int bytes, uint32_t value) {
  const uint16_t p = static_cast<uint16_t>(port);
  if (bytes == 1) outb(static_cast<uint8_t>(value), p);
  else if (bytes == 2) outw(static_cast<uint16_t>(value), p);
  else outl(value, p);
}
#else
int GrantPorts(uint32_t, int) { return ENOSYS; }
uint32_t PortIn(uint32_t, int) { return 0xffffffffu; }
void PortOut(uint32_t, int, uint32_t) {}
#endif

}  // namespace mmapkit::sys
