#include "broker/broker.hpp"

#include <spdlog/spdlog.h>

#include "broker/connection.hpp"
#include "broker/log_text.hpp"

namespace broker {

namespace {
thread_local int this_worker = -1;
}

struct Broker::WorkerState {
  Connection* connections = nullptr;  // intrusive list head
  std::size_t connection_count = 0;
  // Deliveries for sessions owned by other workers, posted as one batch per target.
  std::vector<std::vector<Delivery>> outbound;
  // Deliveries other workers posted to this one that have not run yet: added by the senders,
  // taken off here as each batch runs. On its own line, the only field other threads write.
  alignas(64) std::atomic<std::size_t> backlog{0};
  bool flush_posted = false;
  std::vector<Match> matches;  // reused by route() to avoid an allocation per message
  // Connections with writes queued this round (flush_soon); `dirty_spare` keeps the capacity.
  std::vector<std::shared_ptr<Connection>> dirty;
  std::vector<std::shared_ptr<Connection>> dirty_spare;
};

Broker::Broker(BrokerOptions options, std::vector<Executor*> workers, const common::Clock& clock,
               std::shared_ptr<spdlog::logger> log, TimerFn timers)
    : options_(std::move(options)),
      workers_(std::move(workers)),
      clock_(clock),
      log_(std::move(log)),
      timers_(std::move(timers)),
      retained_([this] {
        auto limits = options_.retained;
        limits.topics = options_.topics;
        return limits;
      }()),
      stats_(workers_.size()),
      started_(std::chrono::steady_clock::now()) {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    worker_state_.push_back(std::make_unique<WorkerState>());
    worker_state_.back()->outbound.resize(workers_.size());
  }
}

Broker::~Broker() = default;

int Broker::current_worker() { return this_worker; }
void Broker::set_current_worker(int index) { this_worker = index; }

void Broker::run_on_owner(const std::shared_ptr<Session>& s, std::function<void(Session&)> fn) {
  auto owner = s->owner.load(std::memory_order_acquire);
  if (static_cast<int>(owner) == this_worker) {
    fn(*s);
    return;
  }
  // The owner may change before this runs (takeover); re-check there and follow it.
  post(owner, [this, s, fn = std::move(fn)]() mutable { run_on_owner(s, std::move(fn)); });
}

void Broker::open_session(const std::string& client_id, const std::optional<std::string>& username, bool clean,
                          SessionReady done, bool owns_id) {
  auto here = static_cast<unsigned>(this_worker);
  std::shared_ptr<Session> old;
  std::shared_ptr<Session> fresh;
  std::optional<std::string> reclaimed_from;
  {
    std::lock_guard lock(sessions_mutex_);
    auto it = sessions_.find(client_id);
    bool foreign = it != sessions_.end() && it->second->owner_known && it->second->owner_user != username;
    if (foreign && !owns_id) {
      // Another user's id: neither kicked (no takeover) nor resumed (its messages stay its own).
      // Refused rather than given a fresh session: one id names one session in routing and in
      // the store, so a second one could only replace the first.
      stats_.add(this_worker, Stat::client_id_refused);
      return done(nullptr, false);
    }
    if (foreign) {  // replaced below, never resumed
      stats_.add(this_worker, Stat::client_id_reclaimed);
      reclaimed_from = it->second->owner_user.value_or("-");
    }
    if (!foreign && it != sessions_.end() && !clean && !it->second->clean) {
      old = it->second;
      if (!old->owner_known) {  // restored from an older journal: the first to resume it owns it
        old->owner_known = true;
        old->owner_user = username;
        if (persistence_)
          persistence_->append(persist::SessionOwned{client_id, username.value_or(""), username.has_value()});
      }
    } else {
      if (it != sessions_.end()) {  // replaced: a clean session starts from nothing
        old = it->second;
        sessions_.erase(it);
      }
      fresh = std::make_shared<Session>(client_id, clean, here);
      fresh->owner_user = username;
      sessions_.emplace(fresh->client_id, fresh);
      // Appended under the lock, so a store never sees two connections' versions of one id
      // out of order.
      if (persistence_ && old && !old->clean) persistence_->append(persist::SessionEnded{client_id});
      if (persistence_ && !clean) {
        fresh->set_store(persistence_.get());
        persistence_->append(persist::SessionCreated{client_id});
        persistence_->append(persist::SessionOwned{client_id, username.value_or(""), username.has_value()});
      }
    }
  }
  if (reclaimed_from)
    log_->info("client id reclaimed client={} user={}: the session of user={} ended", log_text(client_id),
               log_text(username.value_or("-")), log_text(*reclaimed_from));
  if (fresh) {
    if (old) run_on_owner(old, [this](Session& s) { end_session(s); });
    done(std::move(fresh), false);
    return;
  }
  // Resume a persistent session: its owner closes the old connection and hands it over.
  run_on_owner(old, [this, here, old, client_id, username, clean, done = std::move(done)](Session& s) mutable {
    if (s.sink()) s.sink()->taken_over();
    if (s.dead()) {  // expired between the lookup and now: start over
      post(here, [this, client_id, username, clean, done = std::move(done)]() mutable {
        open_session(client_id, username, clean, std::move(done));
      });
      return;
    }
    s.owner.store(here, std::memory_order_release);
    post(here, [old, done = std::move(done)]() { done(old, true); });
  });
}

