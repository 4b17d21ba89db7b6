// PersistedState: what persistence records add up to, and that its own records rebuild it.
#include <doctest/doctest.h>

#include "broker/persisted_state.hpp"

using namespace broker;
using namespace broker::persist;

namespace {

MessagePtr body(const std::string& payload) { return make_message("t/" + payload, payload, 1); }

// Replays `state`'s own records into a fresh state (what compaction writes and load reads).
PersistedState rebuilt(const PersistedState& state) {
  PersistedState copy;
  state.for_each_record([&](const Record& r) { copy.apply(r); });
  return copy;
}

std::vector<std::string> payloads(const PersistedState& st, const std::string& client) {
  std::vector<std::string> out;
  for (auto& o : st.sessions.at(client).outgoing)
    out.push_back(st.messages.at(o.id).message->payload + (o.packet_id ? "@" + std::to_string(o.packet_id) : "") +
                  (o.released ? "r" : ""));
  return out;
}

}  // namespace

TEST_CASE("persisted state: queue, send, acknowledge; bodies shared and freed with the last reference") {
  PersistedState st;
  st.apply(SessionCreated{"a"});
  st.apply(SessionCreated{"b"});
  st.apply(MessageStored{1, body("one")});
  st.apply(Enqueued{"a", 1, 1, false});
  st.apply(Enqueued{"b", 1, 1, false});
  st.apply(MessageStored{2, body("two")});
  st.apply(Enqueued{"a", 2, 2, false});
  CHECK(st.messages.size() == 2);
  CHECK(st.stored_bytes() == (5 + 3) + (5 + 3));
  CHECK(st.max_message_id == 2);

  st.apply(Sent{"a", 1, 7});
  st.apply(Sent{"a", 2, 8});
  CHECK(payloads(st, "a") == std::vector<std::string>{"one@7", "two@8"});
  st.apply(Completed{"a", 7});
  CHECK(st.messages.count(1) == 1);  // b still holds it
  st.apply(Dropped{"b", 1});
  CHECK(st.messages.count(1) == 0);
  st.apply(Released{"a", 8});
  CHECK(payloads(st, "a") == std::vector<std::string>{"two@8r"});
  st.apply(Completed{"a", 8});
  CHECK(st.sessions.at("a").outgoing.empty());
  CHECK(st.messages.empty());
  CHECK(st.stored_bytes() == 0);
}

TEST_CASE("persisted state: a delivery sent ahead of older queued ones goes before them") {
  PersistedState st;
  st.apply(SessionCreated{"a"});
  for (MessageId id = 1; id <= 3; ++id) {
    st.apply(MessageStored{id, body(std::to_string(id))});
    st.apply(Enqueued{"a", id, 1, false});
  }
  st.apply(Sent{"a", 2, 40});
  CHECK(payloads(st, "a") == std::vector<std::string>{"2@40", "1", "3"});
  auto copy = rebuilt(st);
  CHECK(payloads(copy, "a") == payloads(st, "a"));
}

TEST_CASE("persisted state: the same message queued twice is sent in order") {
  PersistedState st;
  st.apply(SessionCreated{"a"});
  st.apply(MessageStored{5, body("r")});
  st.apply(Enqueued{"a", 5, 1, true});
  st.apply(Enqueued{"a", 5, 1, true});
  st.apply(Sent{"a", 5, 1});
  CHECK(payloads(st, "a") == std::vector<std::string>{"r@1", "r"});
  CHECK(st.messages.at(5).refs == 2);
  CHECK(payloads(rebuilt(st), "a") == payloads(st, "a"));
}

TEST_CASE("persisted state: sessions replaced and ended release their messages") {
  PersistedState st;
  st.apply(SessionCreated{"a"});
  st.apply(Subscribed{"a", "x/#", 1});
  st.apply(Subscribed{"a", "x/#", 2});
  st.apply(Subscribed{"a", "y", 0});
  st.apply(Unsubscribed{"a", "y"});
  CHECK(st.sessions.at("a").subscriptions == std::vector<std::pair<std::string, std::uint8_t>>{{"x/#", 2}});
  st.apply(MessageStored{1, body("m")});
  st.apply(Enqueued{"a", 1, 1, false});
  st.apply(SessionCreated{"a"});  // a new persistent session under the same id starts empty
  CHECK(st.sessions.at("a").subscriptions.empty());
  CHECK(st.messages.empty());
  st.apply(SessionEnded{"a"});
  CHECK(st.sessions.empty());
}

