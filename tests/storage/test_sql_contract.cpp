// The SQL repository contract, run against SQLite always and MariaDB when SAKURA_TEST_MARIADB_*
// is set (each run in its own sakura_test_* database).
#include "support.hpp"

using namespace storage_test;
using storage::Binding;
using storage::BindOutcome;
using storage::Device;
using storage::Firmware;
using storage::HistoryEvent;
using storage::HistoryRow;
using storage::LockEvent;
using storage::Result;
using storage::Sql;
using storage::Status;

namespace {

template <class T, class Start>
T value_of(Start start) {
  auto r = wait<Result<T>>(start);
  REQUIRE_MESSAGE(r.ok, r.message);
  return r.value;
}

BindOutcome bind(Sql& sql, Binding b) {
  return value_of<BindOutcome>([&](auto cb) { sql.bind(b, cb); });
}

std::vector<HistoryRow> page(Sql& sql, const std::string& lockno, std::int64_t before, int limit) {
  return value_of<std::vector<HistoryRow>>([&](auto cb) { sql.history_page(lockno, before, limit, cb); });
}

}  // namespace

TEST_CASE("sql contract: schema is migrated at start") {
  for (auto& b : sql_backends()) {
    CAPTURE(b->name);
    CHECK(value_of<int>([&](auto cb) { b->s.sql->schema_version(cb); }) >= 1);
  }
}

TEST_CASE("sql contract: user2lock allows one row per user and one m and one f per lock") {
  for (auto& b : sql_backends()) {
    CAPTURE(b->name);
    Sql& sql = *b->s.sql;
    const std::string lock = random_hex(11);
    CHECK(bind(sql, {"user-a", lock, 'm', "2026-11-25"}) == BindOutcome::bound);
    CHECK(bind(sql, {"user-b", lock, 'm', "2026-11-25"}) == BindOutcome::role_taken);
    CHECK(bind(sql, {"user-a", random_hex(11), 'f', "2026-11-25"}) == BindOutcome::user_already_bound);
    CHECK(bind(sql, {"user-b", lock, 'f', "2026-11-26"}) == BindOutcome::bound);
    CHECK(bind(sql, {"User-A", random_hex(11), 'm', "2026-11-26"}) ==
          BindOutcome::bound);  // OpenIDs are case-sensitive

    auto a = value_of<std::optional<Binding>>([&](auto cb) { sql.find_binding_by_user("user-a", cb); });
    REQUIRE(a);
    CHECK(a->lockno == lock);
    CHECK(a->morf == 'm');
    CHECK(a->adate == "2026-11-25");
    CHECK_FALSE(value_of<std::optional<Binding>>([&](auto cb) { sql.find_binding_by_user("nobody", cb); }));

    auto both = value_of<std::vector<Binding>>([&](auto cb) { sql.find_bindings_by_lock(lock, cb); });
    REQUIRE(both.size() == 2);
    CHECK(both[0].userno == "user-b");  // f sorts before m
    CHECK(both[1].userno == "user-a");

    CHECK(value_of<bool>([&](auto cb) { sql.unbind("user-a", cb); }));
    CHECK_FALSE(value_of<bool>([&](auto cb) { sql.unbind("user-a", cb); }));
    CHECK(bind(sql, {"user-c", lock, 'm', "2026-11-27"}) == BindOutcome::bound);  // m is free again

    auto bad = wait<Result<BindOutcome>>([&](auto cb) { sql.bind({"user-d", lock, 'x', ""}, cb); });
    CHECK_FALSE(bad.ok);
  }
}

TEST_CASE("sql contract: lock history is paged newest first and appends are idempotent") {
  for (auto& b : sql_backends()) {
    CAPTURE(b->name);
    Sql& sql = *b->s.sql;
    const std::string lock = random_hex(11);
    std::vector<HistoryEvent> events;
    const LockEvent cycle[] = {LockEvent::online, LockEvent::locked, LockEvent::unlocked, LockEvent::offline};
    for (int i = 0; i < 10; ++i) events.push_back({lock, cycle[i % 4], 1700000000000 + i, random_hex(32)});
    events.push_back({random_hex(11), LockEvent::online, 1, random_hex(32)});  // another lock
    REQUIRE(wait<Status>([&](auto cb) { sql.append_history(events, cb); }).ok);
    // A replay of the same events (an unknown outcome retried) adds nothing.
    REQUIRE(wait<Status>([&](auto cb) { sql.append_history(events, cb); }).ok);

    auto first = page(sql, lock, 0, 4);
    REQUIRE(first.size() == 4);
    CHECK(first[0].ts_ms == 1700000000009);
    CHECK(first[0].event == LockEvent::locked);  // i = 9
    CHECK(first[0].text == "上锁");
    CHECK(first[0].lockno == lock);
    CHECK(first[3].ts_ms == 1700000000006);
    CHECK(first[3].event == LockEvent::unlocked);
    CHECK(first[3].text == "开锁");
    auto second = page(sql, lock, first.back().id, 4);
    REQUIRE(second.size() == 4);
    CHECK(second[0].ts_ms == 1700000000005);
    auto last = page(sql, lock, second.back().id, 4);
    REQUIRE(last.size() == 2);
    CHECK(last[1].ts_ms == 1700000000000);
    CHECK(last[1].text == "设备上线");
    CHECK(page(sql, lock, last.back().id, 4).empty());
  }
}

