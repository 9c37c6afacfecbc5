#include "binding/map_budget.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include "binding/errors.h"

namespace mmapkit {
namespace {

std::atomic<long> g_live{0};
// Room granted beyond Limit() by the last count of the process's real map areas.
std::atomic<long> g_slack{0};
// Releases so far, and how many there had been when a recount last found no room: until another
// release, a recount cannot find more room, so it is not made again (reading /proc/self/maps costs
// about a millisecond at the limit, and a loop that keeps mapping would pay it on every refusal).
std::atomic<long> g_releases{0};
std::atomic<long> g_no_room_at{-1};

long Limit() {
  static const long limit = [] {
    long max_maps = 65530;
    if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
      long v = 0;
      if (std::fscanf(f, "%ld", &v) == 1 && v > 0) max_maps = v;
      std::fclose(f);
    }
    // Leave a quarter (at least 8192 areas) to V8, libuv and everything else in the process.
    long reserve = std::max(max_maps / 4, 8192L);
    return std::max(max_maps - reserve, 1024L);
  }();
  return limit;
}

// The process's map areas, as many as /proc/self/maps has lines; -1 when it cannot be read.
long CountMapAreas() {
  FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return -1;
  long lines = 0;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
    for (const char* p = chunk; (p = static_cast<const char*>(std::memchr(p, '\n', chunk + n - p))) != nullptr; p++)
      lines++;
  }
  std::fclose(f);
  return lines;
}

// Called when the count passes the limit. The count is an upper bound of the areas mmapkit adds:
// ranges retired by unmap() wait for the garbage collector, but neighbouring placeholders (the
// usual case in a loop of map and unmap) merge into one area in the kernel. So the real number is
// read, and half the room it leaves below the limit is granted (the other half covers areas that
// freeing placeholders may split until the next count).
bool Recount(long live) {
  long releases = g_releases.load();
  if (g_no_room_at.load() == releases) return false;
  long real = CountMapAreas();
  long room = real < 0 ? 0 : (Limit() - real) / 2;
  if (room < 1024) {
    g_no_room_at = releases;
    return false;
  }
  g_slack = live + room - Limit();
  return true;
}

}  // namespace

void ReserveMapping(Napi::Env env) {
  long live = g_live.fetch_add(1) + 1;
  if (live > Limit() + g_slack.load() && !Recount(live)) {
    g_live--;
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_TOO_MANY_MAPPINGS",
                    "mmapkit holds " + std::to_string(live - 1) +
                        " mappings that are neither unmapped nor finalized yet, close to the kernel's limit "
                        "(vm.max_map_count): unmap() or close() mappings you no longer need, or let the event "
                        "loop turn so that unreachable ones are freed");
  }
}

void CountMapping() { g_live++; }

void ReleaseMapping() {
  g_releases++;
  // Slack is granted only for as long as the count stays high.
  if (g_live.fetch_sub(1) - 1 < Limit() / 2) g_slack = 0;
}

}  // namespace mmapkit
