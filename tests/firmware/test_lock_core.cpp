// The lock's behaviour: unlock, open, report, re-lock, report; status kept across reconnects.
#include <doctest/doctest.h>

#include "fake_platform.hpp"

using namespace fwtest;
using Pub = std::pair<std::string, std::string>;

TEST_CASE("unlock opens the bolt, reports 0, re-locks after relock_ms and reports 1") {
  Rig r;
  r.connect();
  r.sent();
  r.deliver("/12345678901/call", "unlock");
  REQUIRE(r.p.drives == std::vector<Bolt>{Bolt::open});
  CHECK(r.p.noted(Note::unlock_received));
  CHECK(r.published().empty());  // the bolt is still moving: nothing to report yet

  Millis unlocked_at = r.p.now;
  r.advance(r.p.bolt_ms);
  CHECK(r.p.bolt == Bolt::open);
  CHECK(r.published() == std::vector<Pub>{{"/12345678901/statu", "0"}});

  r.advance_to(unlocked_at + r.cfg.relock_ms - 1);
  CHECK(r.p.drives.size() == 1);
  r.advance_to(unlocked_at + r.cfg.relock_ms);
  REQUIRE(r.p.drives.size() == 2);
  CHECK(r.p.drives[1] == Bolt::locked);
  r.advance(r.p.bolt_ms);
  CHECK(r.p.bolt == Bolt::locked);
  CHECK(r.published() == std::vector<Pub>{{"/12345678901/statu", "1"}});
  CHECK_FALSE(r.core.relock_pending());
}

TEST_CASE("a second unlock while open extends the open time instead of stacking relocks") {
  Rig r;
  r.connect();
  r.deliver("/12345678901/call", "unlock");
  r.advance(3000);
  r.deliver("/12345678901/call", "unlock");
  Millis second = r.p.now;
  r.advance_to(second + r.cfg.relock_ms - 1);
  CHECK(r.p.bolt == Bolt::open);
  r.advance_to(second + r.cfg.relock_ms + r.p.bolt_ms);
  CHECK(r.p.bolt == Bolt::locked);
  auto drives_to_lock = std::count(r.p.drives.begin(), r.p.drives.end(), Bolt::locked);
  CHECK(drives_to_lock == 1);
}

TEST_CASE("other payloads and other topics do not move the bolt") {
  Rig r;
  r.connect();
  r.deliver("/12345678901/call", "UNLOCK");
  r.deliver("/12345678901/call", "unlock ");
  r.deliver("/12345678902/call", "unlock");
  r.deliver("/12345678901/m", "unlock");
  CHECK(r.p.drives.empty());
}

TEST_CASE("a status change while offline is reported on the next connect") {
  Rig r;
  r.connect();
  r.sent();
  r.deliver("/12345678901/call", "unlock");
  r.sent();
  r.core.on_link_down(Link::mqtt);
  r.advance(r.p.bolt_ms);  // the bolt opens while the lock is offline
  CHECK(r.p.link(Link::mqtt).sent.empty());
  r.advance_to(r.core.next_wake());
  r.link_up();
  r.accept();
  auto pubs = r.published();
  REQUIRE(pubs.size() >= 1);
  CHECK(pubs[0] == Pub{"/12345678901/statu", "0"});
  // The relock timer kept running through the outage.
  r.advance(r.cfg.relock_ms);
  CHECK(r.p.bolt == Bolt::locked);
  CHECK(r.published() == std::vector<Pub>{{"/12345678901/statu", "1"}});
}

TEST_CASE("a bolt moved by hand is reported, and only once") {
  Rig r;
  r.connect();
  r.sent();
  r.p.bolt = Bolt::open;  // a mechanical key
  r.core.on_bolt_changed();
  r.core.on_bolt_changed();
  r.core.tick();
  CHECK(r.published() == std::vector<Pub>{{"/12345678901/statu", "0"}});
  r.p.bolt = Bolt::locked;
  r.core.tick();  // a missed sensor event is caught by the next tick
  CHECK(r.published() == std::vector<Pub>{{"/12345678901/statu", "1"}});
}

TEST_CASE("after an update the lock reports its new version and where it came from") {
  auto cfg = test_config();
  firmware::set_field(cfg.version, "1.1.0");
  firmware::set_field(cfg.previous_version, "1.0.0");
  Rig r(cfg);
  r.connect();
  auto pubs = r.published();
  REQUIRE(pubs.size() == 2);
  CHECK(pubs[1] == Pub{"/12345678901/fw", R"({"version":"1.1.0","state":"running","previous":"1.0.0"})"});
}

TEST_CASE("a retained unlock replayed on subscribe does not open the lock") {
  Rig r;
  r.connect();
  broker::codec::Publish stale;
  stale.topic = "/12345678901/call";
  stale.payload = "unlock";
  stale.qos = 1;
  stale.packet_id = 3;
  stale.retain = true;
  r.feed(stale);
  CHECK(r.p.drives.empty());
  auto sent = r.sent();
  REQUIRE_FALSE(sent.empty());  // still acknowledged
  CHECK(std::get<broker::codec::Ack>(sent.back()).packet_id == 3);
  stale.retain = false;
  r.feed(stale);
  CHECK(r.p.drives == std::vector<Bolt>{Bolt::open});
}
