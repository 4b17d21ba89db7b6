// ACL semantics of emqx_auth_redis (whitelist rows, %u/%c, literal SUBSCRIBE wildcards), global
// rules from auth.acl_file, command templates and the users file.
#include <doctest/doctest.h>

#include "auth/acl_file.hpp"
#include "auth/command_template.hpp"
#include "auth/topic_acl_match.hpp"
#include "auth/user_acl.hpp"
#include "auth/users_file.hpp"

using namespace auth;

TEST_CASE("acl_match follows emqx_topic:match") {
  CHECK(acl_match("/L1/statu", "/L1/statu"));
  CHECK(acl_match("/L1/statu", "/L1/#"));
  CHECK(acl_match("/L1", "/L1/#"));  // '#' also matches the parent level
  CHECK(acl_match("/L1/a/b", "/L1/#"));
  CHECK(acl_match("/L1/m", "/+/m"));
  CHECK(acl_match("a", "#"));
  CHECK_FALSE(acl_match("/L2/statu", "/L1/#"));
  CHECK_FALSE(acl_match("/L1/m/x", "/+/m"));
  CHECK_FALSE(acl_match("/L1/m", "/L1/m/x"));
  CHECK_FALSE(acl_match("/L1/", "/L1"));
  CHECK(acl_match("/L1/", "/L1/+"));
  CHECK(acl_match("", ""));
  // The checked name's own wildcards are characters like any other.
  CHECK_FALSE(acl_match("#", "/L1/#"));
  CHECK_FALSE(acl_match("/#", "/L1/#"));
  CHECK_FALSE(acl_match("/+/call", "/L1/#"));
  CHECK(acl_match("/L1/+", "/L1/#"));
  CHECK(acl_match("/L1/#", "/L1/#"));
  CHECK(acl_match("/L1/+", "/L1/+"));
  CHECK_FALSE(acl_match("/L1/#", "/L1/+"));  // stricter than EMQX: one level cannot grant many
  // $-topics are not matched by a leading wildcard.
  CHECK_FALSE(acl_match("$SYS/x", "#"));
  CHECK_FALSE(acl_match("$SYS/x", "+/x"));
  CHECK(acl_match("$SYS/x", "$SYS/#"));
}

TEST_CASE("substitute replaces %u and %c once") {
  CHECK(substitute("mqtt_user:%u", "bob", "c1") == "mqtt_user:bob");
  CHECK(substitute("/%u/%c/x", "bob", "c1") == "/bob/c1/x");
  // A username containing %c is not expanded a second time.
  CHECK(substitute("mqtt_user:%u", "a%cb", "CID") == "mqtt_user:a%cb");
  CHECK(substitute("100%%/%x/%", "u", "c") == "100%/%x/%");
}

TEST_CASE("substitute_filter: what a client chose never makes a wildcard level") {
  CHECK(substitute_filter("/lan/%u/%c", "bob", "c1") == "/lan/bob/c1");
  CHECK_FALSE(substitute_filter("/lan/%u/%c", "bob", "#"));
  CHECK_FALSE(substitute_filter("/lan/%u/%c", "bob", "+"));
  CHECK_FALSE(substitute_filter("/lan/%u/%c/x", "bob", "a/b"));  // '/' in a client id
  CHECK_FALSE(substitute_filter("/lan/%u/x", "+", "c"));
  CHECK_FALSE(substitute_filter("/lan/%u/x", "a/#", "c"));
  CHECK_FALSE(substitute_filter("/lan/%u%c", "", "#"));  // the level is all substituted
  CHECK_FALSE(substitute_filter("/lan/%u", "a/+", "c"));
  // Inside a level they are plain characters, and base64 usernames keep their '/' and '+'.
  CHECK(substitute_filter("/lan/%u/%c", "ab+/cd=", "x+y#") == "/lan/ab+/cd=/x+y#");
  // The rule's own wildcards stay wildcards; a %c that is not used does not matter.
  CHECK(substitute_filter("/lan/%u/+/#", "bob", "a/b") == "/lan/bob/+/#");
}