TEST_CASE("persisted state: records for unknown sessions or ids are ignored") {
  PersistedState st;
  st.apply(MessageStored{1, body("m")});
  st.apply(Enqueued{"ghost", 1, 1, false});
  st.apply(Completed{"ghost", 3});
  st.apply(SessionCreated{"a"});
  st.apply(Enqueued{"a", 99, 1, false});  // no such body
  st.apply(Completed{"a", 3});
  st.apply(Sent{"a", 1, 4});
  CHECK(st.sessions.at("a").outgoing.empty());
  CHECK(st.messages.at(1).refs == 0);
  st.drop_unreferenced();
  CHECK(st.messages.empty());
}

TEST_CASE("persisted state: unreferenced bodies survive one live compaction, not two") {
  PersistedState st;
  st.apply(MessageStored{1, body("m")});
  st.drop_unreferenced(true);
  CHECK(st.messages.count(1) == 1);  // its enqueue may be the next record
  st.drop_unreferenced(true);
  CHECK(st.messages.empty());
}

TEST_CASE("persisted state: retained messages, incoming QoS 2 and detach time round-trip") {
  PersistedState st;
  st.apply(MessageStored{1, body("r1")});
  st.apply(RetainSet{"t/r1", 1});
  st.apply(MessageStored{2, body("r2")});
  st.apply(RetainSet{"t/r1", 2});  // replaces: the first body goes
  CHECK(st.messages.count(1) == 0);
  st.apply(MessageStored{3, body("r3")});
  st.apply(RetainSet{"t/r3", 3});
  st.apply(RetainCleared{"t/r3"});
  CHECK(st.retained.size() == 1);
  CHECK(st.messages.size() == 1);

  st.apply(SessionCreated{"a"});
  st.apply(IncomingQos2{"a", 10});
  st.apply(IncomingQos2{"a", 11});
  st.apply(IncomingQos2{"a", 10});
  st.apply(IncomingQos2Done{"a", 11});
  st.apply(SessionDetached{"a", 1'700'000'000'000});
  st.apply(MessageStored{4, body("q")});
  st.apply(Enqueued{"a", 4, 2, false});
  st.apply(Sent{"a", 4, 9});
  st.apply(Released{"a", 9});

  auto copy = rebuilt(st);
  CHECK(copy.retained == st.retained);
  CHECK(copy.messages.size() == st.messages.size());
  CHECK(copy.stored_bytes() == st.stored_bytes());
  CHECK(copy.sessions.at("a").incoming_qos2 == std::vector<std::uint16_t>{10});
  CHECK(copy.sessions.at("a").detached_unix_ms == 1'700'000'000'000);
  CHECK(payloads(copy, "a") == std::vector<std::string>{"q@9r"});
  st.apply(SessionAttached{"a"});
  CHECK(st.sessions.at("a").detached_unix_ms == 0);
}

TEST_CASE("persisted state: its records keep the highest message id when that body is gone") {
  PersistedState st;
  st.apply(SessionCreated{"a"});
  st.apply(MessageStored{1, body("one")});
  st.apply(Enqueued{"a", 1, 1, false});
  st.apply(MessageStored{9, body("nine")});
  st.apply(Enqueued{"a", 9, 1, false});
  st.apply(Sent{"a", 9, 3});
  st.apply(Completed{"a", 3});
  REQUIRE(st.messages.count(9) == 0);
  auto copy = rebuilt(st);
  CHECK(copy.max_message_id == 9);
  CHECK(copy.messages.size() == 1);
  CHECK(copy.stored_bytes() == st.stored_bytes());
}
