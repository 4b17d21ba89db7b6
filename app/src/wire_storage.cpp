#include "wire_storage.hpp"

#include "broker/server.hpp"
#include "storage/open.hpp"

namespace app {

storage::Config storage_config(const Config& c) {
  storage::Config s;
  s.data_dir = c.str("node.data_dir");
  s.kv_backend = c.str("auth.backend") == "redis" ? storage::KvBackend::redis : storage::KvBackend::embedded;
  s.redis.server = c.str("redis.server");
  s.redis.password = c.str("redis.password");
  s.redis.auth_db = static_cast<int>(c.integer("redis.auth_db"));
  s.redis.lock_db = static_cast<int>(c.integer("redis.lock_db"));
  s.sql.backend = c.str("sql.backend") == "mariadb" ? storage::SqlBackend::mariadb : storage::SqlBackend::sqlite;
  s.sql.host = c.str("sql.host");
  s.sql.port = static_cast<std::uint16_t>(c.integer("sql.port"));
  s.sql.user = c.str("sql.user");
  s.sql.password = c.str("sql.password");
  s.sql.database = c.str("sql.database");
  s.sync = sync_policy(c);
  return s;
}

storage::SyncPolicy sync_policy(const Config& c) {
  const auto& sync = c.str("persistence.sync");
  return sync == "always" ? storage::SyncPolicy::always
         : sync == "none" ? storage::SyncPolicy::none
                          : storage::SyncPolicy::everysec;
}

std::shared_ptr<storage::Storage> wire_storage(broker::Server& server, const Config& config, const Logging& logging) {
  auto opened = storage::open(storage_config(config), server.pool().context(0), logging.get("storage"));
  if (!opened) throw ConfigError("storage: " + opened.message);
  return std::make_shared<storage::Storage>(std::move(opened.value));
}

}  // namespace app
