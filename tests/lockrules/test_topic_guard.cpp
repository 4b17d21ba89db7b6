// Who may publish on a lock's topics, whatever the ACL lets through (lockrules/topic_guard.hpp).
#include <doctest/doctest.h>

#include "fakes.hpp"
#include "lockrules/topic_guard.hpp"

using namespace lockrules_test;
using broker::PublishVerdict;

namespace {
const std::string L = "LK000000001";

broker::ClientInfo client(std::optional<std::string> username, bool superuser = false) {
  broker::ClientInfo c;
  c.client_id = "c";
  c.username = std::move(username);
  c.superuser = superuser;
  return c;
}

struct GuardRig {
  std::shared_ptr<lockrules::Metrics> metrics = std::make_shared<lockrules::Metrics>();
  lockrules::TopicGuard guard{metrics, std::make_shared<FakeClock>(), logger()};
  PublishVerdict check(const broker::ClientInfo& c, const std::string& topic, bool retain = false) {
    return guard.check(c, topic, retain);
  }
};
}  // namespace

TEST_CASE("commands to a lock come only from a superuser") {
  GuardRig g;
  const auto phone = client("q7V0b0l9dE8rW0b4iQm9ZQ==");
  for (const char* leaf : {"call", "ota"}) {
    auto topic = "/" + L + "/" + leaf;
    CHECK(g.check(phone, topic) == PublishVerdict::deny);
    CHECK(g.check(client(std::nullopt), topic) == PublishVerdict::deny);   // anonymous
    CHECK(g.check(client(L), topic) == PublishVerdict::deny);              // the lock itself
    CHECK(g.check(client("LK000000002"), topic) == PublishVerdict::deny);  // another lock
    CHECK(g.check(client("ops", true), topic) == PublishVerdict::allow);
    // Any level: a lockno of another length is refused the same way.
    CHECK(g.check(phone, std::string("/x/") + leaf) == PublishVerdict::deny);
  }
  CHECK(value(g.metrics->forged_commands) == 10);
}

TEST_CASE("a lock's reports come only from that lock's account (or a superuser)") {
  GuardRig g;
  for (const char* leaf : {"statu", "fw"}) {
    auto topic = "/" + L + "/" + leaf;
    CHECK(g.check(client(L), topic) == PublishVerdict::allow);
    CHECK(g.check(client("LK000000002"), topic) == PublishVerdict::deny);
    CHECK(g.check(client("phone"), topic) == PublishVerdict::deny);
    CHECK(g.check(client(std::nullopt), topic) == PublishVerdict::deny);
    CHECK(g.check(client("ops", true), topic) == PublishVerdict::allow);
    // A username that only starts like the lockno is somebody else.
    CHECK(g.check(client(L + "x"), topic) == PublishVerdict::deny);
  }
  CHECK(value(g.metrics->forged_reports) == 8);
}

TEST_CASE("owners' requests come from named clients; which owner is the ACL's decision") {
  GuardRig g;
  CHECK(g.check(client("key-m"), "/" + L + "/m") == PublishVerdict::allow);
  CHECK(g.check(client("key-f"), "/" + L + "/f") == PublishVerdict::allow);
  CHECK(g.check(client(std::nullopt), "/" + L + "/m") == PublishVerdict::deny);
  CHECK(g.check(client(std::nullopt), "/" + L + "/f") == PublishVerdict::deny);
  CHECK(value(g.metrics->forged_commands) == 2);
}

TEST_CASE("rule topics are never retained; other topics keep their retain flag") {
  GuardRig g;
  const auto ops = client("ops", true);
  for (auto topic : {"/" + L + "/m", "/" + L + "/f", "/" + L + "/call", std::string("/unauth")})
    CHECK_MESSAGE(g.check(ops, topic, true) == PublishVerdict::allow_unretained, topic);
  CHECK(g.check(client("key-m"), "/" + L + "/m", true) == PublishVerdict::allow_unretained);
  CHECK(value(g.metrics->retain_refused) == 5);
  // Not retained in the first place: nothing to refuse.
  CHECK(g.check(ops, "/" + L + "/m", false) == PublishVerdict::allow);
  // Reports and offers may be retained by whoever may send them.
  CHECK(g.check(client(L), "/" + L + "/statu", true) == PublishVerdict::allow);
  CHECK(g.check(ops, "/" + L + "/ota", true) == PublishVerdict::allow);
  CHECK(value(g.metrics->retain_refused) == 5);
}

TEST_CASE("topics no rule is about pass untouched, retained or not") {
  GuardRig g;
  const auto anon = client(std::nullopt);
  for (const char* t : {"", "/", "a/b",
                        "/"
                        "LK000000001",
                        "/LK000000001/", "/LK000000001/note", "/LK000000001/call/x", "//call", "LK000000001/call",
                        "$SYS/x", "/unauthx", "/LK000000001/statux", "/LK000000001/calls"})
    CHECK_MESSAGE(g.check(anon, t, true) == PublishVerdict::allow, t);
  CHECK(value(g.metrics->forged_commands) + value(g.metrics->forged_reports) + value(g.metrics->retain_refused) == 0);
}
