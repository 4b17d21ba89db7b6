// The subscription tree and the retained store, matched against topic_matches() as the oracle.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "broker/retained_store.hpp"
#include "broker/session.hpp"
#include "broker/subscription_tree.hpp"
#include "broker/topic.hpp"

using namespace broker;

TEST_CASE("subscription tree agrees with topic_matches on a randomized set") {
  std::vector<std::string> filters = {
      "#", "+", "/+", "/+/m", "/+/#", "a/#", "a/+/c", "a/b/c", "+/+", "$SYS/#", "/12345678901/statu", "a//c", "+/b"};
  std::vector<std::string> topics = {
      "a", "a/b", "a/b/c", "a//c", "/x", "/x/m", "/12345678901/statu", "$SYS/broker/uptime", "b", "/", "x/b"};
  SubscriptionTree tree;
  std::vector<std::shared_ptr<Session>> sessions;
  for (std::size_t i = 0; i < filters.size(); ++i) {
    sessions.push_back(std::make_shared<Session>("s" + std::to_string(i), true, 0));
    tree.subscribe(filters[i], sessions.back(), static_cast<std::uint8_t>(i % 3));
  }
  std::vector<Match> out;
  for (auto& t : topics) {
    tree.match(t, out);
    std::vector<std::string> got, want;
    for (auto& m : out) got.push_back(m.session->client_id);
    for (std::size_t i = 0; i < filters.size(); ++i)
      if (topic_matches(filters[i], t)) want.push_back("s" + std::to_string(i));
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    CHECK_MESSAGE(got == want, "topic " << t);
  }
}

TEST_CASE("subscription tree: one entry per session at its highest QoS; unsubscribe prunes") {
  SubscriptionTree tree;
  auto s = std::make_shared<Session>("s", true, 0);
  tree.subscribe("a/#", s, 0);
  tree.subscribe("a/+", s, 2);
  tree.subscribe("a/b", s, 1);
  std::vector<Match> out;
  tree.match("a/b", out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].qos == 2);
  CHECK(tree.unsubscribe("a/+", s.get()));
  CHECK_FALSE(tree.unsubscribe("a/+", s.get()));
  tree.match("a/b", out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].qos == 1);
  tree.unsubscribe("a/#", s.get());
  tree.unsubscribe("a/b", s.get());
  CHECK(tree.subscription_count() == 0);
  tree.match("a/b", out);
  CHECK(out.empty());
}

TEST_CASE("subscription tree: a level with many children (one per lock) matches and prunes each") {
  // Past a handful of children a level changes representation; both sides of that must agree.
  SubscriptionTree tree;
  std::vector<std::shared_ptr<Session>> locks;
  for (int i = 0; i < 50; ++i) {
    locks.push_back(std::make_shared<Session>("lock" + std::to_string(i), true, 0));
    CHECK(tree.subscribe("/" + std::to_string(i) + "/call", locks.back(), 1));
  }
  auto watcher = std::make_shared<Session>("watcher", true, 0);
  tree.subscribe("/+/call", watcher, 0);
  std::vector<Match> out;
  for (int i = 0; i < 50; ++i) {
    tree.match("/" + std::to_string(i) + "/call", out);
    REQUIRE(out.size() == 2);
    CHECK((out[0].session == locks[i] || out[1].session == locks[i]));
  }
  for (int i = 0; i < 50; i += 2) CHECK(tree.unsubscribe("/" + std::to_string(i) + "/call", locks[i].get()));
  for (int i = 0; i < 50; ++i) {
    tree.match("/" + std::to_string(i) + "/call", out);
    CHECK(out.size() == (i % 2 ? 2u : 1u));
  }
  for (int i = 1; i < 50; i += 2) tree.unsubscribe("/" + std::to_string(i) + "/call", locks[i].get());
  tree.unsubscribe("/+/call", watcher.get());
  CHECK(tree.subscription_count() == 0);
  tree.match("/1/call", out);
  CHECK(out.empty());
}

TEST_CASE("retained store: filters, clearing, limits") {
  RetainedStore::Limits limits;
  limits.max_messages = 3;
  limits.max_payload = 10;
  RetainedStore store(limits);
  CHECK(store.update(make_message("/1/statu", "1", 0, true)) == RetainedStore::Update::stored);
  CHECK(store.update(make_message("/2/statu", "0", 0, true)) == RetainedStore::Update::stored);
  CHECK(store.update(make_message("$SYS/x", "v", 0, true)) == RetainedStore::Update::stored);
  CHECK(store.update(make_message("/3/statu", "1", 0, true)) == RetainedStore::Update::rejected_limit);
  CHECK(store.update(make_message("/1/statu", std::string(11, 'x'), 0, true)) == RetainedStore::Update::rejected_limit);
  std::vector<MessagePtr> out;
  store.match("/+/statu", out);
  CHECK(out.size() == 2);
  out.clear();
  store.match("#", out);
  CHECK(out.size() == 2);  // $SYS excluded from a leading wildcard
  out.clear();
  store.match("$SYS/#", out);
  CHECK(out.size() == 1);
  CHECK(store.update(make_message("/1/statu", "", 0, true)) == RetainedStore::Update::cleared);
  CHECK(store.size() == 2);
  out.clear();
  store.match("/1/#", out);
  CHECK(out.empty());
  out.clear();
  store.match("/2/#", out);
  CHECK(out.size() == 1);
}
