#include "storage/migration.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "mariadb_session.hpp"
#include "schema.hpp"
#include "sqlite_session.hpp"

namespace storage {

Result<MigrationReport> run_migrations(const Config& config, bool dry_run, std::shared_ptr<spdlog::logger> log) {
  try {
    if (config.sql.backend == SqlBackend::sqlite) {
      const std::string path = (std::filesystem::path(config.data_dir) / "sakura.db").string();
      // A dry run must not create the file it inspects: with no file yet, it plans on an empty
      // in-memory database, which is what the broker's first start would find.
      const bool fresh = dry_run && !std::filesystem::exists(path);
      detail::SqliteSession session(fresh ? std::string(":memory:") : path, config.sync);
      return Result<MigrationReport>::success(
          detail::run_migrations(session, dry_run, detail::sqlite_backup_hint(path), log.get()));
    }
    detail::init_mariadb_library();
    auto session = detail::MariadbSession::for_migration(config.sql, log);
    return Result<MigrationReport>::success(
        detail::run_migrations(*session, dry_run, detail::backup_hint(config.sql), log.get()));
  } catch (const std::exception& e) {
    return Result<MigrationReport>::failure(e.what());
  }
}

}  // namespace storage
