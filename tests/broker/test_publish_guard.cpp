// The PublishGuard hook (hooks.hpp): asked for every client PUBLISH and will after the ACL, it
// may drop a message or strip its retain flag; the broker's own publishes never ask it.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace broker;
using test::Harness;

namespace {

codec::Publish publish(std::string topic, std::string payload, std::uint8_t qos, std::uint16_t id,
                       bool retain = false) {
  return codec::Publish{false, qos, retain, std::move(topic), id, std::move(payload)};
}

// "deny/..." is dropped, "live/..." loses its retain flag; what was asked is recorded.
struct TopicPrefixGuard final : PublishGuard {
  mutable std::vector<std::string> asked;
  PublishVerdict check(const ClientInfo& from, std::string_view topic, bool retain) const override {
    asked.push_back(from.client_id + " " + std::string(topic) + (retain ? " retain" : ""));
    if (topic.substr(0, 5) == "deny/") return PublishVerdict::deny;
    if (topic.substr(0, 5) == "live/") return PublishVerdict::allow_unretained;
    return PublishVerdict::allow;
  }
};

std::vector<codec::Publish> publishes(const std::vector<codec::Packet>& packets) {
  std::vector<codec::Publish> out;
  for (auto& p : packets)
    if (auto* t = std::get_if<codec::Publish>(&p)) out.push_back(*t);
  return out;
}

struct Fixture {
  Fixture() { h.b->set_publish_guard(guard); }
  // A client subscribed to `filter` at QoS 1, its SUBACK already read.
  Harness::Client subscriber(const std::string& id, const std::string& filter = "#") {
    auto c = h.connect(id);
    h.send(c, codec::Subscribe{1, {{filter, 1}}});
    h.received(c);
    return c;
  }
  std::shared_ptr<TopicPrefixGuard> guard = std::make_shared<TopicPrefixGuard>();
  Harness h;
};

}  // namespace

TEST_CASE("publish guard: a denied publish is acknowledged, counted, and reaches nobody") {
  Fixture f;
  auto& h = f.h;
  auto sub = f.subscriber("sub");
  auto pub = h.connect("pub");
  h.received(pub);
  h.send(pub, publish("deny/x", "unlock", 1, 7));
  auto acks = h.received(pub);
  REQUIRE(acks.size() == 1);
  CHECK(std::get<codec::Ack>(acks[0]).packet_id == 7);  // 3.1.1 has no negative ack
  CHECK(publishes(h.received(sub)).empty());
  CHECK(h.recorder->published.empty());  // observers (the lock rules) never see it either
  CHECK(h.b->stats().get(Stat::publish_denied) == 1);
  CHECK(f.guard->asked == std::vector<std::string>{"pub deny/x"});
}

TEST_CASE("publish guard: a retained publish it makes live is routed but not stored") {
  Fixture f;
  auto& h = f.h;
  auto early = h.connect("early");
  h.send(early, codec::Subscribe{1, {{"live/#", 1}, {"keep/#", 1}}});
  h.received(early);
  auto pub = h.connect("pub");
  h.send(pub, publish("live/m", std::string(1000, 'x'), 1, 1, true));
  h.send(pub, publish("keep/m", "kept", 1, 2, true));
  auto got = publishes(h.received(early));
  REQUIRE(got.size() == 2);
  CHECK(got[0].topic == "live/m");
  CHECK_FALSE(got[0].retain);
  CHECK(h.b->retained().size() == 1);  // only keep/m

  auto late = h.connect("late");
  h.send(late, codec::Subscribe{1, {{"live/#", 1}, {"keep/#", 1}}});
  auto replay = publishes(h.received(late));
  REQUIRE(replay.size() == 1);
  CHECK(replay[0].topic == "keep/m");
  CHECK(replay[0].retain);
}

TEST_CASE("publish guard: wills are asked too") {
  Fixture f;
  auto& h = f.h;
  auto sub = f.subscriber("sub");
  auto denied = h.connect("a", true, 0, codec::Will{"deny/w", "-2", 1, false});
  auto live = h.connect("b", true, 0, codec::Will{"live/w", "-2", 1, true});
  denied.conn->close(DisconnectReason::network_error);
  live.conn->close(DisconnectReason::network_error);
  h.drain();
  auto got = publishes(h.received(sub));
  REQUIRE(got.size() == 1);
  CHECK(got[0].topic == "live/w");
  CHECK(h.b->retained().size() == 0);
}

TEST_CASE("publish guard: the broker's own publishes are not asked") {
  Fixture f;
  auto& h = f.h;
  auto sub = f.subscriber("sub");
  Broker::set_current_worker(0);
  h.b->publish(make_message("deny/call", "unlock", 1));
  h.drain();
  CHECK(publishes(h.received(sub)).size() == 1);
  CHECK(f.guard->asked.empty());
}
