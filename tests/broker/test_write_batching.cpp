// Write coalescing: what one round of handlers queues for a client leaves in one transport write,
// whether it came from reads on the client's own worker or from another worker's batch.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace broker;
using test::Harness;

namespace {
std::string publishes(int n, const std::string& topic) {
  std::string bytes;
  for (int i = 0; i < n; ++i) bytes += codec::encode(codec::Publish{false, 0, false, topic, 0, std::to_string(i)});
  return bytes;
}

std::vector<std::string> payloads(const std::vector<codec::Packet>& packets) {
  std::vector<std::string> out;
  for (auto& p : packets)
    if (auto* pub = std::get_if<codec::Publish>(&p)) out.push_back(pub->payload);
  return out;
}
}  // namespace

TEST_CASE("publishes read together reach a subscriber on the same worker in one write") {
  Harness h;
  auto s = h.connect("sub");
  h.send(s, codec::Subscribe{1, {{"t", 0}}});
  h.received(s);
  auto before = s.io->writes;
  auto p = h.connect("pub");
  h.send_bytes(p, publishes(3, "t"));
  CHECK(s.io->writes == before + 1);
  CHECK(payloads(h.received(s)) == std::vector<std::string>{"0", "1", "2"});
}

TEST_CASE("a cross-worker batch reaches its subscriber in one write") {
  Harness h(2);
  auto s = h.connect("sub", true, 0, {}, 0);
  h.send(s, codec::Subscribe{1, {{"t", 0}}});
  h.received(s);
  auto before = s.io->writes;
  auto p = h.connect("pub", true, 0, {}, 1);
  h.send_bytes(p, publishes(4, "t"));
  CHECK(s.io->writes == before + 1);
  CHECK(payloads(h.received(s)) == std::vector<std::string>{"0", "1", "2", "3"});
}

TEST_CASE("QoS 1 acknowledgements for one read leave in one write, in order") {
  Harness h;
  auto p = h.connect("pub");
  h.received(p);
  auto before = p.io->writes;
  std::string bytes;
  for (std::uint16_t id = 1; id <= 3; ++id) bytes += codec::encode(codec::Publish{false, 1, false, "nobody", id, "x"});
  h.send_bytes(p, bytes);
  CHECK(p.io->writes == before + 1);
  auto acks = h.received(p);
  REQUIRE(acks.size() == 3);
  for (std::uint16_t i = 0; i < 3; ++i) CHECK(std::get<codec::Ack>(acks[i]).packet_id == i + 1);
}

TEST_CASE("a write in progress takes what was queued meanwhile when it completes") {
  Harness h;
  auto s = h.connect("sub");
  h.send(s, codec::Subscribe{1, {{"t", 0}}});
  h.received(s);
  auto p = h.connect("pub");
  // The first round's flush starts a write; the next publish queues behind it and goes out
  // from the write's completion, without being lost or reordered.
  Broker::set_current_worker(0);
  h.b->publish(make_message("t", "a"));
  auto& tasks = h.executors[0]->tasks;
  REQUIRE(tasks.size() == 1);  // the deferred flush
  auto flush = std::move(tasks.front());
  tasks.pop_front();
  flush();
  h.b->publish(make_message("t", "b"));
  h.drain();
  CHECK(payloads(h.received(s)) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("packets queued in the round a connection closes are still written") {
  Harness h;
  auto p = h.connect("pub");
  h.received(p);
  h.send_bytes(p, codec::encode(codec::Publish{false, 1, false, "t", 7, "x"}) + codec::encode(codec::Disconnect{}));
  CHECK(p.io->closed);
  auto packets = h.received(p);
  REQUIRE(packets.size() == 1);
  CHECK(std::get<codec::Ack>(packets[0]).packet_id == 7);
}
