#include "binding/args.h"

#include <climits>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "binding/errors.h"

namespace mmapkit::args {

double Num(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    ThrowUsageError(info.Env(), "TypeError", "ERR_INVALID_ARG_TYPE",
                    std::string("The \"") + name + "\" argument must be of type number");
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

uint64_t U64(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = Num(info, i, name);
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d) {
    ThrowUsageError(
        info.Env(), "RangeError", "ERR_OUT_OF_RANGE",
        std::string("The value of \"") + name + "\" is out of range. It must be a non-negative safe integer");
  }
  return static_cast<uint64_t>(d);
}

int Int(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = Num(info, i, name);
  if (std::floor(d) != d || d < INT_MIN || d > INT_MAX) {
    ThrowUsageError(info.Env(), "RangeError", "ERR_OUT_OF_RANGE",
                    std::string("The value of \"") + name + "\" is out of range. It must be a 32-bit integer");
  }
  return static_cast<int>(d);
}

bool Bool(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() && info[i].ToBoolean().Value(); }

std::string Str(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString()) {
    ThrowUsageError(info.Env(), "TypeError", "ERR_INVALID_ARG_TYPE",
                    std::string("The \"") + name + "\" argument must be of type string");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

[[noreturn]] void ThrowSigbus(Napi::Env env, void* addr, const char* what) {
  char buf[160];
  snprintf(buf, sizeof buf,
           "SIGBUS at address %p during %s: the mapped file is shorter than the mapping (was it truncated?)", addr,
           what);
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_SIGBUS", buf);
}

std::string ProtectionAt(const void* addr) {
  FILE* f = std::fopen("/proc/self/maps", "re");
  if (f == nullptr) return "";
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  std::string out = "unmapped";
  char line[512];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {0};
    if (std::sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3) continue;
    if (a < lo || a >= hi) continue;
    const bool r = perms[0] == 'r', w = perms[1] == 'w';
    out = r && w ? "readwrite" : r ? "read" : w ? "write" : "none";
    break;
  }
  std::fclose(f);
  return out;
}

void ThrowFault(Napi::Env env, int result, const sys::FaultInfo& f, const char* what, const FaultSite* sites,
                int nsites) {
  if (result != SIGBUS && result != SIGSEGV) ThrowSystemError(env, result, "sigaction");
  const FaultSite* site = nullptr;
  const uintptr_t a = reinterpret_cast<uintptr_t>(f.addr);
  for (int i = 0; i < nsites; ++i) {
    const uintptr_t b = reinterpret_cast<uintptr_t>(sites[i].base);
    if (sites[i].base != nullptr && a >= b && a - b < sites[i].length) {
      site = &sites[i];
      break;
    }
  }
  char where[160];
  if (site != nullptr) {
    std::snprintf(where, sizeof where, "byte %llu of %s (address %p)",
                  static_cast<unsigned long long>(a - reinterpret_cast<uintptr_t>(site->base)), site->name, f.addr);
  } else {
    std::snprintf(where, sizeof where, "address %p", f.addr);
  }
  if (result == SIGBUS) {
    ThrowUsageError(env, "Error", "ERR_MMAPKIT_SIGBUS",
                    std::string("SIGBUS during ") + what + " at " + where +
                        ": the mapped file is shorter than the mapping (was it truncated?)");
  }
  int access = f.access != sys::kAccessUnknown ? f.access : site != nullptr ? site->access : sys::kAccessRead;
  const std::string prot = ProtectionAt(f.addr);
  std::string why;
  if (prot == "unmapped") why = "no mapping holds its page (was it unmapped?)";
  else if (prot.empty()) why = "its page's protection forbids it";
  else why = "its page is protected ('" + prot + "')";
  ThrowUsageError(env, "Error", "ERR_MMAPKIT_PROTECTED",
                  std::string("SIGSEGV during ") + what + ": " + where + " cannot be " +
                      (access == sys::kAccessWrite ? "written" : "read") + ": " + why);
}

}  // namespace mmapkit::args
