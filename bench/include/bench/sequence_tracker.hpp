#pragma once
// Counts distinct and duplicate deliveries of one publisher's numbered messages at one subscriber.
// MQTT keeps one publisher's messages in order per topic (3.1.1 section 4.6), but a resend after a
// reconnect or a broker's own reordering may not, so a window of the last kWindow sequence numbers
// behind the highest one seen is remembered exactly: a late message inside it is counted once, a
// repeat as a duplicate. Anything older than the window counts as a duplicate (it cannot be told
// apart without unbounded memory); the window makes that a broker reordering by more than 1024
// messages, which the report would then show.
#include <bitset>
#include <cstdint>

namespace bench {

class SequenceTracker {
 public:
  static constexpr std::uint32_t kWindow = 1024;

  // Returns true when `seq` is new, false for a duplicate.
  bool record(std::uint32_t seq);

  std::uint64_t distinct() const { return distinct_; }
  std::uint64_t duplicates() const { return duplicates_; }
  // Sequence numbers start at 0; `highest() + 1` of them were sent at least.
  std::int64_t highest() const { return highest_; }

 private:
  // Bit n % kWindow is set when number n was seen, for the kWindow numbers ending at highest_.
  std::bitset<kWindow> seen_;
  std::int64_t highest_ = -1;
  std::uint64_t distinct_ = 0;
  std::uint64_t duplicates_ = 0;
};

}  // namespace bench
