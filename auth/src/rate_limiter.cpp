#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <vector>

namespace auth {

bool RateLimiter::blocked(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.blocked_until > now;
}

std::chrono::milliseconds RateLimiter::failure(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_entries) make_room(now);
    it = entries_.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  if (e.failures && now - e.last_failure > options_.forget) e.failures = 0;
  ++e.failures;
  e.last_failure = now;
  if (e.failures <= options_.free_failures) return std::chrono::milliseconds(0);
  unsigned doublings = std::min(e.failures - options_.free_failures - 1, 20u);
  auto wait = std::min<std::chrono::milliseconds>(options_.base * (1LL << doublings), options_.max);
  e.blocked_until = now + wait;
  return wait;
}

void RateLimiter::success(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (options_.good_for.count() <= 0) {
    entries_.erase(key);
    return;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_entries) make_room(now);
    it = entries_.emplace(key, Entry{}).first;
  }
  it->second = Entry{};
  it->second.good_until = now + options_.good_for;
}

bool RateLimiter::good(const std::string& key, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.good_until > now;
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void RateLimiter::make_room(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const Entry& e = it->second;
    bool stale = e.blocked_until <= now && now - e.last_failure > options_.forget && e.good_until <= now;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() < options_.max_entries) return;
  // Still full of live entries: drop the least recently active tenth in one pass rather than one
  // per call. A remembered success counts as activity at its start.
  std::vector<std::pair<Clock::time_point, std::string>> by_age;
  by_age.reserve(entries_.size());
  for (auto& [k, e] : entries_) by_age.emplace_back(std::max(e.last_failure, e.good_until - options_.good_for), k);
  auto cut = by_age.begin() + static_cast<std::ptrdiff_t>(by_age.size() / 10 + 1);
  std::nth_element(by_age.begin(), cut, by_age.end());
  for (auto it = by_age.begin(); it != cut; ++it) entries_.erase(it->second);
}

}  // namespace auth