TEST_CASE("sql contract: devices and firmware") {
  for (auto& b : sql_backends()) {
    CAPTURE(b->name);
    Sql& sql = *b->s.sql;
    Device d{"L0000000001", "sha256:abc", "", 0, 0};
    CHECK(value_of<bool>([&](auto cb) { sql.add_device(d, cb); }));
    CHECK_FALSE(value_of<bool>([&](auto cb) { sql.add_device(d, cb); }));
    CHECK(value_of<bool>([&](auto cb) { sql.add_device({"L0000000002", "h2", "1.0.0", 0, 0}, cb); }));
    CHECK(value_of<bool>([&](auto cb) { sql.set_device_firmware("L0000000001", "1.2.0", cb); }));
    CHECK(value_of<bool>(
        [&](auto cb) { sql.set_device_firmware("L0000000001", "1.2.0", cb); }));  // same value still matches
    CHECK(value_of<bool>([&](auto cb) { sql.touch_device("L0000000001", 1700000000123, cb); }));
    CHECK(value_of<bool>([&](auto cb) { sql.set_device_credential("L0000000001", "sha256:def", cb); }));
    CHECK_FALSE(value_of<bool>([&](auto cb) { sql.touch_device("L-missing", 1, cb); }));

    auto got = value_of<std::optional<Device>>([&](auto cb) { sql.get_device("L0000000001", cb); });
    REQUIRE(got);
    CHECK(got->credential_hash == "sha256:def");
    CHECK(got->firmware_version == "1.2.0");
    CHECK(got->last_seen_ms == 1700000000123);
    CHECK(got->created_ms > 0);

    auto list = value_of<std::vector<Device>>([&](auto cb) { sql.list_devices("", 10, cb); });
    REQUIRE(list.size() == 2);
    CHECK(list[0].lockno == "L0000000001");
    list = value_of<std::vector<Device>>([&](auto cb) { sql.list_devices("L0000000001", 10, cb); });
    REQUIRE(list.size() == 1);
    CHECK(list[0].lockno == "L0000000002");

    CHECK(value_of<bool>([&](auto cb) { sql.delete_device("L0000000002", cb); }));
    CHECK_FALSE(value_of<std::optional<Device>>([&](auto cb) { sql.get_device("L0000000002", cb); }));

    Firmware f{"1.2.0", 123456, std::string(64, 'a'), "firmware/1.2.0.bin", 0};
    CHECK(value_of<bool>([&](auto cb) { sql.add_firmware(f, cb); }));
    CHECK_FALSE(value_of<bool>([&](auto cb) { sql.add_firmware(f, cb); }));
    f.version = "1.3.0";
    CHECK(value_of<bool>([&](auto cb) { sql.add_firmware(f, cb); }));
    auto fw = value_of<std::optional<Firmware>>([&](auto cb) { sql.get_firmware("1.2.0", cb); });
    REQUIRE(fw);
    CHECK(fw->size == 123456);
    CHECK(fw->file == "firmware/1.2.0.bin");
    auto all = value_of<std::vector<Firmware>>([&](auto cb) { sql.list_firmware(cb); });
    REQUIRE(all.size() == 2);
    CHECK(all[0].version == "1.3.0");
  }
}

TEST_CASE("sql contract: hostile text round-trips; invalid UTF-8 is refused or kept, never altered") {
  std::vector<std::string> texts = {
      "with space", "crlf\r\nline", "quote'\"`\\", "'; DROP TABLE user2lock; --", "%_ LIKE *", "锁 🔒 emoji",
  };
  std::string long_text;  // 300 bytes in 100 characters: longer than the 256-byte fetch buffer
  for (int i = 0; i < 100; ++i) long_text += "锁";
  texts.push_back(long_text);
  for (auto& b : sql_backends()) {
    CAPTURE(b->name);
    Sql& sql = *b->s.sql;
    for (const auto& t : texts) {
      CAPTURE(t);
      const std::string user = t;
      const std::string adate = t == long_text ? "2026-11-25" : t;
      REQUIRE(bind(sql, {user, random_hex(11), 'f', adate}) == BindOutcome::bound);
      auto got = value_of<std::optional<Binding>>([&](auto cb) { sql.find_binding_by_user(user, cb); });
      REQUIRE(got);
      CHECK(got->userno == user);
      CHECK(got->adate == adate);
      CHECK(value_of<bool>([&](auto cb) { sql.add_device({random_hex(11), t, "", 0, 0}, cb); }));
    }
    auto devices = value_of<std::vector<Device>>([&](auto cb) { sql.list_devices("", 100, cb); });
    std::vector<std::string> hashes;
    for (const auto& d : devices) hashes.push_back(d.credential_hash);
    for (const auto& t : texts) CHECK(std::find(hashes.begin(), hashes.end(), t) != hashes.end());

    const std::string invalid = "\xff\xfe\x80";
    auto r = wait<Result<BindOutcome>>([&](auto cb) { sql.bind({invalid, random_hex(11), 'm', "d"}, cb); });
    if (r.ok) {
      auto got = value_of<std::optional<Binding>>([&](auto cb) { sql.find_binding_by_user(invalid, cb); });
      REQUIRE(got);
      CHECK(got->userno == invalid);
    } else {
      MESSAGE(b->name << " refuses invalid UTF-8: " << r.message);
    }
  }
}
