#pragma once
// The broker's shared state and routing: sessions by client id, the subscription tree, retained
// messages, hooks, and counters. Connections (connection.hpp) drive it; it never does I/O itself.
//
// THREADING: every public method is safe from any worker thread. Shared structures carry their
// own locks (sessions_mutex_, the tree's and the retained store's); per-session state is touched
// only on the session's owner worker (see session.hpp), reached through run_on_owner(). Deliveries
// to sessions owned by other workers are batched per target and posted once per handler run.
//
// PERSISTENCE (optional, persistence.hpp): the broker appends each change to persistent sessions
// and retained messages as it happens, the routing thread a message's body and its enqueues before
// any delivery leaves it, the owner worker the rest; restore() rebuilds that state at start.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/executor.hpp"
#include "broker/hooks.hpp"
#include "broker/log_throttle.hpp"
#include "broker/options.hpp"
#include "broker/persisted_state.hpp"
#include "broker/persistence.hpp"
#include "broker/retained_store.hpp"
#include "broker/session.hpp"
#include "broker/stats.hpp"
#include "broker/subscription_tree.hpp"
#include "common/clock.hpp"

namespace spdlog {
class logger;
}

namespace broker {

class Connection;

class Broker final : public BrokerControl {
 public:
  // `workers` are the event loops connections run on; index i is worker i. They must outlive the
  // broker. `timers` runs delayed work (run_after); it may be null in tests that do not use it.
  using TimerFn = std::function<void(std::chrono::milliseconds, std::function<void()>)>;
  Broker(BrokerOptions options, std::vector<Executor*> workers, const common::Clock& clock,
         std::shared_ptr<spdlog::logger> log, TimerFn timers = {});
  ~Broker() override;

  const BrokerOptions& options() const { return options_; }
  const common::Clock& clock() const { return clock_; }
  spdlog::logger& log() const { return *log_; }
  std::size_t worker_count() const { return workers_.size(); }

  // Hooks, set before any connection arrives.
  void set_authenticator(std::shared_ptr<Authenticator> a) { authenticator_ = std::move(a); }
  Authenticator* authenticator() const { return authenticator_.get(); }
  void set_publish_guard(std::shared_ptr<const PublishGuard> g) { publish_guard_ = std::move(g); }
  const PublishGuard* publish_guard() const { return publish_guard_.get(); }
  void add_observer(std::shared_ptr<Observer> o) { observers_.push_back(std::move(o)); }
  const std::vector<std::shared_ptr<Observer>>& observers() const { return observers_; }
  // The store of persistent state, set before restore() and before any connection; null (the
  // default) persists nothing.
  void set_persistence(std::shared_ptr<Persistence> p) { persistence_ = std::move(p); }
  Persistence* persistence() const { return persistence_.get(); }
  // Recreates what the store held, before the listeners open: detached sessions spread over the
  // workers with their subscriptions, messages in flight and queued, incoming QoS 2 ids, and the
  // retained messages. New messages are numbered above the state's max_message_id.
  void restore(const PersistedState& state);

  // The worker the calling thread runs, or -1 off the workers. Set by the worker's loop.
  static int current_worker();
  static void set_current_worker(int index);
  void post(unsigned worker, std::function<void()> fn) { workers_.at(worker)->post(std::move(fn)); }

  // Runs `fn(session)` on the session's owner worker: inline when that is the calling thread.
  void run_on_owner(const std::shared_ptr<Session>& s, std::function<void(Session&)> fn);

  // Finds or creates the session for a CONNECT accepted on the calling worker, taking over a
  // connected client with the same id. `done(session, session_present)` runs on the calling
  // worker, possibly later (after the old owner has let go). A session belongs to the username
  // that created it: when the id is held by another username's session (connected or
  // persistent), nothing is touched and `done(nullptr, false)` runs at once (CONNACK 5), unless
  // `owns_id` (AuthResult::owns_client_id): then that session ends and a fresh one starts.
  using SessionReady = std::function<void(std::shared_ptr<Session>, bool present)>;
  void open_session(const std::string& client_id, const std::optional<std::string>& username, bool clean,
                    SessionReady done, bool owns_id = false);
  // The connection of `s` has closed (on the owner worker).
  void session_closed(const std::shared_ptr<Session>& s);

  // Subscriptions (on the session's owner worker).
  bool subscribe(const std::shared_ptr<Session>& s, const std::string& filter, std::uint8_t qos);
  void unsubscribe(const std::shared_ptr<Session>& s, const std::string& filter);
  // Sends the retained messages matching `filter` to `s` (after the SUBACK). True when it
  // appended to the store.
  bool send_retained(const std::shared_ptr<Session>& s, const std::string& filter, std::uint8_t qos);

