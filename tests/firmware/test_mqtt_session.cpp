// The lock's MQTT session on an injected clock and transport: connect, backoff, keepalive, and
// what it does with packets a broker should never send.
#include <doctest/doctest.h>

#include "fake_platform.hpp"

using namespace fwtest;
namespace codec = broker::codec;
using State = firmware::MqttClient::State;

namespace {

// Fails one connection attempt (the TCP connect is refused) and returns the delay chosen.
Millis refused_attempt(Rig& r) {
  r.advance_to(r.core.next_wake());
  REQUIRE(r.p.link(Link::mqtt).open);
  r.core.on_link_down(Link::mqtt);
  REQUIRE(r.core.mqtt().state() == State::waiting);
  return r.core.next_wake() - r.p.now;
}

}  // namespace

TEST_CASE("the first connect waits a random part of the minimum backoff, then sends CONNECT") {
  Rig r;
  r.p.randoms = {300};
  r.core.start();
  CHECK(r.core.next_wake() == 1300);
  r.advance_to(1299);
  CHECK(r.p.link(Link::mqtt).opens == 0);
  r.advance_to(1300);
  REQUIRE(r.p.link(Link::mqtt).opens == 1);
  CHECK(r.p.link(Link::mqtt).host == "broker.test");
  CHECK(r.p.link(Link::mqtt).port == 1883);
  r.link_up();
  auto sent = r.sent();
  REQUIRE(sent.size() == 1);
  auto& c = std::get<codec::Connect>(sent[0]);
  CHECK(c.client_id == "12345678901");
  CHECK(c.username == std::optional<std::string>("12345678901"));
  CHECK(c.keepalive == 30);
  REQUIRE(c.will);
  CHECK(c.will->topic == "/12345678901/statu");
  CHECK(c.will->payload == "-2");
  CHECK(c.will->qos == 1);
  CHECK_FALSE(c.will->retain);
}

TEST_CASE("after CONNACK the lock subscribes, reports its status and its running version") {
  Rig r;
  r.connect();
  auto sent = r.sent();
  REQUIRE(sent.size() == 3);
  auto& sub = std::get<codec::Subscribe>(sent[0]);
  REQUIRE(sub.topics.size() == 2);
  CHECK(sub.topics[0].filter == "/12345678901/call");
  CHECK(sub.topics[0].qos == 1);
  CHECK(sub.topics[1].filter == "/12345678901/ota");
  auto& status = std::get<codec::Publish>(sent[1]);
  CHECK(status.topic == "/12345678901/statu");
  CHECK(status.payload == "1");
  CHECK(status.qos == 1);
  CHECK_FALSE(status.retain);
  auto& fw = std::get<codec::Publish>(sent[2]);
  CHECK(fw.topic == "/12345678901/fw");
  CHECK(fw.payload == R"({"version":"1.0.0","state":"running"})");
}

TEST_CASE("reconnect delays double from the minimum to the cap with equal jitter") {
  Rig r;
  r.core.start();
  // random32() == 0 picks the shortest delay of each step: half the cap.
  std::vector<Millis> shortest;
  for (int i = 0; i < 9; ++i) shortest.push_back(refused_attempt(r));
  CHECK(shortest == std::vector<Millis>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000});
  CHECK(r.core.mqtt().attempts() == 9);

  // The largest random value lands on the cap itself; others fall in between.
  Rig s;
  s.core.start();
  s.p.random_rest = 0xffffffffu;
  std::vector<Millis> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(refused_attempt(s));
  for (std::size_t i = 0; i < delays.size(); ++i) {
    Millis cap = std::min<Millis>(1000u << i, 60000);
    CHECK(delays[i] >= cap / 2);
    CHECK(delays[i] <= cap);
  }
  CHECK(s.p.noted(Note::backoff));
}

