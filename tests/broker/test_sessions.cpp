// Sessions against hostile backlogs (issue 15): a persistent session resends what it holds at the
// pace the connection writes it, and survives its connection closing in the middle of a send.
#include <algorithm>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "memory_persistence.hpp"

using namespace broker;
using test::Harness;

namespace {

std::vector<codec::Publish> publishes(const std::vector<codec::Packet>& packets) {
  std::vector<codec::Publish> out;
  for (auto& p : packets)
    if (auto* pub = std::get_if<codec::Publish>(&p)) out.push_back(*pub);
  return out;
}

codec::Connect connect_packet(const std::string& id, bool clean) {
  codec::Connect p;
  p.client_id = id;
  p.clean_session = clean;
  return p;
}

// A persistent client that subscribed to "t" at QoS 1, received `count` messages of `size` bytes
// it published itself, acknowledged none, and went away.
void unacknowledged_window(Harness& h, int count, std::size_t size) {
  auto c = h.connect("self", false);
  h.send(c, codec::Subscribe{1, {{"t", 1}}});
  for (int i = 0; i < count; ++i)
    h.send(c, codec::Publish{false, 1, false, "t", static_cast<std::uint16_t>(100 + i),
                             std::string(size, static_cast<char>('a' + i))});
  REQUIRE(publishes(h.received(c)).size() == static_cast<std::size_t>(count));
  h.send(c, codec::Disconnect{});
}

}  // namespace

TEST_CASE("a window larger than the write cap is resent as the client reads, never all at once") {
  BrokerOptions opt;
  opt.max_write_queue_bytes = 10'000;
  opt.max_inflight = 8;
  Harness h(1, opt);
  unacknowledged_window(h, 8, 3000);  // 24,000 bytes in flight against a 10,000-byte cap

  // Before the fix the fourth resend passed the cap, the connection closed inside attach() and
  // the fifth dereferenced the null sink.
  auto back = h.connect_with(connect_packet("self", false), 0, [](Harness::Client& c) { c.io->hold_writes = true; });
  CHECK_FALSE(back.io->closed);
  CHECK(back.io->written.size() <= opt.max_write_queue_bytes / 2 + 3100);
  std::vector<codec::Publish> got;
  for (int round = 0; round < 20 && got.size() < 8; ++round) {
    h.release_writes(back);
    for (auto& p : publishes(h.received(back))) got.push_back(p);
    CHECK_FALSE(back.io->closed);
  }
  REQUIRE(got.size() == 8);
  for (int i = 0; i < 8; ++i) {
    CHECK(got[static_cast<std::size_t>(i)].dup);
    CHECK(got[static_cast<std::size_t>(i)].payload[0] == static_cast<char>('a' + i));
  }
  // Acknowledging the window lets the session go idle; nothing is sent twice.
  for (auto& p : got) h.send(back, codec::Ack{codec::PacketType::puback, p.packet_id});
  h.release_writes(back);
  CHECK(publishes(h.received(back)).empty());
  CHECK(h.b->stats().get(Stat::slow_consumers) == 0);
}

TEST_CASE("a message larger than the write cap closes its connection mid-resend, not the broker") {
  // The window was built under a 4 MiB cap; the broker restarts with a 2,000-byte one.
  auto first = std::make_shared<test::MemoryPersistence>();
  {
    Harness h;
    h.b->set_persistence(first);
    unacknowledged_window(h, 4, 3000);
  }
  BrokerOptions opt;
  opt.max_write_queue_bytes = 2000;
  Harness h(1, opt);
  h.b->restore(first->load());
  // Every reconnect meets the same oversized resend: each is cut as a slow consumer, the session
  // stays, and the broker keeps serving.
  for (int i = 0; i < 3; ++i) {
    auto back = h.connect("self", false);
    CHECK(back.io->closed);
    CHECK(h.recorder->disconnected.back().second == DisconnectReason::slow_consumer);
  }
  // Connected observers always before disconnected ones.
  REQUIRE(h.recorder->lifecycle.size() == 6);
  for (std::size_t i = 0; i < 6; i += 2) {
    CHECK(h.recorder->lifecycle[i] == "+self");
    CHECK(h.recorder->lifecycle[i + 1] == "-self");
  }
  CHECK(h.b->session_count() == 1);
  auto other = h.connect("other");
  CHECK_FALSE(other.io->closed);
}

