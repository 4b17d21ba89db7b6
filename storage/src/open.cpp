#include "storage/open.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <mutex>

#include "embedded_key_value.hpp"
#include "mariadb_session.hpp"
#include "redis_key_value.hpp"
#include "schema.hpp"
#include "spooled_history_writer.hpp"
#include "sql_repository.hpp"
#include "sqlite_session.hpp"

namespace storage {
namespace {

std::shared_ptr<Sql> open_sqlite(const std::string& path, SyncPolicy sync, spdlog::logger& log) {
  // Migrated here so a broken file fails the start; the worker then takes the connection over.
  auto session =
      std::make_shared<std::unique_ptr<detail::SqlSession>>(std::make_unique<detail::SqliteSession>(path, sync));
  detail::migrate(**session, &log, detail::sqlite_backup_hint(path));
  // One writer thread: SQLite serialises writers anyway, and WAL keeps its reads cheap.
  return std::make_shared<detail::SqlRepository>(1, [session] { return std::move(*session); });
}

}  // namespace

Result<Storage> open(const Config& config, boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log) {
  Storage s;
  try {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) return Result<Storage>::failure("node.data_dir " + config.data_dir + ": " + ec.message());
    const std::string db_path = (std::filesystem::path(config.data_dir) / "sakura.db").string();

    if (config.kv_backend == KvBackend::embedded) {
      try {
        s.kv = std::make_shared<detail::EmbeddedKeyValue>(db_path, config.sync, log);
      } catch (const std::exception& e) {
        return Result<Storage>::failure(db_path + ": " + e.what());
      }
    } else {
      s.kv = std::make_shared<detail::RedisKeyValue>(io, config.redis, log);
    }
    if (config.sql.backend == SqlBackend::sqlite) {
      try {
        s.sql = open_sqlite(db_path, config.sync, *log);
      } catch (const std::exception& e) {
        return Result<Storage>::failure(db_path + ": " + e.what());
      }
      log->info("sql: sqlite at {}", db_path);
    } else {
      detail::init_mariadb_library();
      auto gate = std::make_shared<detail::MigrationGate>();
      SqlConfig sql = config.sql;
      s.sql = std::make_shared<detail::SqlRepository>(std::max(1, sql.workers), [sql, gate, log] {
        return std::make_unique<detail::MariadbSession>(sql, gate, log);
      });
      log->info("sql: mariadb {} at {}:{}", sql.database, sql.socket.empty() ? sql.host : sql.socket, sql.port);
      // Connect and migrate now, in the background, rather than on the first caller's request;
      // an unreachable server is only logged here (history waits in the spool meanwhile).
      s.sql->schema_version([log](Result<int> r) {
        if (r.ok) log->info("sql: mariadb schema version {}", r.value);
        else log->warn("sql: mariadb not reachable at start: {}", r.message);
      });
    }
    if (config.history)
      s.history = std::make_shared<detail::SpooledHistoryWriter>(
          config.data_dir, config.sync, std::max<std::size_t>(1, config.history_spool_limit), s.sql, log);
  } catch (const std::exception& e) {
    return Result<Storage>::failure(e.what());
  }
  return Result<Storage>::success(std::move(s));
}

}  // namespace storage
