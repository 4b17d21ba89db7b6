#include <doctest/doctest.h>

#include "bench/sequence_tracker.hpp"

using bench::SequenceTracker;

TEST_CASE("in-order numbers are all distinct") {
  SequenceTracker t;
  for (std::uint32_t i = 0; i < 5000; ++i) CHECK(t.record(i));
  CHECK(t.distinct() == 5000);
  CHECK(t.duplicates() == 0);
  CHECK(t.highest() == 4999);
}

TEST_CASE("a repeat is a duplicate, a gap is not counted as seen") {
  SequenceTracker t;
  CHECK(t.record(0));
  CHECK(t.record(1));
  CHECK_FALSE(t.record(1));
  CHECK(t.record(5));  // 2..4 missing
  CHECK(t.distinct() == 3);
  CHECK(t.duplicates() == 1);
  // A late arrival inside the window is new once, then a duplicate.
  CHECK(t.record(3));
  CHECK_FALSE(t.record(3));
  CHECK(t.distinct() == 4);
  CHECK(t.duplicates() == 2);
}

TEST_CASE("slots freed as the window slides do not carry old marks") {
  SequenceTracker t;
  CHECK(t.record(0));
  // Jump exactly one window: slot 0 now stands for kWindow, which was not seen before.
  CHECK(t.record(SequenceTracker::kWindow + 1));
  CHECK(t.record(SequenceTracker::kWindow));
  CHECK(t.duplicates() == 0);
  // Jump by less than a window: the slots passed over must be cleared too.
  SequenceTracker u;
  for (std::uint32_t i = 0; i < SequenceTracker::kWindow; ++i) u.record(i);
  CHECK(u.record(SequenceTracker::kWindow + 10));
  CHECK(u.record(SequenceTracker::kWindow + 5));  // slot of 5, seen long ago, must read unseen
  CHECK(u.duplicates() == 0);
}

TEST_CASE("anything older than the window counts as a duplicate") {
  SequenceTracker t;
  t.record(5000);
  CHECK_FALSE(t.record(5000 - SequenceTracker::kWindow));
  CHECK(t.record(5000 - SequenceTracker::kWindow + 1));
  CHECK(t.duplicates() == 1);
}
