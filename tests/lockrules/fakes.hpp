#pragma once
// Stand-ins for the lock rules' collaborators, driven by hand: a clock that moves only when told,
// a Redis-shaped store with expiry on that clock (answering inline, or when pumped so tests can
// hold answers back), a history spool that records, and a broker that records what it was asked
// and runs run_after() work when the clock passes its time.
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/credential_keeper.hpp"
#include "broker/hooks.hpp"
#include "common/clock.hpp"
#include "lockrules/lock_rules.hpp"
#include "storage/history_writer.hpp"
#include "storage/key_value.hpp"

namespace spdlog {
class logger;
}

namespace lockrules_test {

using namespace std::chrono_literals;

std::shared_ptr<spdlog::logger> logger();

class FakeClock final : public common::Clock {
 public:
  time_point now() const override;
  std::int64_t unix_ms() const override;
  void advance(std::chrono::milliseconds d);

 private:
  mutable std::mutex mutex_;
  time_point now_{std::chrono::hours(1)};
  std::int64_t unix_ms_ = 1'700'000'000'000;
};

class FakeKv final : public storage::KeyValue {
 public:
  explicit FakeKv(std::shared_ptr<FakeClock> clock) : clock_(std::move(clock)) {}

  // Held answers wait for pump(); otherwise every call answers before it returns.
  bool hold = false;
  // The next `fail_next` calls answer a failure.
  int fail_next = 0;
  std::size_t pump();  // runs held calls, including ones they start; returns how many
  std::size_t held() const;
  std::vector<std::string> calls() const;  // "pair_unlock L m", "hset monitor", ... in order

  std::optional<std::string> string_value(storage::Db db, const std::string& key) const;
  std::optional<std::string> hash_field(storage::Db db, const std::string& key, const std::string& field) const;
  void put_hash(storage::Db db, const std::string& key, storage::Fields fields);

  void hmget(storage::Db db, std::string key, std::vector<std::string> fields,
             Callback<std::vector<std::optional<std::string>>> done) override;
  void hgetall(storage::Db db, std::string key, Callback<storage::Fields> done) override;
  void hset(storage::Db db, std::string key, storage::Fields fields, StatusCallback done) override;
  void hreplace(storage::Db db, std::string key, storage::Fields fields, std::chrono::milliseconds ttl,
                StatusCallback done) override;
  void hdel(storage::Db db, std::string key, std::vector<std::string> fields, Callback<long long> done) override;
  void del(storage::Db db, std::vector<std::string> keys, Callback<long long> done) override;
  void set(storage::Db db, std::string key, std::string value, std::chrono::milliseconds ttl,
           StatusCallback done) override;
  void get(storage::Db db, std::string key, Callback<std::optional<std::string>> done) override;
  void exists(storage::Db db, std::string key, Callback<bool> done) override;
  void expire(storage::Db db, std::string key, std::chrono::milliseconds ttl, Callback<bool> done) override;
  void pttl(storage::Db db, std::string key, Callback<long long> done) override;
  void scan(storage::Db db, std::string prefix, std::string cursor, std::size_t count,
            Callback<storage::ScanPage> done) override;
  void pair_unlock(std::string lockno, char role, std::chrono::milliseconds window,
                   Callback<storage::PairOutcome> done) override;

 private:
  struct Entry {
    std::optional<std::string> str;
    std::map<std::string, std::string> hash;
    std::optional<common::Clock::time_point> deadline;
  };
  using Key = std::pair<storage::Db, std::string>;
  // Runs `op` under the store's lock, now or when pumped; the answer it returns is then called
  // outside the lock, so a callback may call the store again.
  using Op = std::function<std::function<void()>(bool fail)>;
  void call(std::string what, Op op);
  void execute(const Op& op, bool fail);
  Entry* find(const Key& k);  // expired entries are dropped here, as Redis does lazily

  std::shared_ptr<FakeClock> clock_;
  mutable std::mutex mutex_;
  std::map<Key, Entry> data_;
  std::deque<std::function<void()>> held_;
  std::vector<std::string> calls_;
};

class FakeHistory final : public storage::HistoryWriter {
 public:
  bool refuse = false;
  void append(storage::HistoryEvent event, StatusCallback done) override;
  storage::HistoryStats stats() const override;
  void flush(std::chrono::milliseconds, StatusCallback done) override { done({}); }
  std::vector<storage::HistoryEvent> events() const;

 private:
  mutable std::mutex mutex_;
  std::vector<storage::HistoryEvent> events_;
};

class FakeControl final : public broker::BrokerControl {
 public:
  explicit FakeControl(std::shared_ptr<FakeClock> clock) : clock_(std::move(clock)) {}
  void publish(broker::MessagePtr message) override;
  // Recorded with published() too; reaches the client id of the topic's first level (the lock)
  // unless that id is in `offline`.
  void publish_now(broker::MessagePtr message, std::function<void(std::vector<std::string>)> done) override;
  void disconnect_user(const std::string& username) override;
  void run_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void set_offline(const std::string& client_id);
  // Moves the clock and runs the run_after() work that has come due.
  void advance(std::chrono::milliseconds d);

  std::vector<broker::MessagePtr> published() const;
  std::vector<std::string> disconnected() const;

 private:
  std::shared_ptr<FakeClock> clock_;
  mutable std::mutex mutex_;
  std::vector<broker::MessagePtr> published_;
  std::vector<std::string> disconnected_;
  std::vector<std::string> offline_;
  std::multimap<common::Clock::time_point, std::function<void()>> timers_;
};

// The rules over fresh fakes.
struct Rig {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::shared_ptr<FakeKv> kv = std::make_shared<FakeKv>(clock);
  std::shared_ptr<FakeHistory> history = std::make_shared<FakeHistory>();
  FakeControl control{clock};
  // auth/'s real keeper over the fake store: /unauth revokes as in the broker.
  std::shared_ptr<auth::CredentialKeeper> credentials = std::make_shared<auth::CredentialKeeper>(
      std::make_shared<auth::CredentialStore>(kv, auth::CredentialLayout(), auth::HashSpec{}),
      std::chrono::milliseconds(0), logger());
  std::unique_ptr<lockrules::LockRules> rules;

  explicit Rig(lockrules::Options options = {});
  void publish(const std::string& topic, const std::string& payload, const std::string& username = "someone");
  void publish_as(const broker::ClientInfo& from, const std::string& topic, const std::string& payload);
  const lockrules::Metrics& metrics() const { return *metrics_; }
  std::size_t unlocks_sent(const std::string& lockno) const;  // `unlock` on /<lockno>/call

 private:
  std::shared_ptr<const lockrules::Metrics> metrics_;
};

inline std::uint64_t value(const std::atomic<std::uint64_t>& c) { return c.load(); }

}  // namespace lockrules_test
