// The broker's persistence: which records each state change appends, acknowledgements held until
// the store is durable, restore after a restart, expiry of restored sessions and the store limit.
// The store is in memory (memory_persistence.hpp) and time is the harness's fake clock.
#include <algorithm>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "memory_persistence.hpp"

using namespace broker;
using namespace std::chrono_literals;
using test::Harness;
using test::MemoryPersistence;
using Kinds = std::vector<std::string>;

namespace {

codec::Publish publish(std::string topic, std::string payload, std::uint8_t qos, std::uint16_t id,
                       bool retain = false) {
  return codec::Publish{false, qos, retain, std::move(topic), id, std::move(payload)};
}

codec::Ack ack(codec::PacketType type, std::uint16_t id) { return codec::Ack{type, id}; }

// Packets of one type among `packets`.
template <typename T>
std::vector<T> only(const std::vector<codec::Packet>& packets) {
  std::vector<T> out;
  for (auto& p : packets)
    if (auto* t = std::get_if<T>(&p)) out.push_back(*t);
  return out;
}

std::vector<std::uint16_t> acks_of(const std::vector<codec::Packet>& packets, codec::PacketType type) {
  std::vector<std::uint16_t> out;
  for (auto& a : only<codec::Ack>(packets))
    if (a.type == type) out.push_back(a.packet_id);
  return out;
}

// A persistent session subscribed to `filter` and then left: what it is sent waits in its queue.
void offline_subscriber(Harness& h, const std::string& id, const std::string& filter, std::uint8_t qos) {
  auto c = h.connect(id, false);
  h.send(c, codec::Subscribe{1, {{filter, qos}}});
  h.send(c, codec::Disconnect{});
}

struct Fixture {
  explicit Fixture(BrokerOptions opt = {}, unsigned workers = 1) : h(workers, opt) { h.b->set_persistence(store); }
  std::shared_ptr<MemoryPersistence> store = std::make_shared<MemoryPersistence>();
  Harness h;
};

}  // namespace

TEST_CASE("persistence: each change of a persistent session appends its record") {
  Fixture f;
  auto& h = f.h;
  auto sub = h.connect("sub", false);
  h.send(sub, codec::Subscribe{1, {{"q", 2}}});
  CHECK(f.store->take_kinds() == Kinds{"SessionCreated", "SessionOwned", "SessionAttached", "Subscribed"});
  h.send(sub, codec::Disconnect{});
  CHECK(f.store->take_kinds() == Kinds{"SessionDetached"});
  CHECK(f.store->state.sessions.at("sub").detached_unix_ms == h.clock.unix_ms());

  auto pub = h.connect("pub");  // a clean publisher appends nothing of its own
  h.send(pub, publish("q", "one", 1, 1));
  h.send(pub, publish("q", "two", 2, 2));
  CHECK(f.store->take_kinds() == Kinds{"MessageStored", "Enqueued", "MessageStored", "Enqueued"});

  auto back = h.connect("sub", false);
  auto got = only<codec::Publish>(h.received(back));
  REQUIRE(got.size() == 2);
  CHECK(f.store->take_kinds() == Kinds{"SessionAttached", "Sent", "Sent"});
  h.send(back, ack(codec::PacketType::puback, got[0].packet_id));
  h.send(back, ack(codec::PacketType::pubrec, got[1].packet_id));
  h.send(back, ack(codec::PacketType::pubcomp, got[1].packet_id));
  CHECK(f.store->take_kinds() == Kinds{"Completed", "Released", "Completed"});
  CHECK(f.store->state.sessions.at("sub").outgoing.empty());
  CHECK(f.store->state.messages.empty());

  // QoS 2 from a persistent publisher: its id is remembered until PUBREL.
  auto ppub = h.connect("ppub", false);
  f.store->take_kinds();
  h.send(ppub, publish("elsewhere", "x", 2, 9));
  CHECK(f.store->take_kinds() == Kinds{"IncomingQos2"});
  f.store->complete_barriers();
  h.drain();
  h.send(ppub, ack(codec::PacketType::pubrel, 9));
  CHECK(f.store->take_kinds() == Kinds{"IncomingQos2Done"});

  h.send(back, codec::Unsubscribe{3, {"q"}});
  CHECK(f.store->take_kinds() == Kinds{"Unsubscribed"});
}