TEST_CASE("command templates") {
  using V = CommandTemplate::Verb;
  auto t = CommandTemplate::parse("HMGET mqtt_user:%u password salt", {V::hmget});
  REQUIRE(t);
  CHECK(t->fields == std::vector<std::string>{"password", "salt"});
  CHECK(t->key("user name\r\n", "c") == "mqtt_user:user name\r\n");
  CHECK(CommandTemplate::parse("hgetall mqtt_acl:%u", {V::hgetall}));
  std::string why;
  CHECK_FALSE(CommandTemplate::parse("GET x", {V::hmget}, &why));
  CHECK_FALSE(CommandTemplate::parse("HGETALL k f", {V::hgetall}, &why));
  CHECK_FALSE(CommandTemplate::parse("HGET k", {V::hget}, &why));
  CHECK_FALSE(CommandTemplate::parse("HMGET k", {V::hmget}, &why));
  CHECK_FALSE(CommandTemplate::parse("HGETALL k", {V::hmget}, &why));
  CHECK_FALSE(why.empty());
}

namespace {
// What the old Python login wrote for an owner 'm' of lock L0000000001.
const storage::Fields kLoginAcl{{"/L0000000001/#", "1"}, {"/L0000000001/m", "2"}, {"/unauth", "2"}};
}  // namespace

TEST_CASE("user rows are a whitelist") {
  UserAcl acl(kLoginAcl, "key", "cid", GlobalRules{}, true);
  CHECK(acl.whitelist());
  CHECK(acl.allow_subscribe("/L0000000001/#"));
  CHECK(acl.allow_subscribe("/L0000000001/statu"));
  CHECK(acl.allow_subscribe("/L0000000001/call"));
  CHECK(acl.allow_publish("/L0000000001/m"));
  CHECK(acl.allow_publish("/unauth"));
  CHECK_FALSE(acl.allow_publish("/L0000000001/f"));      // the other owner's role
  CHECK_FALSE(acl.allow_publish("/L0000000001/statu"));  // subscribe-only row
  CHECK_FALSE(acl.allow_subscribe("/unauth"));           // publish-only row
  CHECK_FALSE(acl.allow_subscribe("/L0000000002/#"));    // another lock
  CHECK_FALSE(acl.allow_subscribe("#"));
  CHECK_FALSE(acl.allow_subscribe("/#"));
  CHECK_FALSE(acl.allow_subscribe("/+/statu"));
  // nomatch=allow does not open a whitelist.
  CHECK_FALSE(acl.allow_publish("/anything"));
}

TEST_CASE("%u and %c in rows; unknown access values grant nothing but keep the whitelist") {
  UserAcl acl({{"/u/%u/#", "3"}, {"/c/%c", "2"}, {"/bad", "7"}}, "alice", "phone", GlobalRules{}, true);
  CHECK(acl.allow_publish("/u/alice/x"));
  CHECK(acl.allow_subscribe("/u/alice/+"));
  CHECK_FALSE(acl.allow_publish("/u/bob/x"));
  CHECK(acl.allow_publish("/c/phone"));
  CHECK_FALSE(acl.allow_publish("/bad"));
  UserAcl only_bad({{"/bad", "x"}}, "a", "c", GlobalRules{}, true);
  CHECK_FALSE(only_bad.allow_publish("/bad"));
  CHECK_FALSE(only_bad.allow_publish("/other"));
}

