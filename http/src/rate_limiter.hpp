#pragma once
// A token bucket per source address: `burst` requests at once, refilled at `per_minute`. Idle
// buckets are full again, so they are dropped once the map grows, which bounds memory against
// address scans. Thread-safe.
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace http::detail {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(int per_minute, int burst, std::size_t max_tracked = 100000);
  // Takes one token for `key`; false (and how long until one is free) when none is left.
  bool allow(const std::string& key, Clock::time_point now, std::chrono::milliseconds* retry_after);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  void prune(Clock::time_point now);

  double per_ms_;
  double burst_;
  std::size_t max_tracked_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace http::detail