void Broker::end_session(Session& s) {
  if (s.sink()) s.sink()->taken_over();
  s.mark_dead();
  for (auto& [filter, qos] : s.subscriptions()) tree_.unsubscribe(filter, &s);
  s.clear();
}

void Broker::session_closed(const std::shared_ptr<Session>& s) {
  if (!s->clean) return;  // kept for the client's return, until session_expiry
  end_session(*s);
  std::lock_guard lock(sessions_mutex_);
  auto it = sessions_.find(s->client_id);
  if (it != sessions_.end() && it->second == s) sessions_.erase(it);
}

bool Broker::subscribe(const std::shared_ptr<Session>& s, const std::string& filter, std::uint8_t qos) {
  if (!within_limits(filter, options_.topics)) {
    stats_.add(this_worker, Stat::topics_rejected);
    return false;
  }
  if (!s->add_subscription(filter, qos, options_.max_subscriptions_per_client, options_.max_subscription_bytes)) {
    stats_.add(this_worker, Stat::subscriptions_rejected);
    return false;
  }
  tree_.subscribe(filter, s, qos);
  if (auto* store = s->store()) store->append(persist::Subscribed{s->client_id, filter, qos});
  return true;
}

void Broker::unsubscribe(const std::shared_ptr<Session>& s, const std::string& filter) {
  if (!s->remove_subscription(filter)) return;
  tree_.unsubscribe(filter, s.get());
  if (auto* store = s->store()) store->append(persist::Unsubscribed{s->client_id, filter});
}

bool Broker::send_retained(const std::shared_ptr<Session>& s, const std::string& filter, std::uint8_t qos) {
  std::vector<MessagePtr> found;
  retained_.match(filter, found);
  bool appended = false;
  for (auto& m : found) {
    auto q = std::min(m->qos, qos);
    appended |= persist_delivery(*s, m, q, true);
    deliver({s, m, q, true});
  }
  return appended;
}

bool Broker::route(const MessagePtr& m) {
  bool appended = false;
  if (m->retain) {
    if (persistence_) {
      // Under the retained store's lock, so the store records replacements of one topic in the
      // order they happened.
      retained_.update(m, [&](RetainedStore::Update u) { appended = persist_retain(m, u); });
    } else {
      retained_.update(m);
    }
  }
  if (this_worker < 0) {
    post(0, [this, m] { route_local(m); });
    return appended;
  }
  return route_local(m) || appended;
}

bool Broker::route_local(const MessagePtr& m) {
  auto& state = *worker_state_[static_cast<unsigned>(this_worker)];
  tree_.match(m->topic, state.matches);
  if (state.matches.empty()) return false;
  // deliver() may run session code that routes again (never today, but keep it safe): iterate a
  // moved-out copy so the scratch vector can be reused meanwhile.
  auto matches = std::move(state.matches);
  // Before any delivery leaves this thread: the store must hold the body and the enqueues before
  // an owner appends the send (persistence.hpp, ORDERING).
  bool appended = persistence_ && m->qos > 0 && persist_route(m, matches);
  for (auto& match : matches) deliver({match.session, m, std::min(m->qos, match.qos), false});
  matches.clear();
  state.matches = std::move(matches);
  return appended;
}