TEST_CASE("a connection that lasted resets the backoff; one cut at once does not") {
  Rig r;
  r.core.start();
  for (int i = 0; i < 4; ++i) refused_attempt(r);
  r.advance_to(r.core.next_wake());
  r.link_up();
  r.accept();
  REQUIRE(r.core.mqtt().connected());
  r.core.on_link_down(Link::mqtt);  // cut straight after CONNACK
  CHECK(r.core.mqtt().attempts() == 5);
  CHECK(r.core.next_wake() - r.p.now == 8000);

  r.advance_to(r.core.next_wake());
  r.link_up();
  r.accept();
  for (int i = 0; i < 2; ++i) {  // up for longer than the longest delay, answering pings
    r.advance(30000);
    r.feed(codec::Pingresp{});
  }
  r.advance(1000);
  REQUIRE(r.core.mqtt().connected());
  r.core.on_link_down(Link::mqtt);
  CHECK(r.core.mqtt().attempts() == 1);
  CHECK(r.core.next_wake() - r.p.now == 500);
}

TEST_CASE("an unanswered connect or CONNACK times out and is retried") {
  Rig r;
  r.core.start();
  r.advance_to(r.core.next_wake());
  Millis opened = r.p.now;
  r.advance_to(opened + r.cfg.connect_timeout_ms - 1);
  CHECK(r.core.mqtt().state() == State::connecting);
  r.advance_to(opened + r.cfg.connect_timeout_ms);
  CHECK(r.core.mqtt().state() == State::waiting);
  CHECK(r.p.link(Link::mqtt).closes == 1);
  CHECK(r.p.noted(Note::disconnected, "connect timeout"));

  r.advance_to(r.core.next_wake());
  r.link_up();  // TCP up, but the broker never answers CONNECT
  r.advance(r.cfg.connect_timeout_ms);
  CHECK(r.core.mqtt().state() == State::waiting);
  CHECK(r.p.link(Link::mqtt).closes == 2);
}

TEST_CASE("keepalive: PINGREQ after keepalive seconds of silence, a dead broker is dropped") {
  Rig r;
  r.connect();
  r.sent();
  Millis t0 = r.p.now;  // the last packet went out at CONNACK time
  r.advance_to(t0 + 29999);
  CHECK(r.sent().empty());
  r.advance_to(t0 + 30000);
  auto sent = r.sent();
  REQUIRE(sent.size() == 1);
  CHECK(std::holds_alternative<codec::Pingreq>(sent[0]));
  r.feed(codec::Pingresp{});

  // Sending anything counts as activity: the next ping is 30 s after the last packet.
  r.advance(10000);
  r.p.bolt = Bolt::open;
  r.core.on_bolt_changed();
  r.sent();
  Millis last = r.p.now;
  r.advance_to(last + 29999);
  CHECK(r.sent().empty());
  r.advance_to(last + 30000);
  REQUIRE(r.sent().size() == 1);

  // No PINGRESP within ping_timeout: the link is dead, the lock reconnects.
  r.advance(r.cfg.ping_timeout_ms - 1);
  CHECK(r.core.mqtt().connected());
  r.advance(1);
  CHECK(r.core.mqtt().state() == State::waiting);
  CHECK(r.p.noted(Note::disconnected, "ping timeout"));
  CHECK(r.core.mqtt().counters().pings == 2);
}

TEST_CASE("malformed or unexpected broker packets drop the connection, and the lock recovers") {
  const std::string cases[] = {
      std::string("\x30\xff\xff\xff\xff\x01", 6),      // five-byte remaining length
      std::string("\x30\x80\x00", 3),                  // non-minimal remaining length
      std::string("\x32\x03\x00\x09\x61", 5),          // topic length past the packet
      std::string("\x32\x05\x00\x01\x61\x00\x00", 7),  // QoS 1 with packet id 0
      std::string("\x36\x05\x00\x01\x61\x00\x01", 7),  // QoS 3
      std::string("\x60\x02\x00\x01", 4),              // PUBREL without its flags
      std::string("\x90\x03\x00\x01\x05", 5),          // SUBACK with return code 5
      std::string("\x10\x00", 2),                      // CONNECT sent to a client
      std::string("\x20\x02\x00\x00", 4),              // a second CONNACK
      std::string("\x00\x00", 2),                      // reserved type 0
      std::string("\xf0\x00", 2),                      // reserved type 15
      std::string("\xd0\x01\x00", 3),                  // PINGRESP with a body
  };
  for (auto& bytes : cases) {
    CAPTURE(bytes.size());
    Rig r;
    r.connect();
    r.sent();
    r.feed(bytes);
    CHECK(r.core.mqtt().state() == State::waiting);
    CHECK(r.p.link(Link::mqtt).closes == 1);
    CHECK(r.core.mqtt().counters().bad_packets == 1);
    // And the next attempt works.
    r.advance_to(r.core.next_wake());
    r.link_up();
    r.accept();
    CHECK(r.core.mqtt().connected());
  }

  Rig early;
  early.core.start();
  early.advance_to(early.core.next_wake());
  early.link_up();
  early.deliver("/12345678901/call", "unlock");  // before CONNACK
  CHECK(early.core.mqtt().state() == State::waiting);
  CHECK(early.p.drives.empty());
}