  // Routes a published message to every matching session (on any worker thread). Retain handled.
  // Returns true when it appended to the store: an acknowledgement to the publisher then waits
  // for the store's barrier.
  bool route(const MessagePtr& m);

  // Connections register with their worker so keepalive sweeps and disconnect_user find them.
  void register_connection(unsigned worker, Connection* c);
  void unregister_connection(unsigned worker, Connection* c);
  // Asks `worker` (the calling one) to call c.flush_queued() after the handlers already queued
  // there have run: one write per connection per round instead of one per packet.
  void flush_soon(unsigned worker, Connection& c);
  // Checks timers of every connection on the calling worker (called about once a second).
  void sweep(unsigned worker);
  // Ends persistent sessions that stayed disconnected past session_expiry.
  void expire_sessions();
  // Closes every connection (shutdown).
  void close_all(unsigned worker);

  // BrokerControl
  void publish(MessagePtr message) override;
  void publish_now(MessagePtr message, std::function<void(std::vector<std::string> reached)> done) override;
  void disconnect_user(const std::string& username) override;
  void run_after(std::chrono::milliseconds delay, std::function<void()> fn) override;

  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }
  std::size_t session_count() const;

  // The operators' view (admin API): what may be read of a session from any thread (its id,
  // creator, clean flag and the online hint), under the sessions lock, at most `limit` of them.
  struct SessionInfo {
    std::string client_id;
    std::optional<std::string> username;
    bool clean = true;
    bool online = false;
  };
  std::vector<SessionInfo> sessions_info(std::size_t limit) const;
  std::optional<SessionInfo> session_info(const std::string& client_id) const;
  // Closes the connection using `client_id` (its will is published; a persistent session stays,
  // as after any network loss). Any thread.
  void disconnect_client(const std::string& client_id);
  // Deliveries other workers have posted to `worker` that it has not run yet.
  std::size_t worker_backlog(unsigned worker) const;
  std::size_t subscription_count() const { return tree_.subscription_count(); }
  RetainedStore& retained() { return retained_; }
  std::chrono::steady_clock::time_point started() const { return started_; }

 private:
  struct Delivery {
    std::shared_ptr<Session> session;
    MessagePtr message;
    std::uint8_t qos;
    bool retain;
  };
  struct WorkerState;
  bool route_local(const MessagePtr& m);
  // Store side of routing (broker_persistence.cpp). Each returns true when it appended.
  bool persist_retain(const MessagePtr& m, RetainedStore::Update result);
  bool persist_route(const MessagePtr& m, std::vector<Match>& matches);
  bool persist_delivery(Session& s, const MessagePtr& m, std::uint8_t qos, bool retain);
  void store_body(const MessagePtr& m);
  bool over_store_limit();
  // The store cannot write: counts a refused delivery and logs at most once a second.
  void refuse_while_failing(const Session& s);
  void deliver(Delivery&& d);
  void flush_outbound(unsigned from);
  void flush_dirty(unsigned worker);
  void remove_subscriptions(Session& s);
  void end_session(Session& s);
  // Ends the sessions the calling worker owns that `pick` selects (under sessions_mutex_), with
  // SessionEnded in the store: expiry and revocation.
  template <typename Pick>
  std::vector<std::shared_ptr<Session>> take_sessions(Pick pick);

  BrokerOptions options_;
  std::vector<Executor*> workers_;
  const common::Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  TimerFn timers_;
  std::shared_ptr<Authenticator> authenticator_;
  std::shared_ptr<Persistence> persistence_;
  std::atomic<std::uint64_t> next_message_id_{1};
  LogThrottle store_limit_log_{std::chrono::minutes(1)};
  LogThrottle store_failing_log_{std::chrono::seconds(1)};
  std::vector<std::shared_ptr<Observer>> observers_;
  std::shared_ptr<const PublishGuard> publish_guard_;

  mutable std::mutex sessions_mutex_;
  // Keyed by a view of the session's own client_id (immutable, and alive as long as the entry):
  // the id is stored once per session, not twice.
  std::unordered_map<std::string_view, std::shared_ptr<Session>> sessions_;
  SubscriptionTree tree_;
  RetainedStore retained_;
  std::vector<std::unique_ptr<WorkerState>> worker_state_;
  Stats stats_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace broker
