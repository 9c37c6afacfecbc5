#include <cstring>

#include "check.h"

int main(int argc, char** argv) {
  int ran = 0;
  int failed_cases = 0;
  for (auto& c : mmapkit::test::Cases()) {
    if (argc > 1 && std::strstr(c.name, argv[1]) == nullptr) continue;
    int before = mmapkit::test::Failures();
    c.fn();
    ran++;
    if (mmapkit::test::Failures() != before) failed_cases++;
    std::printf("%s %s\n", mmapkit::test::Failures() == before ? "ok  " : "FAIL", c.name);
  }
  std::printf("%d passed, %d failed\n", ran - failed_cases, failed_cases);
  return failed_cases == 0 ? 0 : 1;
}
