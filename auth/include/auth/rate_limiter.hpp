#pragma once
// Brute-force throttling: failed logins are counted per key (see login_throttle.hpp for the keys).
// Past `free_failures` failures a key is blocked for `base`, doubling with each further failure up
// to `max`; attempts while blocked are refused without asking the store and are not counted again
// (so a blocked legitimate user gets back in once the block ends). Counts reset after `forget`
// without a failure. A key may also be remembered as good (a login succeeded with it) for
// `good_for`.
//
// THREADING: all methods are safe from any thread (one mutex; each call is a map lookup).
// Memory is bounded: past `max_entries` keys, entries with nothing left to remember are dropped
// first and then the least recently active tenth, so a flood of keys cannot grow it.
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
    std::chrono::milliseconds good_for{0};  // 0: success() forgets the key instead
    std::size_t max_entries = 100000;
  };

  explicit RateLimiter(Options options) : options_(options) {}

  // True while `key` is blocked.
  bool blocked(const std::string& key, Clock::time_point now = Clock::now());
  // Counts a failure; returns how long `key` is now blocked for (0: not blocked).
  std::chrono::milliseconds failure(const std::string& key, Clock::time_point now = Clock::now());
  // Clears the key's failures; remembers it as good when the options say so.
  void success(const std::string& key, Clock::time_point now = Clock::now());
  // True while a success with `key` is remembered.
  bool good(const std::string& key, Clock::time_point now = Clock::now()) const;
  std::size_t size() const;
  std::size_t max_entries() const { return options_.max_entries; }

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point last_failure;
    Clock::time_point blocked_until;
    Clock::time_point good_until;
  };
  void make_room(Clock::time_point now);

  Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace auth
