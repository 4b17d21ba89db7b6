#pragma once
// The rules themselves, behind LockRules (lock_rules.hpp, which documents the threading). Kept
// apart so LockRules stays a thin Observer and the engine can be shared with store callbacks,
// which keep it alive until they have run.
#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/credential_keeper.hpp"
#include "broker/hooks.hpp"
#include "common/clock.hpp"
#include "lockrules/keyed_sequencer.hpp"
#include "lockrules/lock_rules.hpp"
#include "lockrules/metrics.hpp"
#include "lockrules/rule_topic.hpp"
#include "storage/history_writer.hpp"
#include "storage/key_value.hpp"

namespace lockrules {

class RuleEngine final : public std::enable_shared_from_this<RuleEngine> {
 public:
  struct Parts {
    std::shared_ptr<storage::KeyValue> kv;
    std::shared_ptr<storage::HistoryWriter> history;
    std::shared_ptr<auth::CredentialKeeper> credentials;
    std::shared_ptr<broker::BrokerControl> control;
    std::shared_ptr<const common::Clock> clock;
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<Metrics> metrics;
  };
  RuleEngine(const Options& options, Parts parts);

  void unauth(const broker::ClientInfo& from, const std::string& payload);
  void pair(std::string lockno, char role);
  // -2, 0 and 1 update `monitor` and write history on a change; another short printable payload
  // only updates `monitor` (as the old monitor stored whatever a lock sent); the rest is dropped.
  void status(std::string lockno, const std::string& payload);

 private:
  using Done = KeyedSequencer::Done;
  void submit(const std::string& lockno, KeyedSequencer::Task task);
  void run_pair(const std::string& lockno, char role, Done done);
  // `unlock` to the lock if it is connected now; otherwise `unlock_failed` on /<lockno>/result.
  void send_unlock(const std::string& lockno);
  // `value` goes into `monitor`; `status` is its parsed form, nullopt for another payload.
  void run_status(const std::string& lockno, std::string value, std::optional<LockStatus> status, std::int64_t ts_ms,
                  Done done);
  void record(const std::string& lockno, std::optional<std::string> previous, LockStatus status, std::int64_t ts_ms);
  // Local bookkeeping of windows opened through this broker, only for the metrics: the store's
  // key expiry is what actually closes a window.
  void window_waiting(const std::string& lockno, char role);
  void window_paired(const std::string& lockno);
  void check_expiry(const std::string& lockno, int role);

  Options options_;
  Parts p_;
  Metrics& m_;
  KeyedSequencer sequencer_;
  std::mutex windows_mutex_;
  // lockno -> deadline of the m and f windows opened here (index 0 = m, 1 = f)
  std::unordered_map<std::string, std::array<std::optional<common::Clock::time_point>, 2>> windows_;
};

}  // namespace lockrules
