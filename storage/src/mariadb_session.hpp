#pragma once
// A libmariadb connection owned by one worker thread: prepared statements only (cached per
// connection), connect on demand, and exponential backoff between failed connects so a dead
// server costs callers an immediate error rather than a connect timeout each.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sql_session.hpp"
#include "storage/config.hpp"

typedef struct st_mysql MYSQL;
typedef struct st_mysql_stmt MYSQL_STMT;

namespace spdlog {
class logger;
}

namespace storage::detail {

// Shared by the sessions of one pool: the first to connect migrates, the others wait for it.
struct MigrationGate {
  std::mutex mu;
  bool done = false;
};

// mysql_library_init, once per process: it is not thread-safe, so before any worker's mysql_init.
void init_mariadb_library();

class MariadbSession final : public SqlSession {
 public:
  MariadbSession(SqlConfig config, std::shared_ptr<MigrationGate> gate, std::shared_ptr<spdlog::logger> log);
  ~MariadbSession() override;
  // A connected session for running migrations: sql.migration_io_timeout instead of the short
  // io timeout (a conversion copies a whole table in one statement), and no migration of its own.
  static std::unique_ptr<MariadbSession> for_migration(const SqlConfig& config, std::shared_ptr<spdlog::logger> log);
  MariadbSession(const MariadbSession&) = delete;
  MariadbSession& operator=(const MariadbSession&) = delete;

  Dialect dialect() const override { return Dialect::mariadb; }
  void ensure_ready() override;
  QueryResult exec(const std::string& sql, const Params& params = {}) override;
  void begin() override;
  void commit() override;
  void rollback() noexcept override;

 private:
  void connect();
  void disconnect();
  MYSQL_STMT* prepare(const std::string& sql);
  [[noreturn]] void fail(const std::string& context, unsigned int err, std::string message);

  SqlConfig config_;
  std::shared_ptr<MigrationGate> gate_;
  std::shared_ptr<spdlog::logger> log_;
  MYSQL* conn_ = nullptr;
  std::map<std::string, MYSQL_STMT*> statements_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::steady_clock::time_point last_used_{};
  std::chrono::milliseconds backoff_;
  bool down_logged_ = false;
};

}  // namespace storage::detail
