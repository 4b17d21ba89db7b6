#pragma once
// The lock system's rules on the broker's publish path (INTERFACES.md, Topics), replacing the
// old "monitor" client that subscribed to /#:
//   /unauth            payload == the publisher's own username: its credentials are revoked
//   /<lockno>/m, /f    both owners within lock.pair_window: `unlock` on /<lockno>/call, QoS 0,
//                      to the lock only if it is connected now (BrokerControl::publish_now);
//                      otherwise `unlock_failed` on /<lockno>/result for the owners
//   /<lockno>/statu    -2/0/1 compared with `monitor`; on change: monitor updated, history event
// Every other topic passes with one length check and no allocation.
//
// THREADING: on_publish runs on the publisher's I/O thread and only queues work; the rules run
// on store callback threads, one at a time per lock in arrival order (KeyedSequencer), so a slow
// store never stalls an I/O thread. Safe to destroy from any thread; store callbacks that arrive
// later keep the internals alive and no longer reach the broker once close() has run.
#include <chrono>
#include <cstddef>
#include <memory>

#include "broker/hooks.hpp"
#include "common/clock.hpp"
#include "lockrules/metrics.hpp"
#include "storage/history_writer.hpp"
#include "storage/key_value.hpp"

namespace auth {
class CredentialKeeper;
}
namespace spdlog {
class logger;
}

namespace lockrules {

class ControlGuard;
class RuleEngine;

struct Options {
  std::chrono::milliseconds pair_window{35000};  // lock.pair_window
  // Inputs of one lock waiting behind a slow store before new ones are dropped (and counted):
  // a flood on one topic must not grow memory without bound.
  std::size_t max_pending_per_lock = 64;
  // A status payload other than -2, 0 or 1 is stored in `monitor` as the old monitor did (no
  // history row) when it is at most this many printable ASCII bytes; anything else is dropped.
  std::size_t max_status_length = 32;  // lock.max_status_length
};

struct Deps {
  std::shared_ptr<storage::KeyValue> kv;
  std::shared_ptr<storage::HistoryWriter> history;
  broker::BrokerControl* control = nullptr;  // must stay valid until close()
  // Withdraws a user's credentials and disconnects it for /unauth (its store owns the key layout).
  std::shared_ptr<auth::CredentialKeeper> credentials;
  std::shared_ptr<const common::Clock> clock;  // null: common::SteadyClock
  std::shared_ptr<spdlog::logger> log;
};

class LockRules final : public broker::Observer {
 public:
  LockRules(Options options, Deps deps);
  ~LockRules() override;

  void on_publish(const broker::ClientInfo& from, const broker::MessagePtr& message) override;

  // Who may publish on lock topics (topic_guard.hpp), for Broker::set_publish_guard. Shares the
  // rules' metrics and log.
  std::shared_ptr<const broker::PublishGuard> publish_guard() const { return guard_; }
  // `inner` narrowed by the lock system's client-id rules (client_id_guard.hpp), counted in
  // metrics(); install the result as the broker's authenticator.
  std::shared_ptr<broker::Authenticator> guard_client_ids(std::shared_ptr<broker::Authenticator> inner);

  // Shared so an exporter may hold it past the rules' lifetime.
  std::shared_ptr<const Metrics> metrics() const { return metrics_; }
  // After this returns the rules publish, disconnect and schedule nothing more. Call before the
  // broker goes away; also done by the destructor.
  void close();

 private:
  std::shared_ptr<Metrics> metrics_;
  std::shared_ptr<ControlGuard> control_;
  std::shared_ptr<RuleEngine> engine_;
  std::shared_ptr<const broker::PublishGuard> guard_;
};

}  // namespace lockrules
