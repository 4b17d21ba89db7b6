#include <doctest/doctest.h>

#include "auth/rate_limiter.hpp"

using namespace auth;
using namespace std::chrono_literals;

TEST_CASE("blocks after free failures with doubling backoff, capped") {
  RateLimiter::Options o;
  o.free_failures = 2;
  o.base = 1000ms;
  o.max = 3000ms;
  RateLimiter r(o);
  auto t = RateLimiter::Clock::time_point{} + 1h;
  r.failure("k", t);
  r.failure("k", t);
  CHECK_FALSE(r.blocked("k", t));
  r.failure("k", t);  // third: 1 s
  CHECK(r.blocked("k", t + 999ms));
  CHECK_FALSE(r.blocked("k", t + 1000ms));
  r.failure("k", t + 1000ms);  // fourth: 2 s
  CHECK(r.blocked("k", t + 2999ms));
  CHECK_FALSE(r.blocked("k", t + 3000ms));
  r.failure("k", t + 3000ms);  // fifth: 4 s, capped at 3
  CHECK(r.blocked("k", t + 5999ms));
  CHECK_FALSE(r.blocked("k", t + 6000ms));
  CHECK_FALSE(r.blocked("other", t));
  r.success("k");
  CHECK_FALSE(r.blocked("k", t + 3000ms));
}

TEST_CASE("failures are forgotten after a quiet period") {
  RateLimiter::Options o;
  o.free_failures = 1;
  o.forget = 10s;
  RateLimiter r(o);
  auto t = RateLimiter::Clock::time_point{} + 1h;
  r.failure("k", t);
  r.failure("k", t + 11s);  // counts as the first again
  CHECK_FALSE(r.blocked("k", t + 11s));
}

TEST_CASE("memory stays bounded under a flood of keys") {
  RateLimiter::Options o;
  o.max_entries = 100;
  RateLimiter r(o);
  auto t = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 10000; ++i) r.failure("k" + std::to_string(i), t + std::chrono::milliseconds(i));
  CHECK(r.size() <= 100);
  CHECK(r.size() > 50);
}

TEST_CASE("a remembered success survives failures and floods of other keys, up to the cap") {
  RateLimiter::Options o;
  o.max_entries = 100;
  o.good_for = 1h;
  RateLimiter r(o);
  auto t = RateLimiter::Clock::time_point{} + 2h;
  r.success("home", t);
  CHECK(r.good("home", t + 59min));
  CHECK_FALSE(r.good("home", t + 61min));
  // Failures of 50 other keys leave it; a flood of 10,000 evicts the least recently active.
  for (int i = 0; i < 50; ++i) r.failure("k" + std::to_string(i), t + std::chrono::seconds(i));
  CHECK(r.good("home", t + 1min));
  for (int i = 0; i < 10000; ++i) r.failure("f" + std::to_string(i), t + std::chrono::seconds(100 + i));
  CHECK(r.size() <= 100);
  CHECK_FALSE(r.good("home", t + 1min));
}
