// Migrations from the old system's tables (docs/migration.md), on SQLite always and on MariaDB
// when SAKURA_TEST_MARIADB_* is set: the old tables are written with the database's own client
// library, exactly as the old Flask services left them, then migrated through the public API.
#include <mysql.h>
#include <sqlite3.h>

#include "storage/migration.hpp"
#include "support.hpp"

using namespace storage_test;
using storage::Binding;
using storage::HistoryEvent;
using storage::HistoryRow;
using storage::LockEvent;
using storage::Result;

namespace {

// One target database: a config for Sakura and a raw connection to build the old state.
struct Target {
  std::string name;
  storage::Config cfg;
  std::unique_ptr<TempDir> dir = std::make_unique<TempDir>();

  // Runs one statement outside Sakura, as the old system or an operator would.
  void raw(const std::string& sql) const {
    if (cfg.sql.backend == storage::SqlBackend::sqlite) {
      sqlite3* db = nullptr;
      REQUIRE(sqlite3_open((dir->str() + "/sakura.db").c_str(), &db) == SQLITE_OK);
      char* err = nullptr;
      int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
      std::string why = err ? err : "";
      sqlite3_free(err);
      sqlite3_close(db);
      REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << why);
      return;
    }
    MYSQL* c = mysql_init(nullptr);
    REQUIRE(mysql_real_connect(c, cfg.sql.host.c_str(), cfg.sql.user.c_str(), cfg.sql.password.c_str(), nullptr,
                               cfg.sql.port, nullptr, 0));
    mysql_set_character_set(c, "utf8mb4");
    std::string create = "CREATE DATABASE IF NOT EXISTS " + cfg.sql.database;
    REQUIRE(mysql_query(c, create.c_str()) == 0);
    REQUIRE(mysql_select_db(c, cfg.sql.database.c_str()) == 0);
    int rc = mysql_query(c, sql.c_str());
    std::string why = mysql_error(c);
    mysql_close(c);
    REQUIRE_MESSAGE(rc == 0, sql << ": " << why);
  }
  bool mariadb() const { return cfg.sql.backend == storage::SqlBackend::mariadb; }
};

std::vector<Target> targets() {
  std::vector<Target> out;
  Target sqlite;
  sqlite.name = "sqlite";
  sqlite.cfg.data_dir = sqlite.dir->str();
  out.push_back(std::move(sqlite));
  if (auto sql = mariadb_from_env()) {
    Target m;
    m.name = "mariadb";
    m.cfg.sql = *sql;
    m.cfg.data_dir = m.dir->str();
    out.push_back(std::move(m));
  } else {
    SAKURA_SERVICE_MISSING("SAKURA_TEST_MARIADB_HOST not set: the MariaDB backend");
  }
  return out;
}