TEST_CASE("persistence: retained messages are stored and cleared; $SYS is not") {
  Fixture f;
  auto& h = f.h;
  auto pub = h.connect("pub");
  h.send(pub, publish("/L/statu", "1", 0, 0, true));
  CHECK(f.store->take_kinds() == Kinds{"MessageStored", "RetainSet"});
  h.send(pub, publish("/L/statu", "", 0, 0, true));
  CHECK(f.store->take_kinds() == Kinds{"RetainCleared"});
  broker::Broker::set_current_worker(0);
  h.b->publish(make_message("$SYS/broker/uptime", "1", 0, true));
  h.drain();
  CHECK(f.store->take_kinds().empty());
  CHECK(f.store->state.retained.empty());
}

TEST_CASE("persistence: a clean session and QoS 0 append nothing and PUBACK needs no barrier") {
  Fixture f;
  auto& h = f.h;
  auto sub = h.connect("clean-sub");
  h.send(sub, codec::Subscribe{1, {{"t", 1}}});
  auto psub = h.connect("persistent-sub", false);
  h.send(psub, codec::Subscribe{1, {{"t", 0}}});  // QoS 0 subscription: deliveries not kept
  f.store->take_kinds();
  auto pub = h.connect("pub");
  h.received(pub);
  h.send(pub, publish("t", "m", 1, 5));
  CHECK(f.store->take_kinds().empty());
  CHECK(f.store->barriers.empty());
  CHECK(acks_of(h.received(pub), codec::PacketType::puback) == std::vector<std::uint16_t>{5});
}

TEST_CASE("persistence: PUBACK waits for the barrier, and later acknowledgements wait behind it") {
  Fixture f;
  auto& h = f.h;
  offline_subscriber(h, "sub", "kept", 1);
  auto pub = h.connect("pub");
  h.received(pub);

  h.send(pub, publish("kept", "a", 1, 1));    // appended: waits
  h.send(pub, publish("nobody", "b", 1, 2));  // nothing appended, but must not overtake 1
  h.send(pub, publish("kept", "c", 2, 3));    // appended: its own barrier
  CHECK(h.received(pub).empty());
  REQUIRE(f.store->barriers.size() == 2);

  auto first = std::move(f.store->barriers.front());
  f.store->barriers.pop_front();
  first();
  h.drain();
  auto packets = h.received(pub);
  CHECK(acks_of(packets, codec::PacketType::puback) == std::vector<std::uint16_t>{1, 2});
  CHECK(acks_of(packets, codec::PacketType::pubrec).empty());

  f.store->complete_barriers();
  h.drain();
  CHECK(acks_of(h.received(pub), codec::PacketType::pubrec) == std::vector<std::uint16_t>{3});

  // Nothing waits any more: the next acknowledgement goes out at once.
  h.send(pub, publish("nobody", "d", 1, 4));
  CHECK(acks_of(h.received(pub), codec::PacketType::puback) == std::vector<std::uint16_t>{4});
}

TEST_CASE("persistence: PUBCOMP waits until the end of an incoming QoS 2 is durable") {
  Fixture f;
  auto& h = f.h;
  auto pub = h.connect("ppub", false);
  h.received(pub);
  h.send(pub, publish("t", "x", 2, 7));
  CHECK(h.received(pub).empty());
  f.store->complete_barriers();
  h.drain();
  CHECK(acks_of(h.received(pub), codec::PacketType::pubrec) == std::vector<std::uint16_t>{7});
  h.send(pub, ack(codec::PacketType::pubrel, 7));
  CHECK(h.received(pub).empty());
  f.store->complete_barriers();
  h.drain();
  CHECK(acks_of(h.received(pub), codec::PacketType::pubcomp) == std::vector<std::uint16_t>{7});
}

TEST_CASE("persistence: a barrier completing after the publisher left sends nothing") {
  Fixture f;
  auto& h = f.h;
  auto sub = h.connect("sub", false);
  h.send(sub, codec::Subscribe{1, {{"kept", 1}}});
  auto pub = h.connect("pub");
  h.received(pub);
  h.send(pub, publish("kept", "a", 1, 1));
  h.send(pub, codec::Disconnect{});
  f.store->complete_barriers();
  h.drain();
  CHECK(h.received(pub).empty());
}

