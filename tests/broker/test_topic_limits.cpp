// Issue 15, item 3: how deep and long topics and filters may be, what one client's subscriptions
// may hold, and a retained store that refuses before it builds. Each case sends the hostile value
// through a real Connection (the harness) and checks what the broker kept.
#include <doctest/doctest.h>

#include "harness.hpp"
#include "memory_persistence.hpp"

using namespace broker;
using test::Harness;
using test::MemoryPersistence;

namespace {

std::string levels(std::size_t n, const std::string& level = "a") {
  std::string s = level;
  for (std::size_t i = 1; i < n; ++i) s += "/" + level;
  return s;
}

std::vector<std::uint8_t> suback_codes(Harness& h, Harness::Client& c) {
  for (auto& p : h.received(c))
    if (auto* s = std::get_if<codec::Suback>(&p)) return s->codes;
  FAIL("no SUBACK");
  return {};
}

codec::Publish publish(std::string topic, std::string payload, bool retain = false) {
  return codec::Publish{false, 0, retain, std::move(topic), 0, std::move(payload)};
}

}  // namespace

TEST_CASE("a filter deeper or longer than the limits gets SUBACK 0x80 and holds no node") {
  Harness h;
  auto c = h.connect("phone");
  h.received(c);
  auto deep = "/1/" + levels(127);             // 129 levels
  auto wide = "/1/" + std::string(1022, 'x');  // 1025 bytes, 3 levels
  h.send(c, codec::Subscribe{1, {{deep, 0}, {wide, 0}, {"/1/" + levels(126), 1}, {"/1/#", 1}}});
  CHECK(suback_codes(h, c) == std::vector<std::uint8_t>{0x80, 0x80, 1, 1});
  CHECK(h.b->subscription_count() == 2);
  CHECK(h.b->stats().get(Stat::topics_rejected) == 2);
  CHECK_FALSE(h.transports[0]->closed);
}

TEST_CASE("a PUBLISH whose topic is over the limits closes the publisher and reaches no one") {
  Harness h;
  auto sub = h.connect("sub");
  h.send(sub, codec::Subscribe{1, {{"#", 0}}});
  h.received(sub);
  auto pub = h.connect("pub");
  h.send(pub, publish(levels(129), "x", true));
  CHECK(pub.io->closed);
  CHECK(h.received(sub).empty());
  CHECK(h.b->retained().size() == 0);
  CHECK(h.b->stats().get(Stat::topics_rejected) == 1);
  CHECK(h.recorder->published.empty());
}

TEST_CASE("a will topic over the limits refuses the CONNECT: no CONNACK, no session, no will") {
  Harness h;
  auto c = h.connect("lock", true, 60, codec::Will{levels(200), "gone", 0, true});
  CHECK(c.io->closed);
  CHECK(h.received(c).empty());
  CHECK(h.b->session_count() == 0);
  CHECK(h.b->stats().get(Stat::topics_rejected) == 1);
  CHECK(h.recorder->published.empty());
}

TEST_CASE("one client's subscriptions stop at limits.max_subscription_bytes; unsubscribing frees it") {
  BrokerOptions opt;
  opt.max_subscription_bytes = 64 * 1024;
  Harness h(1, opt);
  auto c = h.connect("phone");
  h.received(c);
  auto filter = [](int i) { return "/" + std::to_string(i) + "/" + levels(100); };
  auto cost = SubscriptionTree::footprint(filter(10));
  REQUIRE(cost > 4096);  // 100 levels of nodes: kilobytes each
  std::size_t fit = opt.max_subscription_bytes / cost;
  REQUIRE(fit < 20);
  codec::Subscribe s{1, {}};
  for (int i = 10; i < 30; ++i) s.topics.push_back({filter(i), 0});
  h.send(c, s);
  auto codes = suback_codes(h, c);
  REQUIRE(codes.size() == 20);
  for (std::size_t i = 0; i < 20; ++i) CHECK_MESSAGE(codes[i] == (i < fit ? 0 : 0x80), i);
  CHECK(h.b->subscription_count() == fit);
  CHECK(h.b->stats().get(Stat::subscriptions_rejected) == 20 - fit);
  // Re-subscribing to a filter it holds is not a new cost.
  h.send(c, codec::Subscribe{2, {{filter(10), 1}}});
  CHECK(suback_codes(h, c) == std::vector<std::uint8_t>{1});
  // Lock-sized filters still fit beside them, and room comes back with UNSUBSCRIBE.
  h.send(c, codec::Unsubscribe{3, {filter(10)}});
  h.send(c, codec::Subscribe{4, {{filter(29), 0}, {"/12345678901/statu", 0}}});
  CHECK(suback_codes(h, c) == std::vector<std::uint8_t>{0, 0});
  // Another client has a budget of its own.
  auto other = h.connect("other");
  h.received(other);
  h.send(other, codec::Subscribe{1, {{filter(10), 0}}});
  CHECK(suback_codes(h, other) == std::vector<std::uint8_t>{0});
}

