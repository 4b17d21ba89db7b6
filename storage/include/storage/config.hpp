#pragma once
// Storage settings. Field names follow the INTERFACES.md config keys noted beside them; app/
// fills this struct from the config file, the environment and --set.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace storage {

enum class KvBackend { embedded, redis };          // auth.backend
enum class SqlBackend { sqlite, mariadb };         // sql.backend
enum class SyncPolicy { always, everysec, none };  // persistence.sync

struct RedisConfig {
  std::string server = "127.0.0.1:6379";  // redis.server, host:port
  std::string password;                   // redis.password; empty = no AUTH
  int auth_db = 0;                        // redis.auth_db
  int lock_db = 1;                        // redis.lock_db
  // Sakura's own tunables (not config keys yet).
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_min{100};  // first backoff step, doubled up to max
  std::chrono::milliseconds reconnect_max{5000};
};

struct SqlConfig {
  SqlBackend backend = SqlBackend::sqlite;  // sql.backend
  std::string host = "127.0.0.1";           // sql.host
  std::uint16_t port = 3306;                // sql.port
  std::string user = "lockadmin";           // sql.user
  std::string password;                     // sql.password
  std::string database = "lockdata";        // sql.database
  std::string socket;                       // a unix socket path used instead of host:port when set
  int workers = 2;                          // MariaDB connections, one per worker thread
  std::chrono::milliseconds connect_timeout{3000};
  // A query that has not answered by then fails as a lost connection (a hung server must not
  // hold a worker). Schema migrations use their own connection with a longer one: converting an
  // old lockhistory copies every row in one statement (262,144 rows took more than 10 s).
  std::chrono::milliseconds io_timeout{10000};
  std::chrono::milliseconds migration_io_timeout{std::chrono::hours(1)};
  std::chrono::milliseconds reconnect_min{200};
  std::chrono::milliseconds reconnect_max{10000};
};

struct Config {
  std::string data_dir = "./data";             // node.data_dir; the embedded file is data_dir/sakura.db
  KvBackend kv_backend = KvBackend::embedded;  // auth.backend
  RedisConfig redis;
  SqlConfig sql;
  SyncPolicy sync = SyncPolicy::everysec;    // persistence.sync (SQLite and the history spool)
  std::size_t history_spool_limit = 200000;  // events waiting on disk before append refuses
  // false: no history writer (Storage::history stays null), so a tool opening the stores next
  // to a running broker (sakura-ctl) never touches the broker's spool in data_dir.
  bool history = true;
};

}  // namespace storage
