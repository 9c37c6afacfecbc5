// The GPIO character device through the uAPI v2 ioctls of <linux/gpio.h>. See gpio_cdev.h.
#include "sys/gpio_cdev.h"

#include <cerrno>
#include <cstring>

#ifdef __linux__
#include <fcntl.h>
#include <linux/gpio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#endif

namespace mmapkit {
namespace gpio {

#if defined(__linux__) && defined(GPIO_V2_GET_LINE_IOCTL)

namespace {

// Copies a fixed-size, maybe unterminated kernel string.
std::string Field(const char* s, size_t n) { return std::string(s, strnlen(s, n)); }

int Ioctl(int fd, unsigned long req, void* arg) {
  for (;;) {
    if (ioctl(fd, req, arg) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

void ToLineInfo(const gpio_v2_line_info& k, LineInfo* out) {
  out->name = Field(k.name, sizeof k.name);
  out->consumer = Field(k.consumer, sizeof k.consumer);
  out->offset = k.offset;
  out->flags = k.flags;
  out->debounce_us = 0;
  for (uint32_t i = 0; i < k.num_attrs && i < GPIO_V2_LINE_NUM_ATTRS_MAX; i++) {
    if (k.attrs[i].id == GPIO_V2_LINE_ATTR_ID_DEBOUNCE) out->debounce_us = k.attrs[i].debounce_period_us;
  }
}

int ToKernelConfig(const LineConfig& c, gpio_v2_line_config* k) {
  if (c.num_attrs > kMaxAttrs) return EINVAL;
  memset(k, 0, sizeof *k);
  k->flags = c.flags;
  k->num_attrs = c.num_attrs;
  for (uint32_t i = 0; i < c.num_attrs; i++) {
    gpio_v2_line_config_attribute& a = k->attrs[i];
    a.mask = c.attrs[i].mask;
    switch (c.attrs[i].kind) {
      case 1:
        a.attr.id = GPIO_V2_LINE_ATTR_ID_FLAGS;
        a.attr.flags = c.attrs[i].value;
        break;
      case 2:
        a.attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
        a.attr.values = c.attrs[i].value;
        break;
      case 3:
        if (c.attrs[i].value > UINT32_MAX) return EINVAL;
        a.attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE;
        a.attr.debounce_period_us = static_cast<uint32_t>(c.attrs[i].value);
        break;
      default: return EINVAL;
    }
  }
  return 0;
}

// Reads whole records of `size` bytes from a non-blocking descriptor into buf (room for max).
int ReadRecords(int fd, void* buf, size_t size, size_t max, size_t* count) {
  *count = 0;
  if (max == 0) return 0;
  for (;;) {
    ssize_t n = read(fd, buf, size * max);
    if (n >= 0) {
      *count = static_cast<size_t>(n) / size;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return errno;
  }
}

}  // namespace

int OpenChip(const char* path, int* fd) {
  int f = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (f < 0) return errno;
  // Only a GPIO chip answers this ioctl: refuse any other file early with ENOTTY.
  gpiochip_info info;
  int err = Ioctl(f, GPIO_GET_CHIPINFO_IOCTL, &info);
  if (err != 0) {
    close(f);
    return err;
  }
  *fd = f;
  return 0;
}

int CloseFd(int fd) { return close(fd) == 0 ? 0 : errno; }

int GetChipInfo(int fd, ChipInfo* out) {
  gpiochip_info info;
  memset(&info, 0, sizeof info);
  int err = Ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &info);
  if (err != 0) return err;
  out->name = Field(info.name, sizeof info.name);
  out->label = Field(info.label, sizeof info.label);
  out->lines = info.lines;
  return 0;
}

int GetLineInfo(int fd, uint32_t offset, LineInfo* out) {
  gpio_v2_line_info info;
  memset(&info, 0, sizeof info);
  info.offset = offset;
  int err = Ioctl(fd, GPIO_V2_GET_LINEINFO_IOCTL, &info);
  if (err != 0) return err;
  ToLineInfo(info, out);
  return 0;
}

int WatchLineInfo(int fd, uint32_t offset, bool watch, LineInfo* out) {
  if (!watch) {
    uint32_t o = offset;
    return Ioctl(fd, GPIO_GET_LINEINFO_UNWATCH_IOCTL, &o);
  }
  gpio_v2_line_info info;
  memset(&info, 0, sizeof info);
  info.offset = offset;
  int err = Ioctl(fd, GPIO_V2_GET_LINEINFO_WATCH_IOCTL, &info);
  if (err != 0) return err;
  ToLineInfo(info, out);
  return 0;
}

int RequestLines(int chip_fd, const uint32_t* offsets, uint32_t count, const char* consumer, const LineConfig& config,
                 uint32_t event_buffer_size, int* req_fd) {
  if (count == 0 || count > kMaxLines) return EINVAL;
  gpio_v2_line_request req;
  memset(&req, 0, sizeof req);
  for (uint32_t i = 0; i < count; i++) req.offsets[i] = offsets[i];
  strncpy(req.consumer, consumer, sizeof req.consumer - 1);
  int err = ToKernelConfig(config, &req.config);
  if (err != 0) return err;
  req.num_lines = count;
  req.event_buffer_size = event_buffer_size;
  err = Ioctl(chip_fd, GPIO_V2_GET_LINE_IOCTL, &req);
  if (err != 0) return err;
  int fd = req.fd;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
    err = errno;
    close(fd);
    return err;
  }
  *req_fd = fd;
  return 0;
}

int SetLineConfig(int req_fd, const LineConfig& config) {
  gpio_v2_line_config k;
  int err = ToKernelConfig(config, &k);
  if (err != 0) return err;
  return Ioctl(req_fd, GPIO_V2_LINE_SET_CONFIG_IOCTL, &k);
}

int GetValues(int req_fd, uint64_t mask, uint64_t* bits) {
  gpio_v2_line_values v;
  v.mask = mask;
  v.bits = 0;
  int err = Ioctl(req_fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v);
  if (err != 0) return err;
  *bits = v.bits & mask;
  return 0;
}

int SetValues(int req_fd, uint64_t mask, uint64_t bits) {
  gpio_v2_line_values v;
  v.mask = mask;
  v.bits = bits & mask;
  return Ioctl(req_fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v);
}

int ReadEvents(int req_fd, LineEvent* out, size_t max, size_t* count) {
  gpio_v2_line_event buf[16];
  size_t done = 0;
  while (done < max) {
    size_t want = max - done < 16 ? max - done : 16;
    size_t got = 0;
    int err = ReadRecords(req_fd, buf, sizeof buf[0], want, &got);
    if (err != 0) {
      if (done > 0) break;  // report what was read; the error comes back on the next call
      return err;
    }
    for (size_t i = 0; i < got; i++) {
      out[done + i] = LineEvent{buf[i].timestamp_ns, buf[i].id, buf[i].offset, buf[i].seqno, buf[i].line_seqno};
    }
    done += got;
    if (got < want) break;
  }
  *count = done;
  return 0;
}

int ReadInfoChanged(int chip_fd, LineInfoChanged* out, size_t max, size_t* count) {
  gpio_v2_line_info_changed buf[4];
  size_t done = 0;
  while (done < max) {
    size_t want = max - done < 4 ? max - done : 4;
    size_t got = 0;
    int err = ReadRecords(chip_fd, buf, sizeof buf[0], want, &got);
    if (err != 0) {
      if (done > 0) break;
      return err;
    }
    for (size_t i = 0; i < got; i++) {
      ToLineInfo(buf[i].info, &out[done + i].info);
      out[done + i].timestamp_ns = buf[i].timestamp_ns;
      out[done + i].type = buf[i].event_type;
    }
    done += got;
    if (got < want) break;
  }
  *count = done;
  return 0;
}

#else  // no GPIO character device uAPI v2 here

int OpenChip(const char*, int*) { return ENOSYS; }
int CloseFd(int) { return ENOSYS; }
int GetChipInfo(int, ChipInfo*) { return ENOSYS; }
int GetLineInfo(int, uint32_t, LineInfo*) { return ENOSYS; }
int WatchLineInfo(int, uint32_t, bool, LineInfo*) { return ENOSYS; }
int RequestLines(int, const uint32_t*, uint32_t, const char*, const LineConfig&, uint32_t, int*) { return ENOSYS; }
int SetLineConfig(int, const LineConfig&) { return ENOSYS; }
int GetValues(int, uint64_t, uint64_t*) { return ENOSYS; }
int SetValues(int, uint64_t, uint64_t) { return ENOSYS; }
int ReadEvents(int, LineEvent*, size_t, size_t* count) {
  *count = 0;
  return ENOSYS;
}
int ReadInfoChanged(int, LineInfoChanged*, size_t, size_t* count) {
  *count = 0;
  return ENOSYS;
}

#endif

}  // namespace gpio
}  // namespace mmapkit
