// Issue 15, item 5: what a client costs before it authenticates (CONNECT's size), a client that
// asks for no keepalive or a huge one, and deliveries posted across workers faster than the target
// worker runs them. Time is the harness's clock and the workers are drained by hand.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace broker;
using namespace std::chrono_literals;
using test::Harness;

namespace {

codec::Publish publish(std::string topic, std::string payload, std::uint8_t qos = 0, std::uint16_t id = 0) {
  return codec::Publish{false, qos, false, std::move(topic), id, std::move(payload)};
}

std::size_t publishes_in(const std::vector<codec::Packet>& packets) {
  std::size_t n = 0;
  for (auto& p : packets) n += std::holds_alternative<codec::Publish>(p);
  return n;
}

}  // namespace

TEST_CASE("a CONNECT announcing more than max_connect_size is cut when its header arrives") {
  BrokerOptions opt;
  opt.max_connect_size = 64 * 1024;
  Harness h(1, opt);
  auto c = h.connect_raw();
  // 0x10, remaining length 70,000 (0xF0 0xA2 0x04): under max_packet_size (1 MiB), over the cap.
  h.send_bytes(c, std::string("\x10\xF0\xA2\x04", 4));
  CHECK(c.io->closed);
  CHECK(h.b->stats().get(Stat::connects_too_large) == 1);
}

TEST_CASE("a CONNECT at max_connect_size is read; after it, packets up to max_packet_size") {
  BrokerOptions opt;
  opt.max_connect_size = 1024;
  Harness h(1, opt);
  auto c = h.connect_raw();
  codec::Connect p;
  p.client_id = std::string(900, 'c');
  auto bytes = codec::encode(p);
  REQUIRE(bytes.size() <= 1024);
  h.send_bytes(c, bytes);
  REQUIRE(std::get<codec::Connack>(h.received(c).at(0)).code == codec::ConnectReturn::accepted);
  h.send(c, codec::Subscribe{1, {{"t", 0}}});
  h.send(c, publish("t", std::string(4096, 'x')));  // over 1 KiB, allowed once connected
  CHECK_FALSE(c.io->closed);
  CHECK(publishes_in(h.received(c)) == 1);
  CHECK(h.b->stats().get(Stat::connects_too_large) == 0);
}

TEST_CASE("keepalive 0 or over max_keepalive gets max_keepalive: cut after 1.5x of it") {
  BrokerOptions opt;
  opt.max_keepalive = 100;
  Harness h(1, opt);
  auto none = h.connect("none", true, 0);
  auto huge = h.connect("huge", true, 65535);
  auto small = h.connect("small", true, 60);
  h.clock.advance(89s);
  h.send(small, codec::Pingreq{});
  h.clock.advance(60s);  // 149 s idle for the first two, 60 s for the third
  h.sweep();
  CHECK_FALSE(none.io->closed);
  CHECK_FALSE(huge.io->closed);
  h.clock.advance(2s);  // 151 s > 1.5 x 100 s
  h.sweep();
  CHECK(none.io->closed);
  CHECK(huge.io->closed);
  CHECK_FALSE(small.io->closed);  // 62 s < 90 s: its own keepalive still applies
  CHECK(h.b->stats().get(Stat::keepalive_timeouts) == 2);
}

TEST_CASE("cross-worker QoS 0 deliveries past max_worker_backlog are shed and counted; QoS 1 go") {
  BrokerOptions opt;
  opt.max_worker_backlog = 3;
  Harness h(2, opt);
  auto sub0 = h.connect("sub0", true, 0, {}, 1);
  h.send(sub0, codec::Subscribe{1, {{"t0", 0}}});
  auto sub1 = h.connect("sub1", true, 0, {}, 1);
  h.send(sub1, codec::Subscribe{1, {{"t1", 1}}});
  h.received(sub0);
  h.received(sub1);
  auto pub = h.connect("pub", true, 0, {}, 0);
  h.received(pub);
  // Ten QoS 0 then ten QoS 1 in one read: one batch for worker 1, which is not run meanwhile.
  std::string burst;
  for (std::uint16_t i = 0; i < 10; ++i) burst += codec::encode(publish("t0", "q0"));
  for (std::uint16_t i = 0; i < 10; ++i)
    burst += codec::encode(publish("t1", "q1", 1, static_cast<std::uint16_t>(i + 1)));
  broker::Broker::set_current_worker(0);
  auto r = std::move(pub.io->reader);
  pub.io->reader = nullptr;
  r({}, burst);
  while (!h.executors[0]->tasks.empty()) {  // worker 0 only: the batch is posted, not run
    auto t = std::move(h.executors[0]->tasks.front());
    h.executors[0]->tasks.pop_front();
    t();
  }
  CHECK(h.b->worker_backlog(1) == 13);  // 3 QoS 0 kept, 10 QoS 1
  CHECK(h.b->stats().get(Stat::deliveries_shed) == 7);
  h.drain();
  CHECK(h.b->worker_backlog(1) == 0);
  CHECK(publishes_in(h.received(sub0)) == 3);
  CHECK(publishes_in(h.received(sub1)) == 10);
}
