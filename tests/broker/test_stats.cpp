// Per-worker counters: each worker adds to its own slot, readers see the sum.
#include <doctest/doctest.h>

#include "broker/stats.hpp"

using broker::Stat;

TEST_CASE("stats: per-worker and off-worker additions sum on read") {
  broker::Stats s(2);
  s.add(0, Stat::messages_sent);
  s.add(1, Stat::messages_sent, 4);
  s.add(-1, Stat::messages_sent, 10);  // a thread that is not a worker
  s.add(7, Stat::messages_sent);       // an index past the workers counts as off-worker
  CHECK(s.get(Stat::messages_sent) == 16);
  CHECK(s.get(Stat::bytes_sent) == 0);
}

TEST_CASE("stats: a gauge decremented on another worker than the one that raised it") {
  broker::Stats s(2);
  s.add(0, Stat::clients_connected, 3);
  s.sub(1, Stat::clients_connected, 2);
  CHECK(s.get(Stat::clients_connected) == 1);
  s.sub(1, Stat::clients_connected);
  CHECK(s.get(Stat::clients_connected) == 0);
}
