#pragma once
// Time, one interface for every module. A steady clock for deadlines and windows (keepalive,
// connect timeouts, the 35-second unlock pairing) and the wall clock for what is written down
// (history rows, persisted detach times, credential index entries), since a steady clock restarts
// with the process. Modules that take a Clock are tested by moving a fake one, never by sleeping;
// code with no injected clock reads the wall clock through unix_ms_now(), never system_clock
// directly, so there is one conversion to get right.
#include <chrono>
#include <cstdint>

namespace common {

// Milliseconds since the Unix epoch, now.
std::int64_t unix_ms_now();

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Wall-clock milliseconds since the Unix epoch. Pure so that a fake moves both clocks together
  // and a test never reads the real date by accident.
  virtual std::int64_t unix_ms() const = 0;
};

// The real clocks. Stateless, so one may be shared by every thread.
class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t unix_ms() const override { return unix_ms_now(); }
};

}  // namespace common
