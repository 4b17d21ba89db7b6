// The embedded store keeps credentials, ACLs and lock status across a restart of the process
// (same data dir), with expiries measured in wall-clock time so they keep running while down.
#include <fstream>

#include "support.hpp"

using namespace storage_test;
using storage::Db;
using storage::Fields;
using storage::Result;
using storage::Status;
using Opt = std::optional<std::string>;

namespace {

storage::Storage open_in(const std::string& dir, IoThread& io) {
  storage::Config cfg;
  cfg.data_dir = dir;
  auto r = storage::open(cfg, io.io(), logger());
  REQUIRE_MESSAGE(r.ok, r.message);
  return std::move(r.value);
}

}  // namespace

TEST_CASE("embedded: keys, hashes and expiries survive a restart") {
  TempDir dir;
  IoThread io;
  const std::string binary_value("\x00\xff\r\n", 4);
  {
    auto s = open_in(dir.str(), io);
    auto& kv = *s.kv;
    REQUIRE(wait<Status>([&](auto cb) {
              kv.hreplace(Db::auth, "mqtt_user:k1", {{"password", "p"}, {"is_superuser", "0"}}, 0ms, cb);
            }).ok);
    REQUIRE(wait<Status>([&](auto cb) { kv.hset(Db::auth, "mqtt_acl:k1", {{"/L/#", "1"}}, cb); }).ok);
    REQUIRE(wait<Status>([&](auto cb) { kv.hset(Db::lock, "monitor", {{"L0000000001", "1"}}, cb); }).ok);
    REQUIRE(wait<Status>([&](auto cb) { kv.set(Db::lock, "bin", binary_value, 0ms, cb); }).ok);
    REQUIRE(wait<Status>([&](auto cb) { kv.set(Db::lock, "L0000000001_m", "1", 300ms, cb); }).ok);
    REQUIRE(wait<Status>([&](auto cb) { kv.set(Db::lock, "long", "1", 3600s, cb); }).ok);
    auto removed = wait<Result<long long>>([&](auto cb) { kv.hdel(Db::auth, "mqtt_acl:k1", {"/L/#"}, cb); });
    REQUIRE(removed.value == 1);
    REQUIRE(wait<Status>([&](auto cb) {
              s.sql->bind({"openid-1", "L0000000001", 'm', "2026-11-25"}, [cb](auto r) { cb(r); });
            }).ok);
  }
  auto s = open_in(dir.str(), io);
  auto& kv = *s.kv;
  auto user = wait<Result<Fields>>([&](auto cb) { kv.hgetall(Db::auth, "mqtt_user:k1", cb); });
  REQUIRE(user.ok);
  CHECK(user.value.size() == 2);
  auto acl = wait<Result<bool>>([&](auto cb) { kv.exists(Db::auth, "mqtt_acl:k1", cb); });
  CHECK_FALSE(acl.value);  // its last field was deleted before the restart
  auto status = wait<Result<std::vector<Opt>>>([&](auto cb) { kv.hmget(Db::lock, "monitor", {"L0000000001"}, cb); });
  CHECK(status.value == std::vector<Opt>{"1"});
  CHECK(wait<Result<Opt>>([&](auto cb) { kv.get(Db::lock, "bin", cb); }).value == Opt(binary_value));
  CHECK(wait<Result<bool>>([&](auto cb) { kv.exists(Db::lock, "long", cb); }).value);
  CHECK(eventually(
      [&] { return !wait<Result<bool>>([&](auto cb) { kv.exists(Db::lock, "L0000000001_m", cb); }).value; }, 5s));
  auto bound =
      wait<Result<std::optional<storage::Binding>>>([&](auto cb) { s.sql->find_binding_by_user("openid-1", cb); });
  REQUIRE(bound.ok);
  CHECK(bound.value.has_value());
}

TEST_CASE("embedded: an unusable data dir fails open with a message") {
  TempDir dir;
  IoThread io;
  {
    std::ofstream f(dir.str() + "/sakura.db");
    f << "this is not a sqlite database, just text long enough to fill a header page..........";
  }
  storage::Config cfg;
  cfg.data_dir = dir.str();
  auto r = storage::open(cfg, io.io(), logger());
  CHECK_FALSE(r.ok);
  MESSAGE(r.message);
}
