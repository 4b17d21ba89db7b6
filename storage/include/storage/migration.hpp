#pragma once
// The SQL schema's versioned migrations, for operators (sakura-ctl migrate) and for the broker,
// which applies them at start. Besides creating Sakura's tables they convert the tables the old
// system's Flask services left in MariaDB (`user2lock` without unique keys, `lockhistory` with a
// text and a time column but no event code): the rows are copied into Sakura's layout inside a
// transaction and the old table is kept beside it as `<table>_v0` (docs/migration.md).
//
// Blocking: it opens its own connection. Call it from a command line or a worker, never from an
// I/O thread.
#include <memory>
#include <string>
#include <vector>

#include "storage/config.hpp"
#include "storage/result.hpp"

namespace spdlog {
class logger;
}

namespace storage {

struct MigrationStep {
  int version = 0;
  // What the step does on this database, e.g. "lockhistory: copy 1204 rows of the old layout
  // (lockno, message, time) into Sakura's, keep the old table as lockhistory_v0".
  std::string summary;
  bool applied = false;  // false in a dry run, and for the steps after one that failed
};

struct MigrationReport {
  int version_before = 0;            // schema_version before the run (0: no Sakura schema yet)
  int version_after = 0;             // equals version_before in a dry run
  int latest = 0;                    // the version this build migrates to
  std::vector<MigrationStep> steps;  // the missing steps in order, planned or applied
  // A command that saves what the steps change (mysqldump for MariaDB, a copy of the SQLite
  // file); logged before anything is converted.
  std::string backup_hint;
};

// Applies the missing migrations of the SQL store `config.sql` names (SQLite: data_dir/sakura.db),
// or with dry_run only inspects the database and reports what they would do; a dry run writes
// nothing, not even schema_version. Two processes migrating at once are serialised (MariaDB's
// GET_LOCK, SQLite's write lock). Fails with the step's reason when a step cannot be applied,
// e.g. an old user2lock that binds one user twice; the steps before it stay applied.
Result<MigrationReport> run_migrations(const Config& config, bool dry_run, std::shared_ptr<spdlog::logger> log);

}  // namespace storage
