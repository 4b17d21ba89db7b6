#pragma once
// The versioned schema (schema.cpp) and the conversion of the old system's tables
// (legacy_tables.cpp), written once over SqlSession for SQLite and MariaDB.
#include <string>

#include "sql_session.hpp"
#include "storage/config.hpp"
#include "storage/migration.hpp"

namespace spdlog {
class logger;
}

namespace storage::detail {

// Applies (or with dry_run only plans) the missing migrations in order. Throws SqlError naming
// the step that failed; the steps before it stay applied. `log` may be null.
MigrationReport run_migrations(SqlSession& s, bool dry_run, const std::string& backup_hint, spdlog::logger* log);

// At start: the same, except that a conversion of an old table that fails is logged (with the
// reason and what to do) instead of thrown, so the broker runs on: the database answers, history
// writes fail and wait in the spool, and /healthz says degraded until the operator fixes it.
// Anything else (a database that cannot create Sakura's tables) still throws.
void migrate(SqlSession& s, spdlog::logger* log, const std::string& backup_hint);

std::string backup_hint(const SqlConfig& sql);            // mysqldump of the tables migrations touch
std::string sqlite_backup_hint(const std::string& path);  // a copy of the file

// Sakura's CREATE TABLE text for these two tables under `name` (the migrations create them under
// a temporary name while converting an old one). `if_not_exists` for the first install.
std::string lockhistory_ddl(Dialect d, const std::string& name, bool if_not_exists);
std::string user2lock_ddl(Dialect d, const std::string& name, bool if_not_exists);
// SQLite keeps indexes apart from the table (and their names are global to the file).
inline constexpr const char* kSqliteLockhistoryIndex =
    "CREATE INDEX IF NOT EXISTS ix_lockhistory_lock ON lockhistory (lockno, id)";

// The conversion steps: each inspects its table, answers an empty string when there is nothing
// to convert (no table, or Sakura's layout already), else describes the conversion and, unless
// dry_run, performs it. Throw SqlError when the table cannot be converted as it is.
std::string convert_old_lockhistory(SqlSession& s, bool dry_run);
std::string convert_old_user2lock(SqlSession& s, bool dry_run);

}  // namespace storage::detail
