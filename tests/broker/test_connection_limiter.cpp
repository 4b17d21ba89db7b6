// Connection admission with a clock the test moves: caps, per-address counting (IPv6 by /64,
// proxies exempt and their clients counted by rebind), the accept token bucket, one log line a
// second per reason, and slots giving their share back.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "broker/connection_limiter.hpp"
#include "harness.hpp"

using broker::ConnectionLimiter;
using broker::ConnectionLimits;
using broker::ConnectionSlot;
using broker::Refusal;
using namespace std::chrono_literals;

namespace {
boost::asio::ip::address ip(const char* text) { return boost::asio::ip::make_address(text); }

std::shared_ptr<ConnectionLimiter> limiter(ConnectionLimits l, test::FakeClock& clock) {
  return std::make_shared<ConnectionLimiter>(l, clock);
}
}  // namespace

TEST_CASE("the limiter's cap and a listener's cap refuse past them and free on release") {
  test::FakeClock clock;
  ConnectionLimits l;
  l.max_connections = 3;
  auto lim = limiter(l, clock);
  auto tcp = lim->add_listener("tcp");
  auto ws = lim->add_listener("ws", 1);
  std::vector<ConnectionSlot> held;
  held.push_back(lim->admit(ws, ip("10.0.0.1"), true).slot);
  auto second_ws = lim->admit(ws, ip("10.0.0.2"), true);
  CHECK_FALSE(second_ws.slot);
  CHECK(second_ws.refused == Refusal::listener);
  held.push_back(lim->admit(tcp, ip("10.0.0.3"), true).slot);
  held.push_back(lim->admit(tcp, ip("10.0.0.4"), true).slot);
  CHECK(lim->connections() == 3);
  auto over = lim->admit(tcp, ip("10.0.0.5"), true);
  CHECK(over.refused == Refusal::max_connections);
  held.pop_back();  // a connection closes: its slot goes with it
  CHECK(lim->connections() == 2);
  CHECK(lim->admit(tcp, ip("10.0.0.5"), true).slot);
  auto f = lim->figures();
  CHECK(f[0].refused[static_cast<int>(Refusal::max_connections)] == 1);
  CHECK(f[1].refused[static_cast<int>(Refusal::listener)] == 1);
  CHECK(f[1].connections == 1);
}

TEST_CASE("one address is capped while others still connect; IPv6 counts by /64") {
  test::FakeClock clock;
  ConnectionLimits l;
  l.max_per_address = 2;
  auto lim = limiter(l, clock);
  auto tcp = lim->add_listener("tcp");
  auto a1 = lim->admit(tcp, ip("127.0.0.2"), true);
  auto a2 = lim->admit(tcp, ip("127.0.0.2"), true);
  CHECK(a1.slot);
  CHECK(a2.slot);
  CHECK(lim->admit(tcp, ip("127.0.0.2"), true).refused == Refusal::address);
  CHECK(lim->admit(tcp, ip("::ffff:127.0.0.2"), true).refused == Refusal::address);  // same host
  CHECK(lim->admit(tcp, ip("127.0.0.1"), true).slot);
  auto v6a = lim->admit(tcp, ip("2001:db8:1:2::1"), true);
  auto v6b = lim->admit(tcp, ip("2001:db8:1:2:ffff::9"), true);
  CHECK(v6a.slot);
  CHECK(v6b.slot);
  CHECK(lim->admit(tcp, ip("2001:db8:1:2:abcd::1"), true).refused == Refusal::address);
  CHECK(lim->admit(tcp, ip("2001:db8:1:3::1"), true).slot);  // the next /64 is someone else
  a1.slot.release();
  CHECK(lim->admit(tcp, ip("127.0.0.2"), true).slot);
}

TEST_CASE("a trusted proxy is not counted; the client it forwards is, from rebind on") {
  test::FakeClock clock;
  ConnectionLimits l;
  l.max_per_address = 1;
  auto lim = limiter(l, clock);
  auto ws = lim->add_listener("ws");
  auto p1 = lim->admit(ws, ip("127.0.0.1"), false);
  auto p2 = lim->admit(ws, ip("127.0.0.1"), false);
  REQUIRE(p1.slot);
  REQUIRE(p2.slot);
  CHECK_FALSE(lim->rebind(p1.slot, ip("203.0.113.7")).refused);
  auto second = lim->rebind(p2.slot, ip("203.0.113.7"));
  CHECK(second.refused == Refusal::address);
  CHECK(p2.slot);  // left as it was; the caller closes the connection
  CHECK_FALSE(lim->rebind(p2.slot, ip("203.0.113.8")).refused);
  p1.slot.release();
  auto p3 = lim->admit(ws, ip("127.0.0.1"), false);
  CHECK_FALSE(lim->rebind(p3.slot, ip("203.0.113.7")).refused);  // its share came back
}