void Broker::deliver(Delivery&& d) {
  auto owner = d.session->owner.load(std::memory_order_acquire);
  auto here = this_worker;
  if (static_cast<int>(owner) == here) {
    if (!d.session->deliver(d.message, d.qos, d.retain, options_)) stats_.add(here, Stat::messages_dropped);
    return;
  }
  auto& state = *worker_state_[static_cast<unsigned>(here)];
  // A worker that falls behind (one flooded core, a burst of fan-out) would otherwise collect
  // every batch posted to it. QoS 0 may be lost by contract; QoS 1/2 still go, bounded by each
  // session's own queue.
  if (d.qos == 0 && worker_state_[owner]->backlog.load(std::memory_order_relaxed) + state.outbound[owner].size() >=
                        options_.max_worker_backlog) {
    stats_.add(here, Stat::deliveries_shed);
    return;
  }
  state.outbound[owner].push_back(std::move(d));
  if (!state.flush_posted) {
    state.flush_posted = true;
    post(static_cast<unsigned>(here), [this, here] { flush_outbound(static_cast<unsigned>(here)); });
  }
}

void Broker::flush_outbound(unsigned from) {
  auto& state = *worker_state_[from];
  state.flush_posted = false;
  for (unsigned target = 0; target < state.outbound.size(); ++target) {
    auto& batch = state.outbound[target];
    if (batch.empty()) continue;
    worker_state_[target]->backlog.fetch_add(batch.size(), std::memory_order_relaxed);
    post(target, [this, target, batch = std::move(batch)]() mutable {
      worker_state_[target]->backlog.fetch_sub(batch.size(), std::memory_order_relaxed);
      for (auto& d : batch) deliver(std::move(d));
    });
    batch = {};
  }
}

void Broker::flush_soon(unsigned worker, Connection& c) {
  auto& state = *worker_state_[worker];
  state.dirty.push_back(c.shared_from_this());
  // Posted behind whatever is queued now: the reads of this epoll round and the batches other
  // workers sent run first, and add to the same writes.
  if (state.dirty.size() == 1) post(worker, [this, worker] { flush_dirty(worker); });
}

void Broker::flush_dirty(unsigned worker) {
  auto& state = *worker_state_[worker];
  // A flush may queue more (a write error closing a connection publishes its will): those go to
  // the next round, so swap the list out first.
  auto& dirty = state.dirty_spare;
  dirty.swap(state.dirty);
  for (auto& c : dirty) c->flush_queued();
  dirty.clear();
}

void Broker::register_connection(unsigned worker, Connection* c) {
  auto& state = *worker_state_[worker];
  c->prev_ = nullptr;
  c->next_ = state.connections;
  if (state.connections) state.connections->prev_ = c;
  state.connections = c;
  ++state.connection_count;
}

void Broker::unregister_connection(unsigned worker, Connection* c) {
  auto& state = *worker_state_[worker];
  if (c->prev_) c->prev_->next_ = c->next_;
  else if (state.connections == c) state.connections = c->next_;
  else return;  // not registered
  if (c->next_) c->next_->prev_ = c->prev_;
  c->prev_ = c->next_ = nullptr;
  --state.connection_count;
}

namespace {
// Calls fn on each connection of a list while fn may close (and so unlink) the current one.
template <typename Fn>
void for_each_connection(Connection* head, Fn&& fn) {
  std::vector<std::shared_ptr<Connection>> all;
  for (auto* c = head; c; c = c->next_) all.push_back(c->shared_from_this());
  for (auto& c : all) fn(*c);
}
}  // namespace

void Broker::sweep(unsigned worker) {
  auto now = clock_.now();
  // Runs every second over thousands of idle connections: look at each in place, and take a
  // reference only to the few with a timer due (acting may close and unlink others, so act on
  // the collected list), instead of copying every connection's shared_ptr.
  std::vector<std::shared_ptr<Connection>> due;
  for (auto* c = worker_state_[worker]->connections; c; c = c->next_)
    if (c->timer_due(now)) due.push_back(c->shared_from_this());
  for (auto& c : due) c->check_timers(now);
}

void Broker::close_all(unsigned worker) {
  for_each_connection(worker_state_[worker]->connections, [](Connection& c) { c.close(DisconnectReason::shutdown); });
}