TEST_CASE("persistence: restore brings back queued, in-flight and released messages in order") {
  auto first = std::make_shared<MemoryPersistence>();
  {
    Harness h;
    h.b->set_persistence(first);
    auto sub = h.connect("sub", false);
    h.send(sub, codec::Subscribe{1, {{"q/#", 2}}});
    auto pub = h.connect("pub");
    h.send(pub, publish("q/1", "in-flight", 1, 1));
    h.send(pub, publish("q/2", "released", 2, 2));
    auto got = only<codec::Publish>(h.received(sub));
    REQUIRE(got.size() == 2);
    h.send(sub, ack(codec::PacketType::pubrec, got[1].packet_id));
    // The subscriber goes away without acknowledging more; three more wait for it.
    auto r = std::move(sub.io->reader);
    sub.io->reader = nullptr;
    r(boost::asio::error::connection_reset, {});
    h.drain();
    for (std::uint16_t i = 1; i <= 3; ++i)
      h.send(pub, publish("q/" + std::to_string(i), "queued-" + std::to_string(i), i == 2 ? 2 : 1,
                          static_cast<std::uint16_t>(10 + i)));
    h.send(pub, publish("/L/statu", "1", 1, 20, true));
    h.send(pub, publish("$SYS/x", "not kept", 1, 21, true));
  }

  // A second broker, as after a restart: the store's state, nothing else.
  auto second = std::make_shared<MemoryPersistence>();
  auto saved = first->load();
  CHECK(saved.sessions.size() == 1);
  Harness h;
  h.b->set_persistence(second);
  h.b->restore(saved);
  CHECK(h.b->session_count() == 1);
  CHECK(h.b->subscription_count() == 1);
  CHECK(h.b->retained().size() == 1);

  auto back = h.connect("sub", false);
  auto packets = h.received(back);
  REQUIRE(!packets.empty());
  CHECK(std::get<codec::Connack>(packets[0]).session_present);
  auto pubs = only<codec::Publish>(packets);
  REQUIRE(pubs.size() == 4);
  CHECK(pubs[0].payload == "in-flight");
  CHECK(pubs[0].dup);
  CHECK(acks_of(packets, codec::PacketType::pubrel).size() == 1);
  CHECK(pubs[1].payload == "queued-1");
  CHECK_FALSE(pubs[1].dup);
  CHECK(pubs[2].payload == "queued-2");
  CHECK(pubs[2].qos == 2);
  CHECK(pubs[3].payload == "queued-3");
  // New packet ids do not collide with the restored ones in flight.
  CHECK(pubs[1].packet_id != pubs[0].packet_id);
  CHECK(pubs[1].packet_id != acks_of(packets, codec::PacketType::pubrel)[0]);

  // Acknowledgements of restored deliveries reach the new store under the same ids.
  second->take_kinds();
  h.send(back, ack(codec::PacketType::puback, pubs[0].packet_id));
  CHECK(second->take_kinds() == Kinds{"Completed"});

  // The restored subscription routes new messages without a new SUBSCRIBE, numbered above the
  // restored ones.
  auto pub = h.connect("pub2");
  h.send(pub, publish("q/9", "after", 1, 1));
  CHECK(second->take_kinds() == Kinds{"MessageStored", "Enqueued", "Sent"});
  auto* stored = std::get_if<persist::MessageStored>(&second->records.at(second->records.size() - 3));
  REQUIRE(stored);
  CHECK(stored->id > saved.max_message_id);
  CHECK(only<codec::Publish>(h.received(back)).at(0).payload == "after");

  // Retained message is there for a new subscriber.
  auto other = h.connect("other");
  h.send(other, codec::Subscribe{1, {{"/L/statu", 1}}});
  auto ret = only<codec::Publish>(h.received(other));
  REQUIRE(ret.size() == 1);
  CHECK(ret[0].payload == "1");
  CHECK(ret[0].retain);
}

TEST_CASE("persistence: an incoming QoS 2 id survives a restart, so the resent PUBLISH is a duplicate") {
  auto first = std::make_shared<MemoryPersistence>();
  {
    Harness h;
    h.b->set_persistence(first);
    auto sub = h.connect("sub", false);
    h.send(sub, codec::Subscribe{1, {{"t", 2}}});
    h.send(sub, codec::Disconnect{});
    auto pub = h.connect("lock", false);
    h.send(pub, publish("t", "once", 2, 42));
  }
  auto saved = first->load();
  Harness h;
  h.b->set_persistence(std::make_shared<MemoryPersistence>());
  h.b->restore(saved);
  auto pub = h.connect("lock", false);
  h.received(pub);
  auto resent = publish("t", "once", 2, 42);
  resent.dup = true;
  h.send(pub, resent);
  auto sub = h.connect("sub", false);
  auto pubs = only<codec::Publish>(h.received(sub));
  REQUIRE(pubs.size() == 1);  // the one queued before the restart, not a second copy
  CHECK(pubs[0].payload == "once");
}