TEST_CASE("a queued backlog is drained at the pace of the writes") {
  BrokerOptions opt;
  opt.max_write_queue_bytes = 10'000;
  opt.max_inflight = 100;
  Harness h(1, opt);
  auto s = h.connect("away", false);
  h.send(s, codec::Subscribe{1, {{"q", 1}}});
  h.send(s, codec::Disconnect{});
  auto p = h.connect("pub");
  for (std::uint16_t i = 1; i <= 20; ++i) h.send(p, codec::Publish{false, 1, false, "q", i, std::string(1000, 'x')});

  auto back = h.connect_with(connect_packet("away", false), 0, [](Harness::Client& c) { c.io->hold_writes = true; });
  CHECK(back.io->written.size() <= opt.max_write_queue_bytes / 2 + 1100);
  std::size_t got = 0;
  for (int round = 0; round < 40 && got < 20; ++round) {
    h.release_writes(back);
    got += publishes(h.received(back)).size();
  }
  CHECK(got == 20);
  CHECK_FALSE(back.io->closed);
  CHECK(h.b->stats().get(Stat::messages_dropped) == 0);
}

namespace {
codec::Connect login(const std::string& id, const std::string& user, bool clean) {
  auto p = connect_packet(id, clean);
  p.username = user;
  return p;
}
codec::Connack connack(Harness& h, Harness::Client& c) {
  auto packets = h.received(c);
  REQUIRE(!packets.empty());
  return std::get<codec::Connack>(packets[0]);
}
}  // namespace

TEST_CASE("a client id held by another user is neither taken over nor resumed") {
  Harness h(2);
  auto lock = h.connect_with(login("L0000000001", "lock", true), 0);
  CHECK(connack(h, lock).code == codec::ConnectReturn::accepted);
  auto owner = h.connect_with(login("phone-m", "alice", false), 1);
  h.send(owner, codec::Subscribe{1, {{"/L0000000001/#", 1}}});
  h.send(owner, codec::Disconnect{});

  // Kicking the lock: refused, the lock stays, no disconnect of any kind.
  for (int i = 0; i < 3; ++i) {
    auto kick = h.connect_with(login("L0000000001", "mallory", true), 1);
    CHECK(connack(h, kick).code == codec::ConnectReturn::not_authorized);
  }
  CHECK_FALSE(lock.io->closed);
  CHECK(h.recorder->disconnected.size() == 1);  // alice's own DISCONNECT only

  // Resuming alice's persistent session: refused, and what it collected stays hers.
  auto p = h.connect("pub");
  h.send(p, codec::Publish{false, 1, false, "/L0000000001/statu", 1, "1"});
  auto steal = h.connect_with(login("phone-m", "mallory", false), 0);
  CHECK(connack(h, steal).code == codec::ConnectReturn::not_authorized);
  CHECK(publishes(h.received(steal)).empty());
  auto back = h.connect_with(login("phone-m", "alice", false), 0);
  auto packets = h.received(back);
  CHECK(std::get<codec::Connack>(packets.at(0)).session_present);
  REQUIRE(publishes(packets).size() == 1);
  CHECK(h.b->stats().get(Stat::client_id_refused) == 4);
}