TEST_CASE("no rows: global rules, then acl_nomatch") {
  auto rules = GlobalRules::parse(R"(
# comment
deny  user:mallory        pubsub    #
allow all                 subscribe $SYS/brokers/# /public/#
allow clientid:dash       subscribe eq:#
allow ipaddr:10.1.0.0/16  publish   /lan/%u/%c
deny  anonymous           publish   #
allow anonymous           subscribe /public/#
)");
  CHECK(rules.size() == 6);
  std::string alice = "alice", mallory = "mallory";
  auto who = [](const std::string* user, std::string_view cid, const char* addr) {
    WhoAsks w;
    w.username = user;
    w.client_id = cid;
    w.address = peer_address(addr);
    return w;
  };
  auto acl_for = [&](const WhoAsks& w, bool nomatch) {
    return UserAcl({}, w.username ? *w.username : "", w.client_id, rules.for_client(w), nomatch);
  };
  auto a = acl_for(who(&alice, "c1", "10.1.2.3:5000"), false);
  CHECK_FALSE(a.whitelist());
  CHECK(a.allow_subscribe("/public/news"));
  CHECK(a.allow_subscribe("$SYS/brokers/x"));
  CHECK(a.allow_publish("/lan/alice/c1"));
  CHECK_FALSE(a.allow_publish("/lan/alice/c2"));
  CHECK_FALSE(a.allow_publish("/other"));  // nomatch deny
  CHECK_FALSE(a.allow_subscribe("#"));
  auto far = acl_for(who(&alice, "c1", "10.2.2.3:5000"), true);
  CHECK(far.allow_publish("/lan/alice/c1"));  // not by the ipaddr rule, by nomatch allow
  auto far_deny = acl_for(who(&alice, "c1", "[::ffff:10.2.0.1]:1"), false);
  CHECK_FALSE(far_deny.allow_publish("/lan/alice/c1"));
  auto mapped = acl_for(who(&alice, "c1", "[::ffff:10.1.0.1]:1"), false);
  CHECK(mapped.allow_publish("/lan/alice/c1"));  // v4-mapped v6 peers match v4 ranges

  auto m = acl_for(who(&mallory, "c", "1.2.3.4:1"), true);
  CHECK_FALSE(m.allow_subscribe("/public/news"));  // first match wins: the deny comes first
  CHECK_FALSE(m.allow_publish("/x"));

  auto dash = acl_for(who(&alice, "dash", "1.2.3.4:1"), false);
  CHECK(dash.allow_subscribe("#"));
  CHECK_FALSE(dash.allow_subscribe("/x/#"));  // eq: is literal

  auto anon = acl_for(who(nullptr, "x", "1.2.3.4:1"), true);
  CHECK(anon.allow_subscribe("/public/a"));
  CHECK_FALSE(anon.allow_publish("/public/a"));
  CHECK(anon.allow_subscribe("/elsewhere"));  // nomatch allow

  // Direct evaluation agrees with the per-client copy.
  CHECK(rules.decide(who(&alice, "c1", "10.1.9.9:1"), Access::publish, "/lan/alice/c1") == true);
  CHECK_FALSE(rules.decide(who(&alice, "c1", "10.1.9.9:1"), Access::publish, "/none"));
}

TEST_CASE("an injected wildcard widens neither rows nor allow rules; deny rules still deny") {
  UserAcl row({{"/lan/%u/%c", "3"}, {"/own", "1"}}, "bob", "#", GlobalRules{}, true);
  CHECK(row.whitelist());
  CHECK_FALSE(row.allow_publish("/lan/bob/x"));
  CHECK_FALSE(row.allow_subscribe("/lan/bob/#"));
  CHECK(row.allow_subscribe("/own"));

  auto rules = GlobalRules::parse(R"(
deny  all publish /lan/%u/%c/admin
allow all pubsub  /lan/%u/%c eq:/lan/%u/%c
)");
  std::string bob = "bob";
  for (const char* cid : {"#", "+", "a/b", "x/#"}) {
    CAPTURE(cid);
    WhoAsks w;
    w.username = &bob;
    w.client_id = cid;
    UserAcl acl({}, "bob", cid, rules.for_client(w), false);
    CHECK_FALSE(acl.allow_subscribe("/lan/bob/#"));
    CHECK_FALSE(acl.allow_subscribe("/lan/bob/+"));
    CHECK_FALSE(acl.allow_publish("/lan/bob/other"));
    CHECK_FALSE(rules.decide(w, Access::subscribe, "/lan/bob/#").value_or(false));
    CHECK_FALSE(rules.decide(w, Access::publish, "/lan/bob/other").value_or(false));
  }
  WhoAsks ok;
  ok.username = &bob;
  ok.client_id = "c1";
  UserAcl acl({}, "bob", "c1", rules.for_client(ok), false);
  CHECK(acl.allow_publish("/lan/bob/c1"));
  CHECK_FALSE(acl.allow_publish("/lan/bob/c1/admin"));
  // A deny rule substituted with a wildcard only denies more.
  WhoAsks hash;
  hash.username = &bob;
  hash.client_id = "#";
  CHECK(GlobalRules::parse("deny all publish /lan/%c\nallow all publish #\n").decide(hash, Access::publish, "/lan/x") ==
        false);
}

