#include "support.hpp"

namespace storage_test {

std::vector<std::unique_ptr<Opened>> kv_backends() {
  std::vector<std::unique_ptr<Opened>> out;
  out.push_back(open_backend("embedded", storage::Config{}));
  if (auto redis = redis_from_env()) {
    storage::Config cfg;
    cfg.kv_backend = storage::KvBackend::redis;
    cfg.redis = *redis;
    // The contract tests are not about timeouts (test_redis_faults is): 4000 pipelined commands
    // under ASan on a loaded 2-core machine outlasted the 2 s default and failed the pairing race.
    cfg.redis.command_timeout = std::chrono::seconds(20);
    auto o = open_backend("redis", cfg);
    // Connecting is asynchronous; until it completes, operations fail fast by design.
    bool up = eventually([&] {
      return wait<storage::Result<bool>>([&](auto cb) { o->s.kv->exists(storage::Db::auth, "probe", cb); }).ok;
    });
    REQUIRE_MESSAGE(up, "redis at " << redis->server << " never became ready");
    out.push_back(std::move(o));
  } else {
    SAKURA_SERVICE_MISSING("SAKURA_TEST_REDIS not set: the Redis backend");
  }
  return out;
}

std::vector<std::unique_ptr<Opened>> sql_backends() {
  std::vector<std::unique_ptr<Opened>> out;
  out.push_back(open_backend("sqlite", storage::Config{}));
  if (auto sql = mariadb_from_env()) {
    storage::Config cfg;
    cfg.sql = *sql;
    out.push_back(open_backend("mariadb", cfg));
  } else {
    SAKURA_SERVICE_MISSING("SAKURA_TEST_MARIADB_HOST not set: the MariaDB backend");
  }
  return out;
}

}  // namespace storage_test