TEST_CASE("persistence: a restored session expires by its detach time before the restart") {
  BrokerOptions opt;
  opt.session_expiry = 14 * 24h;
  PersistedState saved;
  Harness h(1, opt);
  saved.apply(persist::SessionCreated{"gone"});
  saved.apply(persist::Subscribed{"gone", "t", 1});
  saved.apply(persist::SessionDetached{"gone", h.clock.unix_ms() - std::chrono::milliseconds(13 * 24h).count()});
  saved.apply(persist::SessionCreated{"crashed"});  // attached when the broker died
  saved.apply(persist::SessionCreated{"long-gone"});
  saved.apply(persist::SessionDetached{"long-gone", h.clock.unix_ms() - std::chrono::milliseconds(15 * 24h).count()});
  auto store = std::make_shared<MemoryPersistence>();
  h.b->set_persistence(store);
  h.b->restore(saved);
  CHECK(h.b->session_count() == 2);  // "long-gone" expired while the broker was down
  // The session attached at the crash is now recorded as detached, for the next restart, and
  // the expired one as ended. (Unordered map: compare as sets.)
  auto kinds = store->take_kinds();
  std::sort(kinds.begin(), kinds.end());
  CHECK(kinds == Kinds{"SessionDetached", "SessionEnded"});

  broker::Broker::set_current_worker(0);
  h.clock.advance(23h);
  h.b->expire_sessions();
  CHECK(h.b->session_count() == 2);
  h.clock.advance(2h);
  h.b->expire_sessions();
  CHECK(h.b->session_count() == 1);  // "crashed" has 14 days from the restart
  CHECK(h.b->subscription_count() == 0);
  CHECK(store->take_kinds() == Kinds{"SessionEnded"});
  h.clock.advance(13 * 24h);
  h.b->expire_sessions();
  CHECK(h.b->session_count() == 0);
}

TEST_CASE("persistence: past the store limit, messages for offline sessions are dropped and counted") {
  BrokerOptions opt;
  opt.persistence_max_bytes = 10;
  Fixture f(opt);
  auto& h = f.h;
  offline_subscriber(h, "away", "t", 1);
  auto pub = h.connect("pub");
  for (std::uint16_t i = 1; i <= 4; ++i) h.send(pub, publish("t", "12345678", 1, i));
  // Bodies are 9 bytes: the store holds 0, then 9 (under 10: the second is kept too), then 18.
  CHECK(f.store->state.sessions.at("away").outgoing.size() == 2);
  CHECK(h.b->stats().get(Stat::persistence_dropped) == 2);

  // A connected persistent session still gets (and stores) its messages.
  auto here = h.connect("here", false);
  h.send(here, codec::Subscribe{1, {{"t", 1}}});
  h.received(here);
  h.send(pub, publish("t", "12345678", 1, 5));
  CHECK(only<codec::Publish>(h.received(here)).size() == 1);
  CHECK(h.b->stats().get(Stat::persistence_dropped) == 3);  // "away" missed it

  auto back = h.connect("away", false);
  auto got = only<codec::Publish>(h.received(back));
  REQUIRE(got.size() == 2);
  CHECK(got[1].packet_id == 2);
}

TEST_CASE("persistence: a clean session replacing a persistent one ends it in the store") {
  Fixture f;
  auto& h = f.h;
  offline_subscriber(h, "same", "t", 1);
  CHECK(f.store->state.sessions.count("same") == 1);
  f.store->take_kinds();
  auto clean = h.connect("same", true);
  CHECK(f.store->take_kinds() == Kinds{"SessionEnded"});
  CHECK(f.store->state.sessions.empty());
  h.send(clean, codec::Subscribe{1, {{"t", 1}}});
  h.send(clean, codec::Disconnect{});
  CHECK(f.store->take_kinds().empty());  // a clean session leaves no trace
}

