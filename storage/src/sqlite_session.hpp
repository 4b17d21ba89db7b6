#pragma once
// A SQLite connection in WAL mode with a cache of prepared statements. Several of these may
// open the same file (the SQL repository and the embedded key-value store each own one); WAL
// lets readers proceed while one writes, and busy_timeout queues the writers.
#include <map>
#include <string>

#include "sql_session.hpp"
#include "storage/config.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace storage::detail {

class SqliteSession final : public SqlSession {
 public:
  // Opens (creating if needed) and sets the pragmas; throws SqlError when the file is unusable.
  SqliteSession(const std::string& path, SyncPolicy sync);
  ~SqliteSession() override;
  SqliteSession(const SqliteSession&) = delete;
  SqliteSession& operator=(const SqliteSession&) = delete;

  Dialect dialect() const override { return Dialect::sqlite; }
  void ensure_ready() override {}
  QueryResult exec(const std::string& sql, const Params& params = {}) override;
  void begin() override;
  void commit() override;
  void rollback() noexcept override;

 private:
  sqlite3_stmt* prepare(const std::string& sql);
  void close() noexcept;
  [[noreturn]] void fail(const std::string& context, int rc);

  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace storage::detail