TEST_CASE("the shipped default rules: a lock account gets its own topics and nothing else") {
  auto rules = GlobalRules::load(SAKURA_DEFAULT_ACL);
  auto acl_for = [&](const std::string* user, std::string_view cid, const char* addr, bool nomatch) {
    WhoAsks w;
    w.username = user;
    w.client_id = cid;
    w.address = peer_address(addr);
    return UserAcl({}, user ? *user : "", cid, rules.for_client(w), nomatch);
  };
  std::string lock = "L0000000001", other = "L0000000002";
  auto a = acl_for(&lock, lock, "10.0.0.9:1000", false);
  CHECK(a.allow_publish("/L0000000001/statu"));
  CHECK(a.allow_publish("/L0000000001/fw"));
  CHECK(a.allow_subscribe("/L0000000001/call"));
  CHECK(a.allow_subscribe("/L0000000001/ota"));
  CHECK_FALSE(a.allow_subscribe("/L0000000001/statu"));  // directions are not swapped
  CHECK_FALSE(a.allow_publish("/L0000000001/call"));     // not even its own command
  CHECK_FALSE(a.allow_publish("/L0000000001/m"));
  CHECK_FALSE(a.allow_subscribe("/L0000000001/#"));
  CHECK_FALSE(a.allow_publish("/L0000000002/statu"));
  CHECK_FALSE(a.allow_subscribe("/L0000000002/call"));
  CHECK_FALSE(a.allow_subscribe("/+/call"));
  CHECK_FALSE(a.allow_subscribe("#"));
  CHECK_FALSE(a.allow_subscribe("$SYS/broker/uptime"));
  // Another lock's account, with the first lock's number as its client id: its own name counts.
  auto b = acl_for(&other, lock, "10.0.0.9:1000", false);
  CHECK_FALSE(b.allow_publish("/L0000000001/statu"));
  CHECK_FALSE(b.allow_subscribe("/L0000000001/call"));
  CHECK(b.allow_publish("/L0000000002/statu"));
  // Not named like a lock (a /login key is 24 characters): none of it.
  std::string key = "abcdefghijklmnopqrstuvw=", ten = "L000000001";
  for (const std::string* u : {&key, &ten}) {
    auto k = acl_for(u, "L0000000001", "10.0.0.9:1000", false);
    CHECK_FALSE(k.allow_publish("/" + *u + "/statu"));
    CHECK_FALSE(k.allow_publish("/L0000000001/statu"));
    CHECK_FALSE(k.allow_subscribe("/L0000000001/call"));
  }
  // An 11-character name that would make a wildcard level grants nothing; one with a '/' only
  // reaches topics that are no lock's (a lock topic has two levels).
  for (std::string odd : {std::string("#/aaaaaaaaa"), std::string("aaaaaaaaa/+")}) {
    auto o = acl_for(&odd, odd, "10.0.0.9:1000", false);
    CHECK_FALSE(o.allow_subscribe("/" + odd + "/call"));
    CHECK_FALSE(o.allow_subscribe("/L0000000001/call"));
  }
  // $SYS as EMQX's acl.conf: dashboard and local clients read it; `#` and $SYS denied to
  // everyone else even under acl_nomatch=allow.
  std::string dashboard = "dashboard", alice = "alice";
  CHECK(acl_for(&dashboard, "d", "10.0.0.9:1", false).allow_subscribe("$SYS/broker/uptime"));
  CHECK(acl_for(&alice, "a", "127.0.0.1:1", false).allow_subscribe("$SYS/broker/uptime"));
  CHECK(acl_for(&alice, "a", "[::1]:1", false).allow_subscribe("$SYS/broker/uptime"));
  CHECK_FALSE(acl_for(&alice, "a", "127.0.0.1:1", false).allow_publish("$SYS/broker/uptime"));
  CHECK_FALSE(acl_for(&alice, "a", "127.0.0.1:1", false).allow_subscribe("#"));
  auto open = acl_for(&alice, "a", "10.0.0.9:1", true);
  CHECK_FALSE(open.allow_subscribe("$SYS/broker/uptime"));
  CHECK_FALSE(open.allow_subscribe("#"));
  CHECK(open.allow_subscribe("/anything"));
  CHECK_FALSE(acl_for(&alice, "a", "10.0.0.9:1", false).allow_subscribe("/anything"));
}