namespace {
// Accepts everyone; the account named like the client id owns it (as auth's `clientid` pin says).
struct PinningAuth final : broker::Authenticator {
  void authenticate(const broker::AuthRequest& r, std::function<void(broker::AuthResult)> done) override {
    broker::AuthResult result{codec::ConnectReturn::accepted, false, nullptr};
    result.owns_client_id = r.client.username && *r.client.username == r.client.client_id;
    done(std::move(result));
  }
};
}  // namespace

TEST_CASE("an account that owns its client id ends another user's session under it") {
  Harness h(2);
  h.b->set_authenticator(std::make_shared<PinningAuth>());
  // A squatter (here before the pin existed) holds the lock's id with a persistent session.
  auto squat = h.connect_with(login("L0000000001", "mallory", false), 1);
  h.send(squat, codec::Subscribe{1, {{"/L0000000001/call", 1}}});
  h.send(squat, codec::Disconnect{});
  auto kick = h.connect_with(login("L0000000001", "eve", true), 0);
  CHECK(connack(h, kick).code == codec::ConnectReturn::not_authorized);  // not the owner: refused

  auto lock = h.connect_with(login("L0000000001", "L0000000001", false), 0);
  auto c = connack(h, lock);
  CHECK(c.code == codec::ConnectReturn::accepted);
  CHECK_FALSE(c.session_present);  // mallory's session is never resumed by the owner
  CHECK(h.b->stats().get(Stat::client_id_reclaimed) == 1);
  CHECK(h.b->subscription_count() == 0);  // and its subscriptions went with it

  // The id is the lock's now: the squatter is the one refused.
  auto again = h.connect_with(login("L0000000001", "mallory", false), 1);
  CHECK(connack(h, again).code == codec::ConnectReturn::not_authorized);
  CHECK_FALSE(lock.io->closed);
}

TEST_CASE("the owner of a session survives a restart; an older journal's session goes to its first user") {
  auto first = std::make_shared<test::MemoryPersistence>();
  {
    Harness h;
    h.b->set_persistence(first);
    auto a = h.connect_with(login("phone-m", "alice", false));
    h.send(a, codec::Disconnect{});
  }
  auto saved = first->load();
  {
    Harness h;
    h.b->restore(saved);
    auto steal = h.connect_with(login("phone-m", "mallory", false));
    CHECK(connack(h, steal).code == codec::ConnectReturn::not_authorized);
    auto back = h.connect_with(login("phone-m", "alice", false));
    CHECK(connack(h, back).session_present);
  }
  saved.sessions.at("phone-m").owner_known = false;  // as written before SessionOwned existed
  Harness h;
  h.b->restore(saved);
  auto claim = h.connect_with(login("phone-m", "alice", false));
  CHECK(connack(h, claim).session_present);
  h.send(claim, codec::Disconnect{});
  auto steal = h.connect_with(login("phone-m", "mallory", false));
  CHECK(connack(h, steal).code == codec::ConnectReturn::not_authorized);
}

TEST_CASE("revoking a user ends its persistent sessions too, in the store as well") {
  Harness h;
  auto store = std::make_shared<test::MemoryPersistence>();
  h.b->set_persistence(store);
  auto a = h.connect_with(login("phone-m", "alice", false));
  h.send(a, codec::Subscribe{1, {{"t", 1}}});
  h.send(a, codec::Disconnect{});
  auto online = h.connect_with(login("phone-2", "alice", false));
  auto bob = h.connect_with(login("phone-f", "bob", false));
  CHECK(h.b->session_count() == 3);
  store->take_kinds();
  h.b->disconnect_user("alice");
  h.drain();
  CHECK(online.io->closed);
  CHECK_FALSE(bob.io->closed);
  CHECK(h.b->session_count() == 1);
  CHECK(h.b->subscription_count() == 0);
  auto kinds = store->take_kinds();
  CHECK(std::count(kinds.begin(), kinds.end(), "SessionEnded") == 2);
  auto again = h.connect_with(login("phone-m", "alice", false));
  CHECK_FALSE(connack(h, again).session_present);
}
