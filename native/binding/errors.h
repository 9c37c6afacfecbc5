// Every error the addon raises is built here, by one JavaScript factory that lib/errors.ts
// installs when the binding loads. The factory makes the same error classes and messages that the
// TypeScript side uses, so an error looks the same whether validation caught it in lib/ or a
// syscall reported it here.
#pragma once
#include <napi.h>

#include <string>

namespace mmapkit {

void InitErrors(Napi::Env env, Napi::Object exports);

// A failed syscall: err is a positive errno value; path may be empty.
Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const std::string& path = "");
[[noreturn]] void ThrowSystemError(Napi::Env env, int err, const char* syscall, const std::string& path = "");

// Misuse caught in native code (a type re-check, a SIGBUS on a guarded read ...).
// cls is "TypeError", "RangeError" or "Error"; code is the stable error code.
Napi::Error UsageError(Napi::Env env, const char* cls, const char* code, const std::string& message);
[[noreturn]] void ThrowUsageError(Napi::Env env, const char* cls, const char* code, const std::string& message);

}  // namespace mmapkit