TEST_CASE("persistence: a delivery the full session queue drops is dropped in the store too") {
  BrokerOptions opt;
  opt.max_queued_messages = 2;
  Fixture f(opt);
  auto& h = f.h;
  offline_subscriber(h, "full", "t", 1);
  auto pub = h.connect("pub");
  f.store->take_kinds();
  for (std::uint16_t i = 1; i <= 3; ++i) h.send(pub, publish("t", std::to_string(i), 1, i));
  CHECK(f.store->take_kinds() ==
        Kinds{"MessageStored", "Enqueued", "MessageStored", "Enqueued", "MessageStored", "Enqueued", "Dropped"});
  auto& kept = f.store->state.sessions.at("full").outgoing;
  REQUIRE(kept.size() == 2);
  CHECK(f.store->state.messages.at(kept[1].id).message->payload == "2");
  CHECK(f.store->state.messages.size() == 2);  // the dropped body is gone from the store
}

TEST_CASE("persistence: a retained message sent on SUBSCRIBE to a persistent session is a delivery") {
  Fixture f;
  auto& h = f.h;
  auto pub = h.connect("pub");
  h.send(pub, publish("/L/statu", "1", 1, 1, true));
  auto sub = h.connect("owner", false);
  f.store->take_kinds();
  h.send(sub, codec::Subscribe{1, {{"/L/#", 1}}});
  // The body again (the retained one may have been replaced meanwhile), then the delivery.
  CHECK(f.store->take_kinds() == Kinds{"Subscribed", "MessageStored", "Enqueued", "Sent"});
  auto& out = f.store->state.sessions.at("owner").outgoing;
  REQUIRE(out.size() == 1);
  CHECK(out[0].retain);
  CHECK(out[0].packet_id != 0);
}

TEST_CASE("persistence: while the store cannot write, nothing new is stored or waited for") {
  Fixture f;
  auto& h = f.h;
  offline_subscriber(h, "away", "t", 1);
  auto here = h.connect("here", false);
  h.send(here, codec::Subscribe{1, {{"t", 1}}});
  h.received(here);
  auto pub = h.connect("pub");
  h.received(pub);
  f.store->take_kinds();

  f.store->fail = true;
  h.send(pub, publish("t", "during", 1, 1));
  // Acknowledged at once: no barrier is asked for a message that was not stored.
  CHECK(acks_of(h.received(pub), codec::PacketType::puback) == std::vector<std::uint16_t>{1});
  CHECK(f.store->barriers.empty());
  // The connected session gets it from memory; the offline one is refused it, counted.
  auto got = only<codec::Publish>(h.received(here));
  REQUIRE(got.size() == 1);
  CHECK(got[0].payload == "during");
  h.send(here, ack(codec::PacketType::puback, got[0].packet_id));
  CHECK(f.store->state.sessions.at("away").outgoing.empty());
  CHECK(h.b->stats().get(Stat::persistence_refused) == 1);
  CHECK(h.b->stats().get(Stat::persistence_dropped) == 0);
  // No body, no enqueue; the send and its acknowledgement name no stored message.
  for (auto& k : f.store->take_kinds()) CHECK_MESSAGE(k != "MessageStored", k);

  // A retained message lives in memory only; the store forgets the topic rather than keep the
  // value it replaced for a restart.
  f.store->fail = false;
  h.send(pub, publish("r", "old", 1, 2, true));
  f.store->complete_barriers();
  h.drain();
  CHECK(acks_of(h.received(pub), codec::PacketType::puback) == std::vector<std::uint16_t>{2});
  CHECK(f.store->state.retained.count("r") == 1);
  f.store->fail = true;
  h.send(pub, publish("r", "new", 1, 3, true));
  CHECK(acks_of(h.received(pub), codec::PacketType::puback) == std::vector<std::uint16_t>{3});
  CHECK(f.store->state.retained.count("r") == 0);
  CHECK(h.b->retained().size() == 1);

  // Once it writes again, messages are stored as before.
  f.store->fail = false;
  h.send(pub, publish("t", "after", 1, 4));
  CHECK(f.store->state.sessions.at("away").outgoing.size() == 1);
  CHECK(acks_of(h.received(pub), codec::PacketType::puback).empty());  // waits for the barrier
  f.store->complete_barriers();
  h.drain();
  CHECK(acks_of(h.received(pub), codec::PacketType::puback) == std::vector<std::uint16_t>{4});
}
