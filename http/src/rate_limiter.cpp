#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace http::detail {

RateLimiter::RateLimiter(int per_minute, int burst, std::size_t max_tracked)
    : per_ms_(std::max(per_minute, 1) / 60000.0), burst_(std::max(burst, 1)), max_tracked_(max_tracked) {}

bool RateLimiter::allow(const std::string& key, Clock::time_point now, std::chrono::milliseconds* retry_after) {
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= max_tracked_) prune(now);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) {
    double ms = std::chrono::duration<double, std::milli>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, ms) * per_ms_);
    b.at = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after)
    *retry_after = std::chrono::milliseconds(static_cast<long long>(std::ceil((1.0 - b.tokens) / per_ms_)));
  return false;
}

void RateLimiter::prune(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double ms = std::chrono::duration<double, std::milli>(now - it->second.at).count();
    bool full = it->second.tokens + ms * per_ms_ >= burst_;
    it = full ? buckets_.erase(it) : std::next(it);
  }
  // Under a flood of distinct addresses nothing is full yet: forget everyone rather than grow.
  if (buckets_.size() >= max_tracked_) buckets_.clear();
}

}  // namespace http::detail