// The old system's tables: the Flask services created them with the server's default collation
// and no keys beyond what they needed; the monitor wrote the text and a millisecond time.
void old_tables(const Target& t) {
  if (t.mariadb()) {
    t.raw(
        "CREATE TABLE user2lock (userno VARCHAR(64), lockno VARCHAR(20), morf VARCHAR(2), adate DATE)"
        " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
    t.raw(
        "CREATE TABLE lockhistory (lockno VARCHAR(20), message VARCHAR(20), time BIGINT)"
        " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
  } else {
    t.raw("CREATE TABLE user2lock (userno TEXT, lockno TEXT, morf TEXT, adate TEXT)");
    t.raw("CREATE TABLE lockhistory (lockno TEXT, message TEXT, time INTEGER)");
  }
  t.raw(
      "INSERT INTO user2lock VALUES ('oOpenId-m', 'L0000000001', 'm', '2021-03-04'),"
      " ('oOpenId-f', 'L0000000001', 'f', '2021-03-05'), ('oOpenId-other', 'L0000000002', 'm', '2022-01-01')");
  // Out of time order on purpose: ids follow time after the conversion.
  t.raw(
      "INSERT INTO lockhistory VALUES ('L0000000001', '上锁', 1614816000300),"
      " ('L0000000001', '设备上线', 1614816000100), ('L0000000001', '开锁', 1614816000200),"
      " ('L0000000001', '设备离线', 1614816000400), ('L0000000002', '上锁', 1614816000500)");
}

// SQLite only: on MariaDB the kept table is checked through behaviour.
std::vector<std::string> sqlite_columns(const Target& t, const std::string& table) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((t.dir->str() + "/sakura.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, ("SELECT name FROM pragma_table_info('" + table + "')").c_str(), -1, &st, nullptr) ==
          SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

template <class T, class Start>
T value_of(Start start) {
  auto r = wait<Result<T>>(start);
  REQUIRE_MESSAGE(r.ok, r.message);
  return r.value;
}

struct Running {
  std::unique_ptr<IoThread> io = std::make_unique<IoThread>();
  storage::Storage s;
  explicit Running(const Target& t) {
    auto r = storage::open(t.cfg, io->io(), logger());
    REQUIRE_MESSAGE(r.ok, r.message);
    s = std::move(r.value);
  }
  ~Running() {
    s = {};
    io.reset();
  }
  std::vector<HistoryRow> page(const std::string& lockno) {
    return value_of<std::vector<HistoryRow>>([&](auto cb) { s.sql->history_page(lockno, 0, 100, cb); });
  }
};

}  // namespace

TEST_CASE("migration: a dry run reports the conversions and writes nothing") {
  for (auto& t : targets()) {
    CAPTURE(t.name);
    old_tables(t);
    auto r = storage::run_migrations(t.cfg, true, logger());
    REQUIRE_MESSAGE(r.ok, r.message);
    CHECK(r.value.version_before == 0);
    CHECK(r.value.version_after == 0);
    CHECK(r.value.latest == 3);
    REQUIRE(r.value.steps.size() == 3);
    CHECK(r.value.steps[1].summary.find("lockhistory: copy 5 rows") != std::string::npos);
    CHECK(r.value.steps[2].summary.find("user2lock: copy 3 bindings") != std::string::npos);
    for (auto& step : r.value.steps) CHECK_FALSE(step.applied);
    CHECK(r.value.backup_hint.find(t.mariadb() ? "mysqldump" : "sqlite3") != std::string::npos);
    // Still the old layout, and still no schema_version: a second dry run sees the same.
    auto again = storage::run_migrations(t.cfg, true, logger());
    REQUIRE(again.ok);
    CHECK(again.value.version_before == 0);
    CHECK(again.value.steps[1].summary == r.value.steps[1].summary);
  }
}

TEST_CASE("migration: old lockhistory and user2lock are converted, every old row readable") {
  for (auto& t : targets()) {
    CAPTURE(t.name);
    old_tables(t);
    auto r = storage::run_migrations(t.cfg, false, logger());
    REQUIRE_MESSAGE(r.ok, r.message);
    CHECK(r.value.version_after == 3);
    for (auto& step : r.value.steps) CHECK(step.applied);

    Running run(t);
    auto rows = run.page("L0000000001");
    REQUIRE(rows.size() == 4);  // newest first, in the old times' order
    CHECK(rows[0].text == "设备离线");
    CHECK(rows[0].event == LockEvent::offline);
    CHECK(rows[0].ts_ms == 1614816000400);
    CHECK(rows[1].event == LockEvent::locked);
    CHECK(rows[2].event == LockEvent::unlocked);
    CHECK(rows[3].event == LockEvent::online);
    CHECK(rows[3].text == "设备上线");
    CHECK(rows[3].ts_ms == 1614816000100);

    // New history lands after the old rows and is read with them.
    REQUIRE(value_of<bool>([&](auto cb) {
      run.s.sql->append_history(
          {HistoryEvent{"L0000000001", LockEvent::locked, 1700000000000, random_hex(32)}},
          [cb](storage::Status st) { cb(st.ok ? Result<bool>::success(true) : Result<bool>::failure(st.message)); });
    }));
    rows = run.page("L0000000001");
    REQUIRE(rows.size() == 5);
    CHECK(rows[0].ts_ms == 1700000000000);
    CHECK(rows[0].id > rows[1].id);

    auto b = value_of<std::optional<Binding>>([&](auto cb) { run.s.sql->find_binding_by_user("oOpenId-f", cb); });
    REQUIRE(b);
    CHECK(b->lockno == "L0000000001");
    CHECK(b->morf == 'f');
    CHECK(b->adate == "2021-03-05");
    // Sakura's rules now hold on the converted table, byte-exact.
    CHECK(value_of<storage::BindOutcome>([&](auto cb) {
            run.s.sql->bind({"oOpenId-x", "L0000000001", 'm', "2026-12-03"}, cb);
          }) == storage::BindOutcome::role_taken);
    CHECK(value_of<storage::BindOutcome>([&](auto cb) {
            run.s.sql->bind({"OOPENID-M", "L0000000003", 'm', "2026-12-03"}, cb);
          }) == storage::BindOutcome::bound);

    if (!t.mariadb())
      CHECK(sqlite_columns(t, "lockhistory_v0") == std::vector<std::string>{"lockno", "message", "time"});
    auto again = storage::run_migrations(t.cfg, false, logger());
    REQUIRE(again.ok);
    CHECK(again.value.steps.empty());
  }
}

TEST_CASE("migration: the broker converts an old database at start, even one it already ran on") {
  for (auto& t : targets()) {
    CAPTURE(t.name);
    old_tables(t);
    // Version 1 recorded over the old tables: what a Sakura without these migrations left (its
    // own new tables beside the old ones).
    if (t.mariadb()) {
      t.raw(
          "CREATE TABLE devices (lockno VARCHAR(64) NOT NULL PRIMARY KEY, credential_hash VARCHAR(255) NOT NULL,"
          " firmware_version VARCHAR(64) NOT NULL DEFAULT '', last_seen_ms BIGINT NOT NULL DEFAULT 0,"
          " created_ms BIGINT NOT NULL)");
      t.raw("CREATE TABLE schema_version (version INT NOT NULL PRIMARY KEY, applied_ms BIGINT NOT NULL)");
    } else {
      t.raw(
          "CREATE TABLE kv_keys (db INTEGER NOT NULL, key TEXT NOT NULL, is_hash INTEGER NOT NULL, value TEXT,"
          " expires_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (db, key)) WITHOUT ROWID");
      t.raw(
          "CREATE TABLE kv_fields (db INTEGER NOT NULL, key TEXT NOT NULL, field TEXT NOT NULL,"
          " value TEXT NOT NULL, PRIMARY KEY (db, key, field)) WITHOUT ROWID");
      t.raw("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)");
    }
    t.raw("INSERT INTO schema_version VALUES (1, 0)");
    Running run(t);
    CHECK(value_of<int>([&](auto cb) { run.s.sql->schema_version(cb); }) == 3);
    CHECK(run.page("L0000000002").size() == 1);
    bool flushed = false;
    run.s.history->append(HistoryEvent{"L0000000002", LockEvent::unlocked, 1700000000000, ""});
    run.s.history->flush(10s, [&](storage::Status st) { flushed = st.ok; });
    CHECK(eventually([&] { return flushed; }));
    CHECK_FALSE(run.s.history->stats().failing);
    CHECK(run.page("L0000000002").size() == 2);
  }
}

TEST_CASE("migration: a user2lock that breaks Sakura's rules is left alone and named") {
  for (auto& t : targets()) {
    CAPTURE(t.name);
    old_tables(t);
    t.raw(
        "INSERT INTO user2lock VALUES ('oOpenId-m', 'L0000000009', 'm', '2021-04-01'),"
        " ('oOpenId-y', 'L0000000002', 'm', '2021-04-02')");
    auto dry = storage::run_migrations(t.cfg, true, logger());
    REQUIRE(dry.ok);
    CHECK(dry.value.steps[2].summary.find("BLOCKED: user2lock: 1 users are bound more than once and 1 lock roles") !=
          std::string::npos);
    auto r = storage::run_migrations(t.cfg, false, logger());
    REQUIRE_FALSE(r.ok);
    CHECK(r.message.find("1 users are bound more than once") != std::string::npos);
    // The steps before it stayed: history is converted, and the broker starts and runs on it.
    Running run(t);
    CHECK(value_of<int>([&](auto cb) { run.s.sql->schema_version(cb); }) == 2);
    CHECK(run.page("L0000000001").size() == 4);
    auto b = value_of<std::optional<Binding>>([&](auto cb) { run.s.sql->find_binding_by_user("oOpenId-f", cb); });
    CHECK(b);
  }
}

TEST_CASE("migration: an unknown lockhistory layout is refused by name; history reports failing") {
  for (auto& t : targets()) {
    CAPTURE(t.name);
    t.raw(t.mariadb() ? "CREATE TABLE lockhistory (lockno VARCHAR(20), what VARCHAR(20))"
                      : "CREATE TABLE lockhistory (lockno TEXT, what TEXT)");
    auto r = storage::run_migrations(t.cfg, false, logger());
    REQUIRE_FALSE(r.ok);
    CHECK(r.message.find("lockhistory has columns (lockno, what)") != std::string::npos);
    Running run(t);
    run.s.history->append(HistoryEvent{"L0000000001", LockEvent::online, 1700000000000, ""});
    CHECK(eventually([&] { return run.s.history->stats().failing; }));
    CHECK(run.s.history->stats().pending == 1);
  }
}

TEST_CASE("migration: old times in seconds, as decimals and as dates become milliseconds") {
  Target t;
  t.name = "sqlite";
  t.cfg.data_dir = t.dir->str();
  t.raw("CREATE TABLE lockhistory (id INTEGER PRIMARY KEY, lockno TEXT, msg TEXT, ts)");
  t.raw(
      "INSERT INTO lockhistory (lockno, msg, ts) VALUES ('L0000000001', '上锁', 1614816000),"
      " ('L0000000001', '开锁', '1614816001.5'), ('L0000000001', '设备上线', '2021-03-04 00:00:02'),"
      " ('L0000000001', 'odd text', 1614816003000)");
  auto r = storage::run_migrations(t.cfg, false, logger());
  REQUIRE_MESSAGE(r.ok, r.message);
  CHECK(r.value.steps[1].summary.find("1 of them have another text") != std::string::npos);
  Running run(t);
  auto rows = run.page("L0000000001");
  REQUIRE(rows.size() == 4);
  CHECK(rows[3].ts_ms == 1614816000000);
  CHECK(rows[2].ts_ms == 1614816001500);
  CHECK(rows[1].ts_ms == 1614816002000);
  CHECK(rows[0].ts_ms == 1614816003000);
  CHECK(rows[0].text == "odd text");
}
