#pragma once
#include <chrono>

namespace broker {

// Time as the broker core sees it: injected so keepalive, connect timeouts and session expiry are
// tested by moving a fake clock, never by sleeping.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace broker
