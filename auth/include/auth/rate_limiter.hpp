#pragma once
// Brute-force throttling: failed logins are counted per key (a source address, a username). Past
// `free_failures` failures a key is blocked for `base`, doubling with each further failure up to
// `max`; attempts while blocked are refused without asking the store and are not counted again
// (so a blocked legitimate user gets back in once the block ends). Counts reset after `forget`
// without a failure, or on success for usernames.
//
// THREADING: all methods are safe from any thread (one mutex; each call is a map lookup).
// Memory is bounded: past `max_entries` keys, expired entries are dropped first and then the
// oldest, so a flood of random usernames cannot grow it without bound.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace auth {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    unsigned free_failures = 5;
    std::chrono::milliseconds base{1000};
    std::chrono::milliseconds max{300000};
    std::chrono::milliseconds forget{600000};
    std::size_t max_entries = 100000;
  };

  explicit RateLimiter(Options options) : options_(options) {}

  // True while `key` is blocked.
  bool blocked(const std::string& key, Clock::time_point now = Clock::now());
  void failure(const std::string& key, Clock::time_point now = Clock::now());
  void success(const std::string& key);
  std::size_t size() const;

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point last_failure;
    Clock::time_point blocked_until;
  };
  void make_room(Clock::time_point now);

  Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace auth
