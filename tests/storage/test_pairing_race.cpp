// The unlock pairing raced: for each lock, owner m and owner f ask at the same moment from
// different threads (and, with Redis, different connections, as two brokers would). Exactly one
// of the two may answer paired; the other waits. Never both, never neither.
#include <atomic>

#include "support.hpp"

using namespace storage_test;
using storage::PairOutcome;
using storage::Result;

namespace {

struct Tally {
  std::atomic<int> paired{0}, waiting{0}, failed{0};
};

void race(const std::vector<storage::KeyValue*>& clients, int locks) {
  const std::string prefix = random_hex(6);
  std::vector<Tally> tallies(locks);
  std::atomic<int> outstanding{2 * locks};
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int side = 0; side < 2; ++side) {
    threads.emplace_back([&, side] {
      while (!go) std::this_thread::yield();
      storage::KeyValue& kv = *clients[side % clients.size()];
      for (int i = 0; i < locks; ++i) {
        kv.pair_unlock(prefix + std::to_string(i), side ? 'f' : 'm', 35s, [&, i](Result<PairOutcome> r) {
          if (!r.ok) ++tallies[i].failed;
          else if (r.value == PairOutcome::paired) ++tallies[i].paired;
          else ++tallies[i].waiting;
          --outstanding;
        });
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  REQUIRE(eventually([&] { return outstanding.load() == 0; }, 30s));
  int bad = 0;
  for (int i = 0; i < locks; ++i) {
    if (tallies[i].failed || tallies[i].paired != 1 || tallies[i].waiting != 1) ++bad;
  }
  CHECK_MESSAGE(bad == 0, bad << " of " << locks << " locks did not pair exactly once");
}

}  // namespace

TEST_CASE("pairing race: exactly one paired per pair") {
  for (auto& b : kv_backends()) {
    CAPTURE(b->name);
    race({b->s.kv.get()}, 2000);
  }
}

TEST_CASE("pairing race: two Redis clients (two brokers) against one server") {
  auto redis = redis_from_env();
  if (!redis) {
    SAKURA_SERVICE_MISSING("SAKURA_TEST_REDIS not set");
    return;
  }
  auto a = kv_backends();
  auto b = kv_backends();
  REQUIRE(a.size() == 2);
  race({a[1]->s.kv.get(), b[1]->s.kv.get()}, 2000);
}
