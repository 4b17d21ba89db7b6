#include "bench/sequence_tracker.hpp"

namespace bench {

bool SequenceTracker::record(std::uint32_t seq) {
  const std::int64_t s = seq;
  if (s > highest_) {
    // Forget the slots the window slides past: they now stand for numbers not yet seen.
    std::int64_t advance = s - highest_;
    if (advance >= kWindow) {
      seen_.reset();
    } else {
      for (std::int64_t n = highest_ + 1; n < s; ++n) seen_.reset(static_cast<std::size_t>(n % kWindow));
    }
    highest_ = s;
    seen_.set(static_cast<std::size_t>(s % kWindow));
    ++distinct_;
    return true;
  }
  if (highest_ - s >= kWindow || seen_.test(static_cast<std::size_t>(s % kWindow))) {
    ++duplicates_;
    return false;
  }
  seen_.set(static_cast<std::size_t>(s % kWindow));
  ++distinct_;
  return true;
}

}  // namespace bench
