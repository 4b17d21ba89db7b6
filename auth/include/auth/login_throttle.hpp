#pragma once
// Who may try a password, and who gets blocked by whose failures. A lock's username is its public
// lockno, so a username-wide block is a way to lock a lock out: anyone guessing wrong for it once
// every few minutes would keep it offline. So failures are counted on three keys:
//   - (username, source address): auth.max_failures_per_user, then doubling backoff. An attacker's
//     address is blocked for that user; the lock's own address is not.
//   - source address: auth.max_failures_per_address (one address guessing across many users).
//   - username over all addresses: auth.max_failures_per_user_total (a distributed guess). Its
//     block applies only to addresses that have not logged in as that user within `good_for`:
//     a username's own good addresses keep working while new ones wait.
// Each block that starts on the username or an address is an alert: counted in Stats and logged.
//
// Keys are fixed-size: the username is hashed (SHA-256 with a per-process random salt, 16 bytes:
// a 64 KiB username costs 16 bytes here), an IPv4 address is its 4 bytes, an IPv6 one its /64 (one
// host holds a whole /64, so per-address counting of IPv6 means per prefix). Each of the three
// tables holds at most auth.throttle_max_entries keys.
//
// THREADING: all methods are safe from any thread (the tables lock internally; Stats are atomics).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/rate_limiter.hpp"

namespace auth {

class LoginThrottle {
 public:
  using Clock = RateLimiter::Clock;
  struct Options {
    RateLimiter::Options per_pair;  // free_failures 5
    RateLimiter::Options per_address{20};
    RateLimiter::Options per_user{100};  // all addresses together
    std::chrono::milliseconds good_for{std::chrono::hours(24 * 7)};
    std::size_t max_entries = 100000;  // per table
  };
  struct Keys {
    std::string user, pair, address;
  };
  enum class Verdict { allow, address_blocked, pair_blocked, user_blocked };
  // A block that just started, for the alert.
  struct Block {
    const char* scope = nullptr;  // "address", "user" or "pair"; null: no new block
    std::chrono::milliseconds duration{0};
  };
  struct Stats {
    std::atomic<std::uint64_t> pair_blocks{0}, user_blocks{0}, address_blocks{0};
  };

  explicit LoginThrottle(Options options);

  // `address` as in ClientInfo ("1.2.3.4:5", "[::1]:5"); an unparsable one is used as text.
  Keys keys(std::string_view username, std::string_view address) const;
  Verdict check(const Keys& k, Clock::time_point now = Clock::now());
  // The widest block this failure started (address, then user, then pair).
  Block failure(const Keys& k, Clock::time_point now = Clock::now());
  void success(const Keys& k, Clock::time_point now = Clock::now());

  const Stats& stats() const { return stats_; }
  std::size_t entries() const { return pairs_.size() + users_.size() + addresses_.size(); }

 private:
  std::string salt_;
  RateLimiter pairs_, users_, addresses_;
  Stats stats_;
};

}  // namespace auth
