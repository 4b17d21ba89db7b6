#pragma once
// The key-value store without a server: Redis semantics (strings, hashes, millisecond expiry)
// kept in memory on one worker thread and written through to the kv_keys / kv_fields tables of
// the embedded SQLite file, so credentials and lock status survive a restart.
//
// THREADING: all state lives on the worker thread; public methods only post tasks to it, which
// also makes pair_unlock atomic without locks.
#include <memory>
#include <string>

#include "storage/config.hpp"
#include "storage/key_value.hpp"

namespace spdlog {
class logger;
}

namespace storage::detail {

class EmbeddedKeyValue final : public KeyValue {
 public:
  // Loads the persisted keys (dropping expired ones); throws SqlError if the file is unusable.
  EmbeddedKeyValue(const std::string& sqlite_path, SyncPolicy sync, std::shared_ptr<spdlog::logger> log);
  ~EmbeddedKeyValue() override;

  void hmget(Db db, std::string key, std::vector<std::string> fields,
             Callback<std::vector<std::optional<std::string>>> done) override;
  void hgetall(Db db, std::string key, Callback<Fields> done) override;
  void hset(Db db, std::string key, Fields fields, StatusCallback done) override;
  void hreplace(Db db, std::string key, Fields fields, std::chrono::milliseconds ttl, StatusCallback done) override;
  void hdel(Db db, std::string key, std::vector<std::string> fields, Callback<long long> done) override;
  void del(Db db, std::vector<std::string> keys, Callback<long long> done) override;
  void set(Db db, std::string key, std::string value, std::chrono::milliseconds ttl, StatusCallback done) override;
  void get(Db db, std::string key, Callback<std::optional<std::string>> done) override;
  void exists(Db db, std::string key, Callback<bool> done) override;
  void expire(Db db, std::string key, std::chrono::milliseconds ttl, Callback<bool> done) override;
  void pttl(Db db, std::string key, Callback<long long> done) override;
  void scan(Db db, std::string prefix, std::string cursor, std::size_t count, Callback<ScanPage> done) override;
  void pair_unlock(std::string lockno, char role, std::chrono::milliseconds window,
                   Callback<PairOutcome> done) override;

  class State;  // the worker-owned maps and SQLite connection, defined in the .cpp

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace storage::detail
