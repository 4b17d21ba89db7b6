// The key-value contract, run against every backend the environment offers (embedded always,
// Redis when SAKURA_TEST_REDIS is set). Keys carry a random prefix so runs never collide.
#include <algorithm>
#include <map>
#include <set>

#include "support.hpp"

using namespace storage_test;
using storage::Db;
using storage::Fields;
using storage::KeyValue;
using storage::PairOutcome;
using storage::Result;
using storage::Status;
using Opt = std::optional<std::string>;

namespace {

Status hset(KeyValue& kv, Db db, const std::string& k, Fields f) {
  return wait<Status>([&](auto cb) { kv.hset(db, k, f, cb); });
}
Result<Opt> get(KeyValue& kv, Db db, const std::string& k) {
  return wait<Result<Opt>>([&](auto cb) { kv.get(db, k, cb); });
}
bool exists(KeyValue& kv, Db db, const std::string& k) {
  auto r = wait<Result<bool>>([&](auto cb) { kv.exists(db, k, cb); });
  REQUIRE(r.ok);
  return r.value;
}
std::map<std::string, std::string> hgetall(KeyValue& kv, Db db, const std::string& k) {
  auto r = wait<Result<Fields>>([&](auto cb) { kv.hgetall(db, k, cb); });
  REQUIRE_MESSAGE(r.ok, r.message);
  return {r.value.begin(), r.value.end()};
}
PairOutcome pair(KeyValue& kv, const std::string& lockno, char role, std::chrono::milliseconds w) {
  auto r = wait<Result<PairOutcome>>([&](auto cb) { kv.pair_unlock(lockno, role, w, cb); });
  REQUIRE_MESSAGE(r.ok, r.message);
  return r.value;
}

}  // namespace

TEST_CASE("kv contract: hashes") {
  for (auto& b : kv_backends()) {
    CAPTURE(b->name);
    KeyValue& kv = *b->s.kv;
    const std::string key = "mqtt_user:" + random_hex(8);
    REQUIRE(hset(kv, Db::auth, key, {{"password", "p1"}, {"is_superuser", "0"}}).ok);
    REQUIRE(hset(kv, Db::auth, key, {{"salt", "s"}}).ok);

    auto m = wait<Result<std::vector<Opt>>>([&](auto cb) {
      kv.hmget(Db::auth, key, {"password", "missing", "salt"}, cb);
    });
    REQUIRE(m.ok);
    CHECK(m.value == std::vector<Opt>{"p1", std::nullopt, "s"});
    CHECK(hgetall(kv, Db::auth, key) ==
          std::map<std::string, std::string>{{"password", "p1"}, {"is_superuser", "0"}, {"salt", "s"}});

    auto none = wait<Result<std::vector<Opt>>>([&](auto cb) { kv.hmget(Db::auth, key + "-absent", {"password"}, cb); });
    REQUIRE(none.ok);
    CHECK(none.value == std::vector<Opt>{std::nullopt});
    CHECK(hgetall(kv, Db::auth, key + "-absent").empty());

    auto removed = wait<Result<long long>>([&](auto cb) { kv.hdel(Db::auth, key, {"salt", "nope"}, cb); });
    REQUIRE(removed.ok);
    CHECK(removed.value == 1);
    removed = wait<Result<long long>>([&](auto cb) { kv.hdel(Db::auth, key, {"password", "is_superuser"}, cb); });
    CHECK(removed.value == 2);
    CHECK_FALSE(exists(kv, Db::auth, key));  // an emptied hash no longer exists
  }
}

