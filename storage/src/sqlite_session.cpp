#include "sqlite_session.hpp"

#include <sqlite3.h>

namespace storage::detail {

SqliteSession::SqliteSession(const std::string& path, SyncPolicy sync) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqlError(SqlError::Kind::other, "sqlite: cannot open " + path + ": " + why);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Another connection of ours (or sakura-ctl) may hold the write lock for a moment.
  sqlite3_busy_timeout(db_, 5000);
  try {
    // The first statement is where a file that is not a database gets noticed.
    exec("PRAGMA journal_mode=WAL");
    // In WAL mode NORMAL is durable against a process crash and loses at most the last commits
    // on power loss; FULL adds an fsync per commit. That is exactly everysec versus always.
    switch (sync) {
      case SyncPolicy::always: exec("PRAGMA synchronous=FULL"); break;
      case SyncPolicy::everysec: exec("PRAGMA synchronous=NORMAL"); break;
      case SyncPolicy::none: exec("PRAGMA synchronous=OFF"); break;
    }
  } catch (...) {
    close();  // no destructor runs for a constructor that throws
    throw;
  }
}

void SqliteSession::close() noexcept {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  sqlite3_close(db_);
  db_ = nullptr;
}

SqliteSession::~SqliteSession() { close(); }

void SqliteSession::fail(const std::string& context, int rc) {
  auto kind = SqlError::Kind::other;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) kind = SqlError::Kind::duplicate_key;
  throw SqlError(kind, "sqlite: " + context + ": " + sqlite3_errmsg(db_));
}

sqlite3_stmt* SqliteSession::prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc =
      sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail("prepare", rc);
  statements_.emplace(sql, stmt);
  return stmt;
}

QueryResult SqliteSession::exec(const std::string& sql, const Params& params) {
  sqlite3_stmt* stmt = prepare(sql);
  struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset{stmt};
  for (size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    int rc = SQLITE_OK;
    if (auto* n = std::get_if<std::int64_t>(&params[i])) {
      rc = sqlite3_bind_int64(stmt, idx, *n);
    } else if (auto* s = std::get_if<std::string>(&params[i])) {
      rc = sqlite3_bind_text(stmt, idx, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    } else {
      rc = sqlite3_bind_null(stmt, idx);
    }
    if (rc != SQLITE_OK) fail("bind", rc);
  }
  QueryResult result;
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail("step", sqlite3_extended_errcode(db_));
    Row row;
    int n = sqlite3_column_count(stmt);
    row.reserve(n);
    for (int c = 0; c < n; ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        row.emplace_back();
        continue;
      }
      auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      row.emplace_back(std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
    }
    result.rows.push_back(std::move(row));
  }
  result.affected = sqlite3_changes(db_);
  result.insert_id = sqlite3_last_insert_rowid(db_);
  return result;
}

// IMMEDIATE takes the write lock up front: two connections that both read and then try to write
// would otherwise deadlock and one would fail with SQLITE_BUSY instead of waiting.
void SqliteSession::begin() { exec("BEGIN IMMEDIATE"); }
void SqliteSession::commit() { exec("COMMIT"); }
void SqliteSession::rollback() noexcept {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace storage::detail