TEST_CASE("the accept rate is a token bucket per address") {
  test::FakeClock clock;
  ConnectionLimits l;
  l.accept_rate = 2;  // a second
  l.accept_burst = 3;
  auto lim = limiter(l, clock);
  auto tcp = lim->add_listener("tcp");
  std::vector<ConnectionSlot> held;
  for (int i = 0; i < 3; ++i) {
    auto d = lim->admit(tcp, ip("192.0.2.1"), true);
    REQUIRE(d.slot);
    held.push_back(std::move(d.slot));
  }
  auto fourth = lim->admit(tcp, ip("192.0.2.1"), true);
  CHECK(fourth.refused == Refusal::rate);
  CHECK(lim->admit(tcp, ip("192.0.2.2"), true).slot);   // another address has its own bucket
  CHECK(lim->admit(tcp, ip("127.0.0.1"), false).slot);  // a proxy's own address has none
  clock.advance(400ms);                                 // 0.8 of a token
  CHECK(lim->admit(tcp, ip("192.0.2.1"), true).refused == Refusal::rate);
  clock.advance(200ms);  // 1.2
  CHECK(lim->admit(tcp, ip("192.0.2.1"), true).slot);
  CHECK(lim->admit(tcp, ip("192.0.2.1"), true).refused == Refusal::rate);
  clock.advance(10s);  // refilled to the burst, not past it
  for (int i = 0; i < 3; ++i) CHECK(lim->admit(tcp, ip("192.0.2.1"), true).slot);
  CHECK(lim->admit(tcp, ip("192.0.2.1"), true).refused == Refusal::rate);
}

TEST_CASE("refusals ask for a log line at most once a second, with the count since the last") {
  test::FakeClock clock;
  ConnectionLimits l;
  l.max_connections = 1;
  auto lim = limiter(l, clock);
  auto tcp = lim->add_listener("tcp");
  auto held = lim->admit(tcp, ip("10.0.0.1"), true);
  CHECK(lim->admit(tcp, ip("10.0.0.2"), true).log_count == 1);  // the first one says so at once
  for (int i = 0; i < 1000; ++i) CHECK(lim->admit(tcp, ip("10.0.0.2"), true).log_count == 0);
  CHECK(lim->accept_failed(tcp) == 1);  // another reason has its own line
  CHECK(lim->accept_failed(tcp) == 0);
  clock.advance(999ms);
  CHECK(lim->admit(tcp, ip("10.0.0.2"), true).log_count == 0);
  clock.advance(1ms);
  CHECK(lim->admit(tcp, ip("10.0.0.2"), true).log_count == 1002);
  CHECK(lim->figures()[0].refused[static_cast<int>(Refusal::max_connections)] == 1003);
  CHECK(lim->figures()[0].refused[static_cast<int>(Refusal::descriptors)] == 2);
}

TEST_CASE("addresses are forgotten once idle, and a flood of addresses stays bounded") {
  test::FakeClock clock;
  ConnectionLimits l;
  l.max_per_address = 5;
  l.accept_rate = 1;
  l.accept_burst = 2;
  l.max_tracked = 100;
  auto lim = limiter(l, clock);
  auto tcp = lim->add_listener("tcp");
  {
    auto d = lim->admit(tcp, ip("10.0.0.1"), true);
    CHECK(lim->tracked_addresses() == 1);
  }
  CHECK(lim->tracked_addresses() == 1);  // its bucket is not full again yet
  clock.advance(1s);
  for (unsigned i = 0; i < 1000; ++i) {
    auto a = boost::asio::ip::make_address_v4(0x0a000000u + 2 + i);
    lim->admit(tcp, a, true);  // each slot closes at once, leaving a drained bucket
  }
  CHECK(lim->tracked_addresses() <= 100);
  auto held = lim->admit(tcp, ip("10.9.9.9"), true);
  REQUIRE(held.slot);
  for (unsigned i = 0; i < 1000; ++i) lim->admit(tcp, boost::asio::ip::make_address_v4(0x0b000000u + i), true);
  // The address with a live connection kept its count through every pruning.
  CHECK(lim->figures()[0].connections == 1);
  // and its bucket: a burst of 2, one spent by `held`, one left.
  auto second = lim->admit(tcp, ip("10.9.9.9"), true);
  CHECK(second.slot);
  CHECK(lim->admit(tcp, ip("10.9.9.9"), true).refused == Refusal::rate);
}