TEST_CASE("footprint: a lock-sized filter is a few hundred bytes, the deepest allowed one kilobytes") {
  auto lock = SubscriptionTree::footprint("/12345678901/statu");
  CHECK(lock > 100);
  CHECK(lock < 1000);
  // 1,000 lock-sized subscriptions fit the default budget.
  CHECK(1000 * lock <= BrokerOptions{}.max_subscription_bytes);
  CHECK(SubscriptionTree::footprint(levels(128)) > 64 * SubscriptionTree::footprint("a"));
}

TEST_CASE("retained store: a full store refuses a new topic before building it, still replaces") {
  RetainedStore::Limits limits;
  limits.max_messages = 1;
  RetainedStore store(limits);
  CHECK(store.update(make_message("/1/statu", "1", 0, true)) == RetainedStore::Update::stored);
  CHECK(store.update(make_message("/1/statu/x", "1", 0, true)) == RetainedStore::Update::rejected_limit);
  CHECK(store.update(make_message("/2/statu", "1", 0, true)) == RetainedStore::Update::rejected_limit);
  CHECK(store.update(make_message("/1/statu", "0", 0, true)) == RetainedStore::Update::stored);
  CHECK(store.update(make_message(levels(129), "1", 0, true)) == RetainedStore::Update::rejected_limit);
  CHECK(store.size() == 1);
  CHECK(store.rejected() == 3);
  std::vector<MessagePtr> out;
  store.match("#", out);
  REQUIRE(out.size() == 1);
  CHECK(out[0]->payload == "0");
  // Clearing the one there frees room for another.
  CHECK(store.update(make_message("/1/statu", "", 0, true)) == RetainedStore::Update::cleared);
  CHECK(store.update(make_message("/2/statu", "1", 0, true)) == RetainedStore::Update::stored);
}

TEST_CASE("restore: stored filters and retained topics over today's limits are dropped, and forgotten") {
  // What an older build, with no limits, may have written.
  PersistedState saved;
  auto wall = test::FakeClock{}.unix_ms();
  saved.apply(persist::SessionCreated{"old"});
  saved.apply(persist::Subscribed{"old", levels(5000), 1});
  saved.apply(persist::Subscribed{"old", "/1/statu", 1});
  for (int i = 0; i < 50; ++i) saved.apply(persist::Subscribed{"old", "/" + std::to_string(i) + "/" + levels(120), 0});
  saved.apply(persist::SessionDetached{"old", wall});
  saved.apply(persist::MessageStored{1, make_message(levels(5000), "deep", 1, true)});
  saved.apply(persist::RetainSet{levels(5000), 1});
  saved.apply(persist::MessageStored{2, make_message("/1/statu", "1", 1, true)});
  saved.apply(persist::RetainSet{"/1/statu", 2});

  BrokerOptions opt;
  opt.max_subscription_bytes = 128 * 1024;
  Harness h(1, opt);
  auto store = std::make_shared<MemoryPersistence>();
  h.b->set_persistence(store);
  h.b->restore(saved);
  auto kept = h.b->subscription_count();
  CHECK(kept >= 2);
  CHECK(kept < 40);  // the budget stopped the 120-level ones
  CHECK(h.b->retained().size() == 1);
  std::size_t unsubscribed = 0, cleared = 0;
  for (auto& r : store->records) {
    unsubscribed += std::holds_alternative<persist::Unsubscribed>(r);
    cleared += std::holds_alternative<persist::RetainCleared>(r);
  }
  CHECK(unsubscribed == 52 - kept);
  CHECK(cleared == 1);

  // The session is back with what fits, and routes by it.
  auto c = h.connect("old", false);
  h.received(c);
  auto pub = h.connect("lock");
  h.send(pub, publish("/1/statu", "0"));
  bool got = false;
  for (auto& p : h.received(c))
    if (auto* m = std::get_if<codec::Publish>(&p)) got |= m->payload == "0";
  CHECK(got);
}