TEST_CASE("random bytes from the broker never crash the lock or leave it stuck") {
  std::uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245u + 12345u, seed >> 16; };
  for (int round = 0; round < 3000; ++round) {
    Rig r;
    r.connect();
    std::string junk(next() % 64 + 1, '\0');
    for (auto& c : junk) c = static_cast<char>(next());
    if (round % 2) junk[0] = static_cast<char>(0x30 | (next() & 0x0f));  // mostly PUBLISH-shaped
    r.feed(junk);
    auto st = r.core.mqtt().state();
    REQUIRE((st == State::connected || st == State::waiting));
    if (st == State::waiting) REQUIRE(r.core.next_wake() > r.p.now);
  }
}

TEST_CASE("a packet too large for the lock is skipped and the next one still works") {
  Rig r;
  r.connect();
  r.sent();
  codec::Publish big;
  big.topic = "/12345678901/call";
  big.payload = std::string(5000, 'x');
  std::string bytes = codec::encode(big);
  codec::Publish unlock;
  unlock.topic = "/12345678901/call";
  unlock.payload = "unlock";
  bytes += codec::encode(unlock);
  // Arriving in odd pieces, as TCP may deliver them.
  for (std::size_t i = 0; i < bytes.size(); i += 333) r.feed(bytes.substr(i, 333));
  CHECK(r.core.mqtt().connected());
  CHECK(r.core.mqtt().counters().skipped_oversize == 1);
  REQUIRE(r.p.drives.size() == 1);
  CHECK(r.p.drives[0] == Bolt::open);
}

TEST_CASE("QoS 1 deliveries are acknowledged, QoS 2 runs PUBREC/PUBREL/PUBCOMP") {
  Rig r;
  r.connect();
  r.sent();
  r.deliver("/12345678901/call", "noop", 1, 11);
  auto sent = r.sent();
  REQUIRE(sent.size() == 1);
  CHECK(std::get<codec::Ack>(sent[0]).type == codec::PacketType::puback);
  CHECK(std::get<codec::Ack>(sent[0]).packet_id == 11);

  r.deliver("/12345678901/call", "noop", 2, 12);
  sent = r.sent();
  REQUIRE(sent.size() == 1);
  CHECK(std::get<codec::Ack>(sent[0]).type == codec::PacketType::pubrec);
  r.feed(codec::Ack{codec::PacketType::pubrel, 12});
  sent = r.sent();
  REQUIRE(sent.size() == 1);
  CHECK(std::get<codec::Ack>(sent[0]).type == codec::PacketType::pubcomp);
  CHECK(std::get<codec::Ack>(sent[0]).packet_id == 12);
}

TEST_CASE("a refused CONNACK is reported and retried with backoff") {
  Rig r;
  r.core.start();
  r.advance_to(r.core.next_wake());
  r.link_up();
  r.accept(5);
  CHECK(r.p.noted(Note::connect_refused, "5"));
  CHECK(r.core.mqtt().state() == State::waiting);
  CHECK(r.p.link(Link::mqtt).closes == 1);
  CHECK(r.core.next_wake() - r.p.now == 500);
}

TEST_CASE("a send the platform cannot take drops the link instead of losing bytes silently") {
  Rig r;
  r.connect();
  r.sent();
  r.p.link(Link::mqtt).refuse_send = true;
  r.deliver("/12345678901/call", "unlock", 1, 5);  // the PUBACK cannot be sent
  CHECK(r.core.mqtt().state() == State::waiting);
  CHECK(r.p.noted(Note::disconnected, "send buffer full"));
}