TEST_CASE("kv contract: hreplace swaps the whole hash and sets its expiry") {
  for (auto& b : kv_backends()) {
    CAPTURE(b->name);
    KeyValue& kv = *b->s.kv;
    const std::string key = "mqtt_acl:" + random_hex(8);
    REQUIRE(hset(kv, Db::auth, key, {{"/old/#", "1"}, {"/keep", "2"}}).ok);
    auto st = wait<Status>([&](auto cb) {
      kv.hreplace(Db::auth, key, {{"/L/#", "1"}, {"/L/m", "2"}, {"/unauth", "2"}}, 0ms, cb);
    });
    REQUIRE(st.ok);
    CHECK(hgetall(kv, Db::auth, key) ==
          std::map<std::string, std::string>{{"/L/#", "1"}, {"/L/m", "2"}, {"/unauth", "2"}});

    st = wait<Status>([&](auto cb) { kv.hreplace(Db::auth, key, {{"a", "b"}}, 150ms, cb); });
    REQUIRE(st.ok);
    CHECK(hgetall(kv, Db::auth, key).size() == 1);
    CHECK(eventually([&] { return !exists(kv, Db::auth, key); }, 5s));
  }
}

TEST_CASE("kv contract: strings, expiry, del and the two databases") {
  for (auto& b : kv_backends()) {
    CAPTURE(b->name);
    KeyValue& kv = *b->s.kv;
    const std::string key = random_hex(11) + "_m";
    auto st = wait<Status>([&](auto cb) { kv.set(Db::lock, key, "v1", 0ms, cb); });
    REQUIRE(st.ok);
    CHECK(get(kv, Db::lock, key).value == Opt("v1"));
    CHECK(get(kv, Db::auth, key).value == std::nullopt);  // databases are separate
    CHECK(get(kv, Db::lock, key + "x").value == std::nullopt);

    // A hash under the key is a type error, not a silent answer.
    const std::string hkey = "h" + random_hex(8);
    REQUIRE(hset(kv, Db::lock, hkey, {{"f", "v"}}).ok);
    auto wrong = get(kv, Db::lock, hkey);
    CHECK_FALSE(wrong.ok);
    CHECK(wrong.message.find("WRONGTYPE") != std::string::npos);

    auto ex = wait<Result<bool>>([&](auto cb) { kv.expire(Db::lock, key, 100ms, cb); });
    REQUIRE(ex.ok);
    CHECK(ex.value);
    ex = wait<Result<bool>>([&](auto cb) { kv.expire(Db::lock, key + "absent", 100ms, cb); });
    CHECK_FALSE(ex.value);
    CHECK(eventually([&] { return !get(kv, Db::lock, key).value.has_value(); }, 5s));

    REQUIRE(wait<Status>([&](auto cb) { kv.set(Db::lock, key, "v2", 60s, cb); }).ok);
    auto n = wait<Result<long long>>([&](auto cb) { kv.del(Db::lock, {key, hkey, key + "absent"}, cb); });
    REQUIRE(n.ok);
    CHECK(n.value == 2);
    CHECK_FALSE(exists(kv, Db::lock, key));
    CHECK_FALSE(exists(kv, Db::lock, hkey));
  }
}

TEST_CASE("kv contract: pair_unlock opens a window, the other role consumes it") {
  for (auto& b : kv_backends()) {
    CAPTURE(b->name);
    KeyValue& kv = *b->s.kv;
    const std::string lock = random_hex(11);
    CHECK(pair(kv, lock, 'm', 35s) == PairOutcome::waiting);
    CHECK(exists(kv, Db::lock, lock + "_m"));
    CHECK(pair(kv, lock, 'm', 35s) == PairOutcome::waiting);  // the same owner twice: still waiting
    CHECK(pair(kv, lock, 'f', 35s) == PairOutcome::paired);
    CHECK_FALSE(exists(kv, Db::lock, lock + "_m"));  // consumed: one unlock per pair
    CHECK_FALSE(exists(kv, Db::lock, lock + "_f"));
    CHECK(pair(kv, lock, 'f', 35s) == PairOutcome::waiting);

    // An expired window pairs with nothing.
    const std::string lock2 = random_hex(11);
    CHECK(pair(kv, lock2, 'f', 100ms) == PairOutcome::waiting);
    CHECK(eventually([&] { return !exists(kv, Db::lock, lock2 + "_f"); }, 5s));
    CHECK(pair(kv, lock2, 'm', 35s) == PairOutcome::waiting);

    auto bad = wait<Result<PairOutcome>>([&](auto cb) { kv.pair_unlock(lock, 'x', 35s, cb); });
    CHECK_FALSE(bad.ok);
  }
}

