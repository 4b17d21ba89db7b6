#include <doctest/doctest.h>

#include "rate_limiter.hpp"

using http::detail::RateLimiter;
using namespace std::chrono_literals;

TEST_CASE("a burst, then one request per refill interval") {
  RateLimiter limiter(60, 3);  // one a second after a burst of three
  auto t = RateLimiter::Clock::time_point{} + 1000s;
  std::chrono::milliseconds retry{0};
  for (int i = 0; i < 3; ++i) CHECK(limiter.allow("1.2.3.4", t, &retry));
  CHECK_FALSE(limiter.allow("1.2.3.4", t, &retry));
  CHECK(retry.count() > 900);
  CHECK(retry.count() <= 1000);
  CHECK(limiter.allow("5.6.7.8", t, nullptr));  // other addresses are separate
  CHECK_FALSE(limiter.allow("1.2.3.4", t + 500ms, nullptr));
  CHECK(limiter.allow("1.2.3.4", t + 1001ms, nullptr));
  CHECK_FALSE(limiter.allow("1.2.3.4", t + 1002ms, nullptr));
  // Idle long enough, the bucket is full again but never above the burst.
  for (int i = 0; i < 3; ++i) CHECK(limiter.allow("1.2.3.4", t + 1h, nullptr));
  CHECK_FALSE(limiter.allow("1.2.3.4", t + 1h, nullptr));
}

TEST_CASE("memory stays bounded under a flood of addresses") {
  RateLimiter limiter(60, 2, 100);
  auto t = RateLimiter::Clock::time_point{} + 1000s;
  for (int i = 0; i < 10000; ++i) limiter.allow("10.0." + std::to_string(i), t, nullptr);
  // A tracked, exhausted address is still limited right after the flood pruned full buckets.
  CHECK(limiter.allow("victim", t, nullptr));
  CHECK(limiter.allow("victim", t, nullptr));
  CHECK_FALSE(limiter.allow("victim", t, nullptr));
}
