#pragma once
#include <chrono>
#include <cstdint>

namespace broker {

// Time as the broker core sees it: injected so keepalive, connect timeouts and session expiry are
// tested by moving a fake clock, never by sleeping.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Wall-clock milliseconds since the Unix epoch: what persisted times are written in, since a
  // steady clock restarts with the process.
  virtual std::int64_t unix_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace broker
