// Protocol timing and lifecycle with a fake clock: keepalive, connect timeout, wills, takeover
// across workers, session expiry.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace broker;
using namespace std::chrono_literals;
using test::Harness;

namespace {
codec::Connack connack_of(const codec::Packet& p) { return std::get<codec::Connack>(p); }
codec::Will will(std::string topic, std::string payload) {
  return codec::Will{std::move(topic), std::move(payload), 1, false};
}
}  // namespace

TEST_CASE("keepalive: closed after 1.5x the interval without a packet, will published") {
  Harness h;
  auto c = h.connect("lock", true, 10, will("/12345678901/statu", "-2"));
  REQUIRE(connack_of(h.received(c).at(0)).code == codec::ConnectReturn::accepted);
  h.clock.advance(14'900ms);
  h.sweep();
  CHECK_FALSE(c.io->closed);  // 14.9 s < 15 s
  h.send(c, codec::Pingreq{});
  h.clock.advance(14'000ms);
  h.sweep();
  CHECK_FALSE(c.io->closed);  // the ping reset the clock
  h.clock.advance(1'100ms);
  h.sweep();
  CHECK(c.io->closed);
  REQUIRE(h.recorder->published.size() == 1);
  CHECK(h.recorder->published[0] == std::pair<std::string, std::string>("/12345678901/statu", "-2"));
  CHECK(h.recorder->disconnected.at(0).second == DisconnectReason::keepalive_timeout);
}

TEST_CASE("keepalive 0 never times out when limits.max_keepalive is 0 (no cap)") {
  BrokerOptions opt;
  opt.max_keepalive = 0;
  Harness h(1, opt);
  auto c = h.connect("forever", true, 0);
  h.clock.advance(24h);
  h.sweep();
  CHECK_FALSE(c.io->closed);
}

TEST_CASE("connect timeout: a socket that never sends CONNECT is dropped, no will") {
  BrokerOptions opt;
  opt.connect_timeout = 5s;
  Harness h(1, opt);
  auto c = h.connect_raw();
  h.clock.advance(4s);
  h.sweep();
  CHECK_FALSE(c.io->closed);
  h.clock.advance(2s);
  h.sweep();
  CHECK(c.io->closed);
  CHECK(h.recorder->published.empty());
}

TEST_CASE("DISCONNECT suppresses the will; a network error publishes it") {
  Harness h;
  auto polite = h.connect("polite", true, 0, will("w", "polite"));
  h.send(polite, codec::Disconnect{});
  CHECK(polite.io->closed);
  CHECK(h.recorder->published.empty());

  auto rude = h.connect("rude", true, 0, will("w", "rude"));
  auto r = std::move(rude.io->reader);
  rude.io->reader = nullptr;
  r(boost::asio::error::connection_reset, {});
  h.drain();
  REQUIRE(h.recorder->published.size() == 1);
  CHECK(h.recorder->published[0].second == "rude");
}

TEST_CASE("takeover across workers hands the persistent session over, without the old will") {
  Harness h(2);
  auto a = h.connect("same", false, 0, will("w", "old"), 0);
  h.received(a);
  h.send(a, codec::Subscribe{1, {{"t", 1}}});
  auto b = h.connect("same", false, 0, {}, 1);
  CHECK(a.io->closed);
  auto packets = h.received(b);
  REQUIRE(!packets.empty());
  CHECK(connack_of(packets[0]).session_present);
  CHECK(h.recorder->published.empty());  // no will on takeover

  // The subscription moved with the session: a publish from worker 0 reaches the new connection.
  auto p = h.connect("pub", true, 0, {}, 0);
  h.send(p, codec::Publish{false, 1, false, "t", 7, "hello"});
  auto got = h.received(b);
  REQUIRE(got.size() == 1);
  auto& msg = std::get<codec::Publish>(got[0]);
  CHECK(msg.payload == "hello");
  CHECK(msg.qos == 1);
}

TEST_CASE("persistent session expires after session_expiry, not before") {
  BrokerOptions opt;
  opt.session_expiry = 1h;
  Harness h(1, opt);
  auto c = h.connect("sleeper", false);
  h.send(c, codec::Subscribe{1, {{"t", 1}}});
  h.send(c, codec::Disconnect{});
  CHECK(h.b->session_count() == 1);
  h.clock.advance(59min);
  broker::Broker::set_current_worker(0);
  h.b->expire_sessions();
  CHECK(h.b->session_count() == 1);
  h.clock.advance(2min);
  h.b->expire_sessions();
  CHECK(h.b->session_count() == 0);
  CHECK(h.b->subscription_count() == 0);
  auto again = h.connect("sleeper", false);
  CHECK_FALSE(connack_of(h.received(again).at(0)).session_present);
}

TEST_CASE("offline queue is bounded by count and counts what it drops") {
  BrokerOptions opt;
  opt.max_queued_messages = 3;
  Harness h(1, opt);
  auto s = h.connect("away", false);
  h.send(s, codec::Subscribe{1, {{"q", 1}}});
  h.send(s, codec::Disconnect{});
  auto p = h.connect("pub");
  for (std::uint16_t i = 1; i <= 5; ++i) h.send(p, codec::Publish{false, 1, false, "q", i, std::to_string(i)});
  auto back = h.connect("away", false);
  auto packets = h.received(back);
  REQUIRE(packets.size() == 4);  // CONNACK + 3 queued
  CHECK(std::get<codec::Publish>(packets[1]).payload == "1");
  CHECK(std::get<codec::Publish>(packets[3]).payload == "3");
  CHECK(h.b->stats().get(Stat::messages_dropped) == 2);  // what $SYS and /metrics report
}

TEST_CASE("a slow consumer is cut off at the write-queue cap") {
  BrokerOptions opt;
  opt.max_write_queue_bytes = 10'000;
  Harness h(1, opt);
  auto s = h.connect("slow");
  h.send(s, codec::Subscribe{1, {{"big", 0}}});
  // Writes complete only when the executor runs them; deliver many messages within one task.
  auto p = h.connect("pub");
  broker::Broker::set_current_worker(0);
  for (int i = 0; i < 20; ++i) h.b->publish(make_message("big", std::string(1000, 'x')));
  h.drain();
  CHECK(s.io->closed);
  CHECK(h.recorder->disconnected.back().second == DisconnectReason::slow_consumer);
  CHECK_FALSE(p.io->closed);
}
