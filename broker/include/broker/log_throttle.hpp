#pragma once
// Lets a repeated log line through at most once per interval, from any thread, without a lock,
// and counts the ones it held back: whatever a hostile client does a million times a second
// costs one line a second, and the line still says how many times it happened.
//
// THREADING: every method is safe from any thread (two relaxed atomics; a line may, rarely, be
// attributed a count that raced with it, never lost).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace broker {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::milliseconds every = std::chrono::seconds(1)) : every_(every) {}

  // True when a line is due at `now` (the first call always is); the caller then writes it with
  // the count `suppressed` received. False counts one more line held back.
  bool due(std::chrono::steady_clock::time_point now, std::uint64_t& suppressed) {
    auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    auto last = last_ns_.load(std::memory_order_relaxed);
    bool first = last == never;
    if ((first || now_ns - last >= std::chrono::nanoseconds(every_).count()) &&
        last_ns_.compare_exchange_strong(last, now_ns, std::memory_order_relaxed)) {
      suppressed = held_back_.exchange(0, std::memory_order_relaxed);
      return true;
    }
    held_back_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

 private:
  static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::min();
  std::chrono::milliseconds every_;
  std::atomic<std::int64_t> last_ns_{never};
  std::atomic<std::uint64_t> held_back_{0};
};

}  // namespace broker
