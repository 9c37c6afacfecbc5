// The Linux GPIO character device (uAPI v2, <linux/gpio.h>): plain calls on file descriptors that
// return 0 or a positive errno value and never throw. The binding (binding/gpio_cdev.cc) turns
// them into JavaScript values and errors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace mmapkit {
namespace gpio {

struct ChipInfo {
  std::string name;
  std::string label;
  uint32_t lines = 0;
};

struct LineInfo {
  std::string name;
  std::string consumer;
  uint32_t offset = 0;
  uint64_t flags = 0;        // GPIO_V2_LINE_FLAG_*
  uint32_t debounce_us = 0;  // 0 when the line has no debounce attribute
};

// One edge event as the kernel reports it.
struct LineEvent {
  uint64_t timestamp_ns;
  uint32_t id;  // 1 rising, 2 falling
  uint32_t offset;
  uint32_t seqno;
  uint32_t line_seqno;
};

struct LineInfoChanged {
  LineInfo info;
  uint64_t timestamp_ns;
  uint32_t type;  // 1 requested, 2 released, 3 config
};

// A line configuration: default flags for every line plus up to 10 attributes, each applying to
// the lines whose bit is set in mask (bit i = the i-th requested line). kind: 1 flags (value =
// flags), 2 output values (value = bitmap), 3 debounce (value = microseconds).
struct ConfigAttr {
  uint32_t kind;
  uint64_t value;
  uint64_t mask;
};
struct LineConfig {
  uint64_t flags = 0;
  uint32_t num_attrs = 0;
  ConfigAttr attrs[10];
};

constexpr uint32_t kMaxLines = 64;
constexpr uint32_t kMaxAttrs = 10;

// Opens a chip (O_RDWR | O_CLOEXEC | O_NONBLOCK). Returns 0 and sets *fd, or an errno.
int OpenChip(const char* path, int* fd);
int CloseFd(int fd);
int GetChipInfo(int fd, ChipInfo* out);
int GetLineInfo(int fd, uint32_t offset, LineInfo* out);
// watch: true starts watching the line's info changes (and returns its info), false stops.
int WatchLineInfo(int fd, uint32_t offset, bool watch, LineInfo* out);
// Requests lines; the new request's file descriptor (non-blocking, close-on-exec) goes to *req_fd.
int RequestLines(int chip_fd, const uint32_t* offsets, uint32_t count, const char* consumer, const LineConfig& config,
                 uint32_t event_buffer_size, int* req_fd);
int SetLineConfig(int req_fd, const LineConfig& config);
// Values: bit i = the i-th requested line; only the lines in mask are read or written.
int GetValues(int req_fd, uint64_t mask, uint64_t* bits);
int SetValues(int req_fd, uint64_t mask, uint64_t bits);
// Reads as many whole events as are queued, up to max; *count = 0 when none is (EAGAIN).
int ReadEvents(int req_fd, LineEvent* out, size_t max, size_t* count);
int ReadInfoChanged(int chip_fd, LineInfoChanged* out, size_t max, size_t* count);

}  // namespace gpio
}  // namespace mmapkit
