#include <doctest/doctest.h>

#include <set>

#include "bench/metrics.hpp"
#include "bench/plan.hpp"
#include "bench/proc_stats.hpp"
#include "bench/stamp.hpp"
#include "broker/topic.hpp"

using namespace bench;

TEST_CASE("slices cover the total once, in order, differing by at most one") {
  for (std::uint64_t total : {0, 1, 7, 19900, 1'000'000}) {
    for (std::uint32_t workers : {1u, 2u, 3u, 7u, 64u}) {
      std::uint64_t next = 0, lo = UINT64_MAX, hi = 0;
      for (std::uint32_t k = 0; k < workers; ++k) {
        auto s = slice(total, workers, k);
        CHECK(s.begin == next);
        next += s.count;
        lo = std::min(lo, s.count);
        hi = std::max(hi, s.count);
      }
      CHECK(next == total);
      CHECK(hi - lo <= 1);
    }
  }
}

TEST_CASE("source addresses: enough for the count, all loopback, none reserved") {
  CHECK(auto_source_addresses(1) == 1);
  CHECK(auto_source_addresses(1'000) == 1);
  CHECK(auto_source_addresses(1'001) == 2);
  CHECK(auto_source_addresses(1'000'000) == 1'000);
  CHECK(source_address(0, 1) == "127.0.0.2");
  CHECK(source_address(5, 3) == "127.0.0.4");
  CHECK(source_address(252, 1000) == "127.0.0.254");
  CHECK(source_address(253, 1000) == "127.0.1.2");
  std::set<std::string> seen;
  for (std::uint64_t i = 0; i < 600; ++i) seen.insert(source_address(i, 600));
  CHECK(seen.size() == 600);
}

TEST_CASE("deliveries owed and the topics that route them") {
  CHECK(deliveries_per_message(Scenario::fanin, 3) == 3);
  CHECK(deliveries_per_message(Scenario::fanout, 500) == 500);
  CHECK(deliveries_per_message(Scenario::p2p, 500) == 1);
  // Every publisher reaches every subscriber in fanin and fanout, only its partner in p2p.
  for (auto s : {Scenario::fanin, Scenario::fanout, Scenario::p2p}) {
    for (std::uint64_t p = 0; p < 4; ++p) {
      for (std::uint64_t q = 0; q < 4; ++q) {
        bool match = broker::topic_matches(subscribe_filter(s, "r1", q), publish_topic(s, "r1", p));
        CHECK(match == (s != Scenario::p2p || p == q));
        CHECK_FALSE(broker::topic_matches(subscribe_filter(s, "r2", q), publish_topic(s, "r1", p)));
      }
    }
  }
}

TEST_CASE("losses and duplicates from the counters") {
  auto t = tally(1000, 990, 995);
  CHECK(t.lost == 10);
  CHECK(t.duplicates == 5);
  t = tally(1000, 1000, 1000);
  CHECK(t.lost == 0);
  CHECK(t.duplicates == 0);
}

TEST_CASE("rate arithmetic") {
  CHECK(due(1000, 0.5) == 500);
  CHECK(due(0, 10) == 0);
  CHECK(due(3, 0.999) == 2);
  CHECK(per_second(500, 2) == 250);
  CHECK(per_second(5, 0) == 0);
  CHECK(kib_per_connection(10'000, 24'400, 20'000) == doctest::Approx(0.72));
  CHECK(kib_per_connection(10'000, 9'000, 100) == 0);
  CHECK(lockno(42) == "B0000000042");
  CHECK(lockno(42).size() == 11);
}

TEST_CASE("stamps survive the trip through a payload") {
  std::string payload(64, 'x');
  write_stamp(payload, Stamp{0x0102030405060708ULL, 77, 0xFFFFFFFFu});
  auto s = read_stamp(payload);
  REQUIRE(s);
  CHECK(s->sent_ns == 0x0102030405060708ULL);
  CHECK(s->publisher == 77);
  CHECK(s->seq == 0xFFFFFFFFu);
  CHECK(payload.substr(16) == std::string(48, 'x'));
  CHECK_FALSE(read_stamp("short"));
}

TEST_CASE("/proc parsing") {
  std::string status = "Name:\tmosquitto\nVmHWM:\t   20480 kB\nVmRSS:\t   18000 kB\nThreads:\t1\n";
  CHECK(status_kib(status, "VmRSS") == 18000u);
  CHECK(status_kib(status, "VmHWM") == 20480u);
  CHECK_FALSE(status_kib(status, "VmSwap"));
  CHECK_FALSE(status_kib(status, "Vm"));  // a prefix of a key is not the key
  // A command name with spaces and a ')' must not shift the fields.
  std::string stat = "1234 (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1";
  CHECK(stat_cpu_ticks(stat) == 300u);
  CHECK_FALSE(stat_cpu_ticks("1234 (x) S 1 2"));
}

TEST_CASE("metrics of a fan-in report") {
  Options o;
  o.scenario = Scenario::fanin;
  Report r;
  r.add("connected", 9);
  r.add("sent", 1000);
  r.add("expected", 1000);
  r.add("received", 1002);
  r.add("distinct", 990);
  r.time("first_publish", 1'000'000'000);
  r.time("last_delivery", 3'000'000'000);
  r.histograms["latency_ns"].record(2'000'000, 1000);
  auto m = metrics_for(o, r);
  auto get = [&](const std::string& name) {
    for (auto& x : m)
      if (x.name == name) return x.value;
    FAIL("no metric " << name);
    return -1.0;
  };
  CHECK(get("lost") == 10);
  CHECK(get("duplicates") == 12);
  CHECK(get("lost_pct") == doctest::Approx(1.0));
  CHECK(get("delivered_per_s") == doctest::Approx(501.0));
  CHECK(get("latency_p99_ms") == doctest::Approx(2.0));
}

TEST_CASE("deadlines grow with the work") {
  Options o;
  o.scenario = Scenario::conn;
  o.connections = 1000;
  double small = ready_deadline(o);
  o.connections = 100'000;
  CHECK(ready_deadline(o) > small);
  o.connect_rate = 100'000;
  CHECK(ready_deadline(o) < small + 5);
  o.hold = 60;
  CHECK(run_deadline(o) > 60);
}
