#include <doctest/doctest.h>

#include <string>

#include "lockrules/rule_topic.hpp"

using namespace lockrules;

TEST_CASE("rule topics are recognised with their lockno") {
  auto r = classify("/AB345678901/m");
  REQUIRE(r);
  CHECK(r->kind == RuleKind::owner_m);
  CHECK(r->lockno == "AB345678901");
  CHECK(classify("/AB345678901/f")->kind == RuleKind::owner_f);
  CHECK(classify("/AB345678901/statu")->kind == RuleKind::status);
  CHECK(classify("/unauth")->kind == RuleKind::unauth);
}

TEST_CASE("a lockno is exactly 11 characters; other lock-shaped topics are marked") {
  CHECK(classify("/AB34567890/m")->kind == RuleKind::not_lockno);
  CHECK(classify("/AB3456789012/statu")->kind == RuleKind::not_lockno);
  CHECK(classify("/x/f")->kind == RuleKind::not_lockno);
  CHECK_FALSE(classify("//f"));  // an empty level is not even lock-shaped
}

TEST_CASE("everything else has no rule") {
  for (const char* t : {"", "/", "m", "/m", "AB345678901/m", "/AB345678901/m/", "/AB345678901/m/x", "/AB345678901/call",
                        "/AB345678901/ota", "/AB345678901/fw", "/unauth/", "/unauthx", "unauth", "/AB345678901",
                        "/AB345678901/", "/AB345678901/stat", "/AB345678901/status", "$SYS/broker/uptime"})
    CHECK_MESSAGE(!classify(t), t);
}

TEST_CASE("status payloads") {
  CHECK(parse_status("1") == LockStatus::locked);
  CHECK(parse_status("0") == LockStatus::open);
  CHECK(parse_status("-2") == LockStatus::offline);
  for (const char* p : {"", "2", "-1", "+1", "1 ", "00", "-2\n", "true"}) CHECK_MESSAGE(!parse_status(p), p);
  CHECK(std::string(status_text(LockStatus::offline)) == "-2");
}
