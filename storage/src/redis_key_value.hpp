#pragma once
// storage::KeyValue over Redis: one pipelined connection per logical database (auth, lock),
// both on the broker's io_context. The multi-step operations (pair_unlock, hreplace) are Lua
// scripts sent with EVALSHA, falling back to EVAL when the server answers NOSCRIPT (a restart
// or SCRIPT FLUSH empties its script cache).
#include <boost/asio/io_context.hpp>
#include <memory>

#include "redis_connection.hpp"
#include "storage/key_value.hpp"

namespace storage::detail {

class RedisKeyValue final : public KeyValue {
 public:
  RedisKeyValue(boost::asio::io_context& io, const RedisConfig& config, std::shared_ptr<spdlog::logger> log);
  ~RedisKeyValue() override;
  void abandon() override;

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

 private:
  struct Script {
    std::string body;
    std::string sha1;  // hex
  };

  RedisConnection& conn(Db db) { return db == Db::auth ? *auth_ : *lock_; }
  void eval(Db db, const Script& script, std::vector<std::string> keys_then_args, size_t nkeys,
            RedisConnection::Done done);

  std::shared_ptr<RedisConnection> auth_;
  std::shared_ptr<RedisConnection> lock_;
  Script pair_script_;
  Script hreplace_script_;
};

}  // namespace storage::detail