TEST_CASE("user rows take precedence over global rules") {
  auto rules = GlobalRules::parse("allow all pubsub #\n");
  std::string u = "u";
  WhoAsks w;
  w.username = &u;
  UserAcl acl({{"/mine", "3"}}, "u", "c", rules.for_client(w), true);
  CHECK(acl.allow_publish("/mine"));
  CHECK_FALSE(acl.allow_publish("/other"));
}

TEST_CASE("acl_file errors name the line") {
  for (const char* bad : {"allow all pubsub", "permit all pubsub #", "allow everyone pubsub #", "allow all read #",
                          "allow ipaddr:10.0.0.0/33 pubsub #", "allow locks pubsub #", "allow ipaddr:nope pubsub #",
                          "allow user: pubsub #", "allow all pubsub eq:"}) {
    CAPTURE(bad);
    try {
      GlobalRules::parse(std::string("# first\n") + bad, "acl.conf");
      FAIL("accepted");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("acl.conf line 2") != std::string::npos);
    }
  }
}

TEST_CASE("peer_address") {
  CHECK(peer_address("127.0.0.1:1883")->to_string() == "127.0.0.1");
  CHECK(peer_address("[::1]:1883")->to_string() == "::1");
  CHECK_FALSE(peer_address("unknown"));
}

TEST_CASE("users file") {
  auto f = UsersFile::parse(R"(
user L0000000001 s3cret
acl  L0000000001 /L0000000001/statu 2
acl  L0000000001 /L0000000001/call 1
user admin 5f4dcc3b5aa765d61d8327deb882cf99 salt=abc superuser
)");
  REQUIRE(f.users.size() == 2);
  CHECK(f.users["L0000000001"].credential == storage::Fields{{"password", "s3cret"}});
  CHECK(f.users["L0000000001"].acl.size() == 2);
  CHECK(f.users["admin"].credential ==
        storage::Fields{{"password", "5f4dcc3b5aa765d61d8327deb882cf99"}, {"salt", "abc"}, {"is_superuser", "1"}});
  CHECK_THROWS_WITH_AS(UsersFile::parse("user x"),
                       "users_file line 1: expected 'user <name> <password> [salt=<salt>] [superuser]'",
                       std::runtime_error);
  CHECK_THROWS_AS(UsersFile::parse("acl x /t 4"), std::runtime_error);
  CHECK_THROWS_AS(UsersFile::parse("acl x /t 1"), std::runtime_error);  // no user line
  CHECK_THROWS_AS(UsersFile::parse("user x y bogus"), std::runtime_error);
}