template <typename Pick>
std::vector<std::shared_ptr<Session>> Broker::take_sessions(Pick pick) {
  auto here = this_worker;
  std::vector<std::shared_ptr<Session>> taken;
  std::lock_guard lock(sessions_mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto& s = it->second;
    // Only sessions this worker owns: their sink and detach time are ours to read.
    if (static_cast<int>(s->owner.load(std::memory_order_acquire)) == here && pick(*s)) {
      // Under the lock, like SessionCreated: a new session of this id comes after it.
      if (s->store()) s->store()->append(persist::SessionEnded{s->client_id});
      taken.push_back(s);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return taken;
}

void Broker::expire_sessions() {
  auto now = clock_.now();
  auto expired =
      take_sessions([&](const Session& s) { return !s.sink() && now - s.detached_at() > options_.session_expiry; });
  for (auto& s : expired) {
    log_->info("session expired client={}", log_text(s->client_id));
    end_session(*s);
  }
}

void Broker::publish(MessagePtr message) { route(message); }

void Broker::publish_now(MessagePtr message, std::function<void(std::vector<std::string> reached)> done) {
  // Each matched session answers on its owner worker; the last answer calls `done`.
  struct Tally {
    std::mutex mutex;
    std::vector<std::string> reached;
    std::size_t waiting = 0;
    std::function<void(std::vector<std::string>)> done;
  };
  auto tally = std::make_shared<Tally>();
  tally->done = std::move(done);
  auto answer = [tally](const std::string* reached) {
    std::unique_lock lock(tally->mutex);
    if (reached) tally->reached.push_back(*reached);
    if (--tally->waiting > 0) return;
    auto result = std::move(tally->reached);
    lock.unlock();
    tally->done(std::move(result));
  };
  auto start = [this, message, tally, answer] {
    std::vector<Match> matches;
    tree_.match(message->topic, matches);
    tally->waiting = matches.size() + 1;  // +1: this task's own, so `done` waits for the posts
    for (auto& match : matches) {
      run_on_owner(match.session, [this, message, answer](Session& s) {
        bool sent = !s.dead() && s.sink() && s.deliver(message, 0, false, options_);
        answer(sent ? &s.client_id : nullptr);
      });
    }
    answer(nullptr);
  };
  // Always posted: `done` never runs inside this call, so a caller may hold its own lock here.
  post(this_worker < 0 ? 0u : static_cast<unsigned>(this_worker), std::move(start));
}

void Broker::disconnect_user(const std::string& username) {
  for (unsigned w = 0; w < workers_.size(); ++w) {
    post(w, [this, w, username] {
      for_each_connection(worker_state_[w]->connections, [&](Connection& c) {
        if (c.info().username == username) c.close(DisconnectReason::revoked);
      });
      // Then its persistent sessions, which would otherwise keep collecting what its
      // subscriptions match and hand it to whoever logs in under that id next. Their connections
      // closed just above (wills published), so only detached sessions are left to end here.
      auto ended = take_sessions([&](const Session& s) { return s.owner_user == username; });
      for (auto& s : ended) {
        log_->info("session ended client={}: its user was revoked", s->client_id);
        end_session(*s);
      }
    });
  }
}

void Broker::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (timers_) timers_(delay, std::move(fn));
  else post(0, std::move(fn));
}

std::size_t Broker::worker_backlog(unsigned worker) const {
  return worker_state_.at(worker)->backlog.load(std::memory_order_relaxed);
}

std::vector<Broker::SessionInfo> Broker::sessions_info(std::size_t limit) const {
  std::vector<SessionInfo> out;
  std::lock_guard lock(sessions_mutex_);
  for (auto& [id, s] : sessions_) {
    if (out.size() >= limit) break;
    out.push_back({s->client_id, s->owner_user, s->clean, s->online.load(std::memory_order_relaxed)});
  }
  return out;
}

std::optional<Broker::SessionInfo> Broker::session_info(const std::string& client_id) const {
  std::lock_guard lock(sessions_mutex_);
  auto it = sessions_.find(client_id);
  if (it == sessions_.end()) return std::nullopt;
  auto& s = it->second;
  return SessionInfo{s->client_id, s->owner_user, s->clean, s->online.load(std::memory_order_relaxed)};
}

void Broker::disconnect_client(const std::string& client_id) {
  for (unsigned w = 0; w < workers_.size(); ++w)
    post(w, [this, w, client_id] {
      for_each_connection(worker_state_[w]->connections, [&](Connection& c) {
        if (c.info().client_id == client_id) c.close(DisconnectReason::revoked);
      });
    });
}

std::size_t Broker::session_count() const {
  std::lock_guard lock(sessions_mutex_);
  return sessions_.size();
}

}  // namespace broker
