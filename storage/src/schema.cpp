// Versioned schema. Version 1 creates Sakura's tables where missing (IF NOT EXISTS, so two
// processes racing both run it harmlessly); versions 2 and 3 convert the old system's
// lockhistory and user2lock when the database still holds them (legacy_tables.cpp), and do
// nothing on a database Sakura created. A version row is inserted after its step ran; a
// MariaDB named lock serialises processes (the broker's workers, sakura-ctl) around the steps.
//
// Column choices (docs/storage.md): utf8mb4_bin for identifiers, because WeChat OpenIDs and
// locknos compare byte-exact (a case-insensitive collation would merge distinct OpenIDs);
// lockhistory.uid makes a replayed spool write a no-op.
#include "schema.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker/log_text.hpp"
#include "common/clock.hpp"

namespace storage::detail {
namespace {

const char* const kMariadbTable = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

std::string create(bool if_not_exists, const std::string& name) {
  return (if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ") + name;
}

bool has_column(SqlSession& s, const std::string& table, const std::string& column) {
  auto r = s.dialect() == Dialect::sqlite
               ? s.exec("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", {table, column})
               : s.exec(
                     "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                     " AND TABLE_NAME = ? AND COLUMN_NAME = ?",
                     {table, column});
  return !r.rows.empty();
}

// Returns what the step did (or would do); empty when there was nothing to do here.
using StepFn = std::function<std::string(SqlSession&, bool dry_run)>;

struct Migration {
  int version;
  StepFn run;
};

std::string create_tables(SqlSession& s, bool dry_run) {
  if (dry_run) return "create Sakura's tables where missing (user2lock, lockhistory, devices, firmware)";
  const Dialect d = s.dialect();
  s.exec(user2lock_ddl(d, "user2lock", true));
  s.exec(lockhistory_ddl(d, "lockhistory", true));
  if (d == Dialect::sqlite) {
    // An old lockhistory has no id to index; version 2 converts it and creates the index.
    if (has_column(s, "lockhistory", "uid")) s.exec(kSqliteLockhistoryIndex);
    s.exec(
        "CREATE TABLE IF NOT EXISTS devices (lockno TEXT PRIMARY KEY,"
        " credential_hash TEXT NOT NULL, firmware_version TEXT NOT NULL DEFAULT '',"
        " last_seen_ms INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL)");
    s.exec(
        "CREATE TABLE IF NOT EXISTS firmware (version TEXT PRIMARY KEY, size INTEGER NOT NULL,"
        " sha256 TEXT NOT NULL, file TEXT NOT NULL, created_ms INTEGER NOT NULL)");
    // The embedded key-value store (Redis data without Redis); SQLite only.
    s.exec(
        "CREATE TABLE IF NOT EXISTS kv_keys (db INTEGER NOT NULL, key TEXT NOT NULL,"
        " is_hash INTEGER NOT NULL, value TEXT, expires_ms INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (db, key)) WITHOUT ROWID");
    s.exec(
        "CREATE TABLE IF NOT EXISTS kv_fields (db INTEGER NOT NULL, key TEXT NOT NULL,"
        " field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (db, key, field)) WITHOUT ROWID");
  } else {
    s.exec(std::string("CREATE TABLE IF NOT EXISTS devices (lockno VARCHAR(64) NOT NULL PRIMARY KEY,"
                       " credential_hash VARCHAR(255) NOT NULL, firmware_version VARCHAR(64) NOT NULL DEFAULT '',"
                       " last_seen_ms BIGINT NOT NULL DEFAULT 0, created_ms BIGINT NOT NULL)") +
           kMariadbTable);
    s.exec(std::string("CREATE TABLE IF NOT EXISTS firmware (version VARCHAR(64) NOT NULL PRIMARY KEY,"
                       " size BIGINT NOT NULL, sha256 CHAR(64) NOT NULL, file VARCHAR(255) NOT NULL,"
                       " created_ms BIGINT NOT NULL)") +
           kMariadbTable);
  }
  return "create Sakura's tables where missing (user2lock, lockhistory, devices, firmware)";
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, create_tables},
      {2, convert_old_lockhistory},
      {3, convert_old_user2lock},
  };
  return all;
}

bool has_version_table(SqlSession& s) {
  auto r = s.dialect() == Dialect::sqlite
               ? s.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
               : s.exec(
                     "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
                     " AND TABLE_NAME = 'schema_version'");
  return !r.rows.empty();
}

int current_version(SqlSession& s) {
  if (!has_version_table(s)) return 0;
  auto r = s.exec("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  return r.rows.empty() || !r.rows[0][0] ? 0 : std::stoi(*r.rows[0][0]);
}

// Serialises migrating processes on MariaDB (SQLite's conversions run in one write transaction,
// which serialises them already). GET_LOCK is per connection and ends with it.
class MigrationLock {
 public:
  explicit MigrationLock(SqlSession& s) : s_(s) {
    if (s_.dialect() != Dialect::mariadb) return;
    auto r = s_.exec("SELECT GET_LOCK('sakura_schema_migration', 60)");
    if (r.rows.empty() || !r.rows[0][0] || *r.rows[0][0] != "1")
      throw SqlError(SqlError::Kind::other, "another process has been migrating the schema for 60 s");
    held_ = true;
  }
  ~MigrationLock() {
    if (!held_) return;
    try {
      s_.exec("SELECT RELEASE_LOCK('sakura_schema_migration')");
    } catch (const std::exception&) {  // the lock ends with the connection anyway
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  SqlSession& s_;
  bool held_ = false;
};

}  // namespace

std::string user2lock_ddl(Dialect d, const std::string& name, bool if_not_exists) {
  if (d == Dialect::sqlite)
    return create(if_not_exists, name) +
           " (id INTEGER PRIMARY KEY AUTOINCREMENT, userno TEXT NOT NULL UNIQUE, lockno TEXT NOT NULL,"
           " morf TEXT NOT NULL, adate TEXT NOT NULL, UNIQUE (lockno, morf))";
  return create(if_not_exists, name) +
         " (id BIGINT AUTO_INCREMENT PRIMARY KEY, userno VARCHAR(128) NOT NULL, lockno VARCHAR(64) NOT NULL,"
         " morf CHAR(1) NOT NULL, adate VARCHAR(32) NOT NULL, UNIQUE KEY uq_user2lock_user (userno),"
         " UNIQUE KEY uq_user2lock_role (lockno, morf))" +
         kMariadbTable;
}

std::string lockhistory_ddl(Dialect d, const std::string& name, bool if_not_exists) {
  if (d == Dialect::sqlite)
    return create(if_not_exists, name) +
           " (id INTEGER PRIMARY KEY AUTOINCREMENT, lockno TEXT NOT NULL, event TEXT NOT NULL,"
           " message TEXT NOT NULL, ts_ms INTEGER NOT NULL, uid TEXT NOT NULL UNIQUE)";
  return create(if_not_exists, name) +
         " (id BIGINT AUTO_INCREMENT PRIMARY KEY, lockno VARCHAR(64) NOT NULL, event VARCHAR(16) NOT NULL,"
         " message VARCHAR(32) NOT NULL, ts_ms BIGINT NOT NULL, uid CHAR(32) NOT NULL,"
         " UNIQUE KEY uq_lockhistory_uid (uid), KEY ix_lockhistory_lock (lockno, id))" +
         kMariadbTable;
}

std::string backup_hint(const SqlConfig& sql) {
  std::string where =
      sql.socket.empty() ? "-h " + sql.host + " -P " + std::to_string(sql.port) : "--socket=" + sql.socket;
  return "mysqldump --single-transaction " + where + " -u " + sql.user + " -p " + sql.database +
         " user2lock lockhistory > " + sql.database + "-before-sakura.sql";
}

std::string sqlite_backup_hint(const std::string& path) {
  return "sqlite3 " + path + " \".backup " + path + ".before-migration\"";
}

MigrationReport run_migrations(SqlSession& s, bool dry_run, const std::string& hint, spdlog::logger* log) {
  std::optional<MigrationLock> lock;
  if (!dry_run) lock.emplace(s);
  MigrationReport report;
  report.latest = migrations().back().version;
  report.backup_hint = hint;
  report.version_before = report.version_after = current_version(s);
  if (!dry_run && report.version_before < report.latest)
    s.exec(s.dialect() == Dialect::sqlite
               ? "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                 " applied_ms INTEGER NOT NULL)"
               : "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL PRIMARY KEY,"
                 " applied_ms BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  for (const auto& m : migrations()) {
    if (m.version <= report.version_before) continue;
    MigrationStep step;
    step.version = m.version;
    if (!dry_run && m.version > 1 && log) {
      // Look first, so the backup hint is logged before anything of the operator's is copied.
      std::string plan = m.run(s, true);
      if (!plan.empty())
        log->warn("sql: schema {}: {}; back up first: {}", m.version, plan, hint);  // our text throughout
    }
    step.summary = m.run(s, dry_run);
    const bool converted = m.version > 1 && !step.summary.empty();
    if (step.summary.empty()) step.summary = "nothing to convert";
    if (!dry_run) {
      try {
        s.exec("INSERT INTO schema_version (version, applied_ms) VALUES (?, ?)",
               {std::int64_t{m.version}, common::unix_ms_now()});
      } catch (const SqlError& e) {
        if (e.kind != SqlError::Kind::duplicate_key) throw;  // another process got there first
      }
      step.applied = true;
      report.version_after = m.version;
      if (log && converted) log->info("sql: schema {} applied: {}", m.version, step.summary);
    }
    report.steps.push_back(std::move(step));
  }
  return report;
}

void migrate(SqlSession& s, spdlog::logger* log, const std::string& hint) {
  try {
    run_migrations(s, false, hint, log);
  } catch (const SqlError& e) {
    // Sakura's own tables must exist to run at all; an old table that cannot be converted
    // leaves only history (and, for user2lock, the unique rules) unusable.
    if (e.kind == SqlError::Kind::unavailable || current_version(s) < 1) throw;
    if (log)
      log->error(
          "sql: the old tables could not be converted: {}; history cannot be written until "
          "this is fixed (docs/migration.md), then restart or run `sakura-ctl migrate`",
          broker::log_text(e.what()));  // a database error may echo a row's value
  }
}

}  // namespace storage::detail
