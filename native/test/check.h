// A very small test harness for the plain C++ syscall layer (native/sys), so it can be tested
// without Node under AddressSanitizer and UndefinedBehaviorSanitizer (scripts/sanitizers.sh).
#pragma once
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace mmapkit::test {

struct Case {
  const char* name;
  std::function<void()> fn;
};

inline std::vector<Case>& Cases() {
  static std::vector<Case> cases;
  return cases;
}

struct Register {
  Register(const char* name, std::function<void()> fn) { Cases().push_back({name, std::move(fn)}); }
};

inline int& Failures() {
  static int n = 0;
  return n;
}

}  // namespace mmapkit::test

#define TEST_CAT2(a, b) a##b
#define TEST_CAT(a, b) TEST_CAT2(a, b)
#define TEST(name)                                                                                    \
  static void TEST_CAT(test_fn_, __LINE__)();                                                         \
  static ::mmapkit::test::Register TEST_CAT(test_reg_, __LINE__)(name, TEST_CAT(test_fn_, __LINE__)); \
  static void TEST_CAT(test_fn_, __LINE__)()

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "  check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ::mmapkit::test::Failures()++;                                                    \
    }                                                                                   \
  } while (0)

#define CHECK_EQ(a, b)                                                                                       \
  do {                                                                                                       \
    auto va_ = (a);                                                                                          \
    auto vb_ = (b);                                                                                          \
    if (!(va_ == vb_)) {                                                                                     \
      std::fprintf(stderr, "  check failed at %s:%d: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, \
                   static_cast<long long>(va_), static_cast<long long>(vb_));                                \
      ::mmapkit::test::Failures()++;                                                                         \
    }                                                                                                        \
  } while (0)
