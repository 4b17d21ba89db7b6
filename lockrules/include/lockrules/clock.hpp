#pragma once
// Time as the lock rules see it: a steady clock for unlock windows and the wall clock for
// history timestamps. Injected so the 35-second window is tested by moving a fake clock.
#include <chrono>
#include <cstdint>

namespace lockrules {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  virtual std::int64_t wall_ms() const = 0;  // milliseconds since the Unix epoch
};

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace lockrules
