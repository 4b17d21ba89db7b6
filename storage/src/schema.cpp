// Versioned schema. A migration is a list of idempotent DDL statements per dialect; the version
// row is inserted after they ran. Two processes migrating at once both run the IF NOT EXISTS
// statements harmlessly and one of the version inserts loses on the primary key, which is fine.
//
// Column choices (docs/storage.md): utf8mb4_bin for identifiers, because WeChat OpenIDs and
// locknos compare byte-exact (a case-insensitive collation would merge distinct OpenIDs);
// lockhistory.uid makes a replayed spool write a no-op.
#include <chrono>
#include <string>
#include <vector>

#include "sql_session.hpp"

namespace storage::detail {
namespace {

struct Migration {
  int version;
  std::vector<const char*> sqlite;
  std::vector<const char*> mariadb;
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1,
       {
           "CREATE TABLE IF NOT EXISTS user2lock (id INTEGER PRIMARY KEY AUTOINCREMENT,"
           " userno TEXT NOT NULL UNIQUE, lockno TEXT NOT NULL, morf TEXT NOT NULL,"
           " adate TEXT NOT NULL, UNIQUE (lockno, morf))",
           "CREATE TABLE IF NOT EXISTS lockhistory (id INTEGER PRIMARY KEY AUTOINCREMENT,"
           " lockno TEXT NOT NULL, event TEXT NOT NULL, message TEXT NOT NULL,"
           " ts_ms INTEGER NOT NULL, uid TEXT NOT NULL UNIQUE)",
           "CREATE INDEX IF NOT EXISTS ix_lockhistory_lock ON lockhistory (lockno, id)",
           "CREATE TABLE IF NOT EXISTS devices (lockno TEXT PRIMARY KEY,"
           " credential_hash TEXT NOT NULL, firmware_version TEXT NOT NULL DEFAULT '',"
           " last_seen_ms INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL)",
           "CREATE TABLE IF NOT EXISTS firmware (version TEXT PRIMARY KEY, size INTEGER NOT NULL,"
           " sha256 TEXT NOT NULL, file TEXT NOT NULL, created_ms INTEGER NOT NULL)",
           // The embedded key-value store (Redis data without Redis); SQLite only.
           "CREATE TABLE IF NOT EXISTS kv_keys (db INTEGER NOT NULL, key TEXT NOT NULL,"
           " is_hash INTEGER NOT NULL, value TEXT, expires_ms INTEGER NOT NULL DEFAULT 0,"
           " PRIMARY KEY (db, key)) WITHOUT ROWID",
           "CREATE TABLE IF NOT EXISTS kv_fields (db INTEGER NOT NULL, key TEXT NOT NULL,"
           " field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (db, key, field)) WITHOUT ROWID",
       },
       {
           "CREATE TABLE IF NOT EXISTS user2lock (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
           " userno VARCHAR(128) NOT NULL, lockno VARCHAR(64) NOT NULL, morf CHAR(1) NOT NULL,"
           " adate VARCHAR(32) NOT NULL, UNIQUE KEY uq_user2lock_user (userno),"
           " UNIQUE KEY uq_user2lock_role (lockno, morf))"
           " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
           "CREATE TABLE IF NOT EXISTS lockhistory (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
           " lockno VARCHAR(64) NOT NULL, event VARCHAR(16) NOT NULL, message VARCHAR(32) NOT NULL,"
           " ts_ms BIGINT NOT NULL, uid CHAR(32) NOT NULL, UNIQUE KEY uq_lockhistory_uid (uid),"
           " KEY ix_lockhistory_lock (lockno, id))"
           " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
           "CREATE TABLE IF NOT EXISTS devices (lockno VARCHAR(64) NOT NULL PRIMARY KEY,"
           " credential_hash VARCHAR(255) NOT NULL, firmware_version VARCHAR(64) NOT NULL DEFAULT '',"
           " last_seen_ms BIGINT NOT NULL DEFAULT 0, created_ms BIGINT NOT NULL)"
           " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
           "CREATE TABLE IF NOT EXISTS firmware (version VARCHAR(64) NOT NULL PRIMARY KEY,"
           " size BIGINT NOT NULL, sha256 CHAR(64) NOT NULL, file VARCHAR(255) NOT NULL,"
           " created_ms BIGINT NOT NULL)"
           " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       }},
  };
  return all;
}

int current_version(SqlSession& s) {
  auto r = s.exec("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  return r.rows.empty() || !r.rows[0][0] ? 0 : std::stoi(*r.rows[0][0]);
}

}  // namespace

void migrate(SqlSession& s) {
  s.exec(s.dialect() == Dialect::sqlite
             ? "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
               " applied_ms INTEGER NOT NULL)"
             : "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL PRIMARY KEY,"
               " applied_ms BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  int have = current_version(s);
  for (const auto& m : migrations()) {
    if (m.version <= have) continue;
    for (const char* ddl : s.dialect() == Dialect::sqlite ? m.sqlite : m.mariadb) s.exec(ddl);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    try {
      s.exec("INSERT INTO schema_version (version, applied_ms) VALUES (?, ?)",
             {std::int64_t{m.version}, std::int64_t{now}});
    } catch (const SqlError& e) {
      if (e.kind != SqlError::Kind::duplicate_key) throw;  // another process got there first
    }
  }
}

}  // namespace storage::detail