TEST_CASE("kv contract: hostile keys and values round-trip unchanged") {
  const std::vector<std::string> hostile = {
      "with space",
      "crlf\r\nSET x y\r\n",
      "quote'\"`",
      std::string("nul\0byte", 8),
      "\xff\xfe\x80 not utf-8",
      "'; DROP TABLE kv_keys; --",
      "%u %c #+/",
      "锁 🔒",
      "",
  };
  for (auto& b : kv_backends()) {
    CAPTURE(b->name);
    KeyValue& kv = *b->s.kv;
    const std::string prefix = random_hex(6);
    for (size_t i = 0; i < hostile.size(); ++i) {
      const std::string& v = hostile[i];
      CAPTURE(i);
      std::string key = prefix + v;
      REQUIRE(wait<Status>([&](auto cb) { kv.set(Db::lock, key, v, 0ms, cb); }).ok);
      CHECK(get(kv, Db::lock, key).value == Opt(v));
      std::string hkey = prefix + "h" + v;
      std::string field = v.empty() ? "empty" : v;
      REQUIRE(hset(kv, Db::auth, hkey, {{field, v}}).ok);
      auto m = wait<Result<std::vector<Opt>>>([&](auto cb) { kv.hmget(Db::auth, hkey, {field}, cb); });
      REQUIRE(m.ok);
      CHECK(m.value == std::vector<Opt>{v});
      CHECK(hgetall(kv, Db::auth, hkey) == std::map<std::string, std::string>{{field, v}});
    }
  }
}

TEST_CASE("kv contract: scan pages through a prefix, glob characters literal; pttl") {
  for (auto& b : kv_backends()) {
    CAPTURE(b->name);
    KeyValue& kv = *b->s.kv;
    const std::string prefix = "scan:" + random_hex(8) + "*?[";
    std::set<std::string> expected;
    for (int i = 0; i < 12; ++i) {
      auto k = prefix + std::to_string(i);
      REQUIRE(hset(kv, Db::auth, k, {{"f", "v"}}).ok);
      expected.insert(k);
    }
    REQUIRE(hset(kv, Db::auth, "scan:" + random_hex(8) + "-other", {{"f", "v"}}).ok);
    REQUIRE(hset(kv, Db::lock, prefix + "lockdb", {{"f", "v"}}).ok);  // another database
    std::set<std::string> seen;
    std::string cursor;
    int calls = 0;
    do {
      auto r = wait<Result<storage::ScanPage>>([&](auto cb) { kv.scan(Db::auth, prefix, cursor, 5, cb); });
      REQUIRE_MESSAGE(r.ok, r.message);
      seen.insert(r.value.keys.begin(), r.value.keys.end());
      cursor = r.value.cursor;
      REQUIRE(++calls < 100000);
    } while (!cursor.empty());
    CHECK(seen == expected);

    auto ttl = [&](const std::string& k) {
      auto r = wait<Result<long long>>([&](auto cb) { kv.pttl(Db::auth, k, cb); });
      REQUIRE(r.ok);
      return r.value;
    };
    CHECK(ttl(prefix + "0") == -1);
    CHECK(ttl(prefix + "absent") == -2);
    REQUIRE(wait<Result<bool>>([&](auto cb) { kv.expire(Db::auth, prefix + "1", 60s, cb); }).value);
    CHECK(ttl(prefix + "1") > 50000);
    CHECK(ttl(prefix + "1") <= 60000);
  }
}
