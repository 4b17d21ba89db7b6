// The two-owner unlock over a fake store whose key expiry follows a fake clock: the 35-second
// window is exercised by moving the clock, never by waiting.
#include <doctest/doctest.h>

#include "fakes.hpp"

using namespace lockrules_test;

namespace {
const std::string L = "LK000000001";  // 11 characters
const std::string M = "/" + L + "/m";
const std::string F = "/" + L + "/f";
}  // namespace

TEST_CASE("the first owner opens a window and sends nothing") {
  Rig rig;
  rig.publish(M, "anything");
  CHECK(rig.unlocks_sent(L) == 0);
  CHECK(rig.kv->string_value(storage::Db::lock, L + "_m").has_value());
  CHECK(value(rig.metrics().windows_opened) == 1);
  CHECK(rig.metrics().pending.load() == 0);
}

TEST_CASE("m then f inside the window: exactly one unlock, window consumed") {
  Rig rig;
  rig.publish(M, "");
  rig.control.advance(34s);
  rig.publish(F, "");
  CHECK(rig.unlocks_sent(L) == 1);
  CHECK(value(rig.metrics().unlocks) == 1);
  CHECK_FALSE(rig.kv->string_value(storage::Db::lock, L + "_m").has_value());
  CHECK_FALSE(rig.kv->string_value(storage::Db::lock, L + "_f").has_value());
  // The consumed window does not count as expired when its time comes.
  rig.control.advance(60s);
  CHECK(value(rig.metrics().windows_expired) == 0);
  // A later request starts over rather than unlocking again.
  rig.publish(M, "");
  CHECK(rig.unlocks_sent(L) == 1);
}

TEST_CASE("f then m works the same way round") {
  Rig rig;
  rig.publish(F, "");
  rig.publish(M, "");
  CHECK(rig.unlocks_sent(L) == 1);
}

TEST_CASE("the second owner outside the window opens its own window instead") {
  Rig rig;
  rig.publish(M, "");
  rig.control.advance(35s);  // the window is exactly 35 s: at 35 s it has closed
  CHECK(value(rig.metrics().windows_expired) == 1);
  rig.publish(F, "");
  CHECK(rig.unlocks_sent(L) == 0);
  CHECK(rig.kv->string_value(storage::Db::lock, L + "_f").has_value());
  // ... which the first owner can then complete.
  rig.control.advance(10s);
  rig.publish(M, "");
  CHECK(rig.unlocks_sent(L) == 1);
}

TEST_CASE("a configured window is honoured") {
  lockrules::Options o;
  o.pair_window = 5s;
  Rig rig(o);
  rig.publish(M, "");
  rig.control.advance(6s);
  rig.publish(F, "");
  CHECK(rig.unlocks_sent(L) == 0);
  rig.control.advance(4s);
  rig.publish(M, "");
  CHECK(rig.unlocks_sent(L) == 1);
}

TEST_CASE("the same owner twice only renews its window") {
  Rig rig;
  rig.publish(M, "");
  rig.control.advance(30s);
  rig.publish(M, "");
  CHECK(rig.unlocks_sent(L) == 0);
  CHECK(value(rig.metrics().windows_opened) == 1);
  CHECK(value(rig.metrics().windows_renewed) == 1);
  // 40 s after the first request but 10 s after the renewal: still open.
  rig.control.advance(10s);
  CHECK(value(rig.metrics().windows_expired) == 0);
  rig.publish(F, "");
  CHECK(rig.unlocks_sent(L) == 1);
}

TEST_CASE("a renewed window that runs out counts as one expiry") {
  Rig rig;
  rig.publish(F, "");
  rig.control.advance(20s);
  rig.publish(F, "");
  rig.control.advance(20s);
  CHECK(value(rig.metrics().windows_expired) == 0);
  rig.control.advance(15s);
  CHECK(value(rig.metrics().windows_expired) == 1);
}

TEST_CASE("both owners at once: exactly one unlock whatever the store's timing") {
  Rig rig;
  rig.kv->hold = true;  // neither answer arrives before both requests are in
  rig.publish(M, "");
  rig.publish(F, "");
  CHECK(rig.unlocks_sent(L) == 0);
  // The second request waits behind the first: the rules never race themselves on one lock.
  CHECK(rig.kv->held() == 1);
  CHECK(rig.metrics().pending.load() == 2);
  rig.kv->pump();
  CHECK(rig.unlocks_sent(L) == 1);
  CHECK(rig.metrics().pending.load() == 0);
  CHECK(rig.kv->calls() == std::vector<std::string>{"pair_unlock " + L + " m", "pair_unlock " + L + " f"});
}

TEST_CASE("different locks pair independently") {
  Rig rig;
  const std::string L2 = "LK000000002";
  rig.publish(M, "");
  rig.publish("/" + L2 + "/f", "");
  CHECK(rig.unlocks_sent(L) == 0);
  rig.publish("/" + L2 + "/m", "");
  CHECK(rig.unlocks_sent(L2) == 1);
  CHECK(rig.unlocks_sent(L) == 0);
  rig.publish(F, "");
  CHECK(rig.unlocks_sent(L) == 1);
}

TEST_CASE("the payload is not trusted: it changes nothing") {
  Rig rig;
  rig.publish(M, "unlock");
  rig.publish(M, "/" + L + "/f");
  CHECK(rig.unlocks_sent(L) == 0);
}

TEST_CASE("a store failure drops the request, counts it, and later requests still run") {
  Rig rig;
  rig.kv->fail_next = 1;
  rig.publish(M, "");
  CHECK(value(rig.metrics().store_errors) == 1);
  rig.publish(F, "");
  CHECK(rig.unlocks_sent(L) == 0);
  rig.publish(M, "");
  CHECK(rig.unlocks_sent(L) == 1);
}

TEST_CASE("a flood on one lock is bounded, and other locks are not held up") {
  lockrules::Options o;
  o.max_pending_per_lock = 4;
  Rig rig(o);
  rig.kv->hold = true;
  for (int i = 0; i < 10; ++i) rig.publish(M, "");
  // One running, four waiting, five dropped.
  CHECK(value(rig.metrics().overloaded) == 5);
  CHECK(rig.metrics().pending.load() == 5);
  rig.publish("/LK000000002/m", "");
  CHECK(rig.kv->held() == 2);
  rig.kv->pump();
  CHECK(rig.metrics().pending.load() == 0);
  CHECK(value(rig.metrics().windows_renewed) == 4);
}

TEST_CASE("after close() an answer arriving late publishes nothing") {
  Rig rig;
  rig.kv->hold = true;
  rig.publish(M, "");
  rig.publish(F, "");
  rig.rules->close();
  rig.kv->pump();
  CHECK(rig.control.published().empty());
}

TEST_CASE("answers that outlive the rules are harmless") {
  Rig rig;
  rig.kv->hold = true;
  rig.publish(M, "");
  rig.publish(F, "");
  rig.rules.reset();
  rig.kv->pump();
  CHECK(rig.control.published().empty());
}

TEST_CASE("a lock offline when both owners asked gets no unlock, and the owners are told") {
  Rig rig;
  rig.control.set_offline(L);
  rig.publish(M, "");
  rig.publish(F, "");
  CHECK(value(rig.metrics().unlocks) == 1);
  CHECK(value(rig.metrics().unlocks_undelivered) == 1);
  // Offered only to the connected now (publish_now), never published to be queued.
  std::size_t results = 0;
  for (auto& m : rig.control.published()) {
    if (m->topic != "/" + L + "/result") continue;
    CHECK(m->payload == "unlock_failed");
    ++results;
  }
  CHECK(results == 1);
}
