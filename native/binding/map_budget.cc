#include "binding/map_budget.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>

#include "binding/errors.h"

namespace mmapkit {
namespace {

std::atomic<long> g_live{0};

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

}  // namespace

void ReserveMapping(Napi::Env env) {
  long live = g_live.fetch_add(1) + 1;
  if (live > Limit()) {
    g_live--;
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_TOO_MANY_MAPPINGS",
                    "mmapkit holds " + std::to_string(live - 1) +
                        " mappings that are neither unmapped nor finalized yet, close to the kernel's limit "
                        "(vm.max_map_count): unmap() or close() mappings you no longer need, or let the event "
                        "loop turn so that unreachable ones are freed");
  }
}

void CountMapping() { g_live++; }

void ReleaseMapping() { g_live--; }

}  // namespace mmapkit
