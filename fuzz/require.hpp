#pragma once
// A broken property is a crash: libFuzzer saves the input that caused it.
#include <cstdio>
#include <cstdlib>

namespace fuzz {

inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

}  // namespace fuzz
