// The wall-clock helper reads the real wall clock, as SteadyClock does.
#include <doctest/doctest.h>

#include <ctime>

#include "common/clock.hpp"

TEST_CASE("unix_ms_now and SteadyClock::unix_ms read the same wall clock, in milliseconds") {
  const auto ms = common::unix_ms_now();
  const auto clock_ms = common::SteadyClock{}.unix_ms();
  const auto seconds = std::time(nullptr);
  CHECK(ms > 1'700'000'000'000);  // after November 2023: milliseconds, not seconds
  CHECK(ms / 1000 - seconds <= 1);
  CHECK(seconds - ms / 1000 <= 1);
  CHECK(clock_ms >= ms);
  CHECK(clock_ms - ms < 60'000);
}
