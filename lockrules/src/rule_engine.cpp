#include "rule_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/log_text.hpp"

namespace lockrules {

namespace {

using storage::Db;

constexpr const char* monitor_key = "monitor";

void bump(Metrics::Counter& c) { c.fetch_add(1, std::memory_order_relaxed); }

// Same length is not secret; the bytes are compared without an early exit so the time taken
// does not tell a forger how much of somebody's key they guessed.
bool same_bytes(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// A username is the key of a credential: logs show only enough to correlate lines.
std::string redact(const std::string& username) {
  return username.size() <= 4 ? std::string("****") : broker::log_text(username.substr(0, 4)) + "…";
}

int role_index(char role) { return role == 'm' ? 0 : 1; }

// The old monitor's texts: only a lock back from -2 reads as coming online. A lock never seen
// before (or whose stored value is not -2, 0 or 1) gets the text of the status itself, as the old
// monitor fell through to its checks of the new status: 上锁 for a first 1, 开锁 for a first 0.
storage::LockEvent event_for(const std::optional<std::string>& previous, LockStatus now) {
  if (now == LockStatus::offline) return storage::LockEvent::offline;
  auto before = previous ? parse_status(*previous) : std::nullopt;
  if (before == LockStatus::offline) return storage::LockEvent::online;
  return now == LockStatus::locked ? storage::LockEvent::locked : storage::LockEvent::unlocked;
}

// What is stored of a payload that is not -2, 0 or 1: read later by the HTTP API, sakura-ctl and
// operators' scripts, so bounded and printable.
bool storable_other_status(std::string_view payload, std::size_t max) {
  if (payload.empty() || payload.size() > max) return false;
  for (unsigned char c : payload)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

}  // namespace

RuleEngine::RuleEngine(const Options& options, Parts parts)
    : options_(options), p_(std::move(parts)), m_(*p_.metrics), sequencer_(options.max_pending_per_lock) {}

void RuleEngine::unauth(const broker::ClientInfo& from, const std::string& payload) {
  if (!from.username || !same_bytes(*from.username, payload)) {
    bump(m_.unauth_forged);
    p_.log->warn("lockrules: /unauth from client {} ({}) names another user; ignored", broker::log_text(from.client_id),
                 broker::log_text(from.address));
    return;
  }
  auto self = shared_from_this();
  p_.credentials->revoke(payload, [self, user = payload](storage::Result<bool> r) {
    if (!r) {
      bump(self->m_.store_errors);
      self->p_.log->warn("lockrules: revoking {} failed: {}", redact(user), broker::log_text(r.message));
    } else if (r.value) {
      bump(self->m_.revocations);
      self->p_.log->info("lockrules: credentials of {} revoked (/unauth)", redact(user));
    } else {
      bump(self->m_.revocations_empty);
    }
  });
}

void RuleEngine::pair(std::string lockno, char role) {
  auto self = shared_from_this();
  submit(lockno, [self, lockno, role](Done done) { self->run_pair(lockno, role, std::move(done)); });
}

void RuleEngine::status(std::string lockno, const std::string& payload) {
  auto parsed = parse_status(payload);
  if (!parsed) {
    if (!storable_other_status(payload, options_.max_status_length)) {
      bump(m_.status_invalid);
      p_.log->info("lockrules: status of {} with an unstorable payload ({} bytes); ignored", broker::log_text(lockno),
                   payload.size());
      return;
    }
    bump(m_.status_other);
    p_.log->info("lockrules: status of {} is '{}' (not -2, 0 or 1): stored in monitor, no history",
                 broker::log_text(lockno), broker::log_text(payload));
  }
  // Stamped on arrival, not when the store answers: history shows when the lock reported.
  const auto ts_ms = p_.clock->unix_ms();
  auto self = shared_from_this();
  std::string value = parsed ? status_text(*parsed) : payload;
  submit(lockno, [self, lockno, value = std::move(value), parsed, ts_ms](Done done) mutable {
    self->run_status(lockno, std::move(value), parsed, ts_ms, std::move(done));
  });
}

void RuleEngine::submit(const std::string& lockno, KeyedSequencer::Task task) {
  m_.pending.fetch_add(1, std::memory_order_relaxed);
  auto counted = [&m = m_, task = std::move(task)](Done done) {
    task([&m, done = std::move(done)] {
      m.pending.fetch_sub(1, std::memory_order_relaxed);
      done();
    });
  };
  if (!sequencer_.submit(lockno, std::move(counted))) {
    m_.pending.fetch_sub(1, std::memory_order_relaxed);
    bump(m_.overloaded);
    p_.log->warn("lockrules: lock {} has {} inputs queued; input dropped", broker::log_text(lockno),
                 options_.max_pending_per_lock);
  }
}

void RuleEngine::run_pair(const std::string& lockno, char role, Done done) {
  auto self = shared_from_this();
  p_.kv->pair_unlock(lockno, role, options_.pair_window,
                     [self, lockno, role, done = std::move(done)](storage::Result<storage::PairOutcome> r) {
                       auto& e = *self;
                       if (!r) {
                         bump(e.m_.store_errors);
                         e.p_.log->warn("lockrules: unlock request {}/{} dropped: {}", broker::log_text(lockno), role,
                                        broker::log_text(r.message));
                       } else if (r.value == storage::PairOutcome::paired) {
                         e.window_paired(lockno);
                         e.send_unlock(lockno);
                       } else {
                         e.window_waiting(lockno, role);
                       }
                       done();
                     });
}

void RuleEngine::send_unlock(const std::string& lockno) {
  bump(m_.unlocks);
  // Now or never: a lock offline at this moment must not open when it next connects, days later
  // and whoever is at the door. QoS 0 as the old system sent it: nothing to resend.
  auto self = shared_from_this();
  p_.control->publish_now(
      broker::make_message("/" + lockno + "/call", "unlock", 0), [self, lockno](std::vector<std::string> reached) {
        auto& e = *self;
        // The lock's client id is its lockno (client_id_guard.hpp).
        if (std::find(reached.begin(), reached.end(), lockno) != reached.end()) {
          e.p_.log->info("lockrules: both owners of {} asked: unlock sent", broker::log_text(lockno));
          return;
        }
        bump(e.m_.unlocks_undelivered);
        e.p_.log->info("lockrules: both owners of {} asked, but the lock is offline: no unlock",
                       broker::log_text(lockno));
        // The owners subscribe to /<lockno>/#; the lock subscribes to none of this topic.
        e.p_.control->publish(broker::make_message("/" + lockno + "/result", unlock_failed_payload, 1));
      });
}

void RuleEngine::run_status(const std::string& lockno, std::string value, std::optional<LockStatus> status,
                            std::int64_t ts_ms, Done done) {
  auto self = shared_from_this();
  p_.kv->hmget(Db::lock, monitor_key, {lockno},
               [self, lockno, value = std::move(value), status, ts_ms,
                done = std::move(done)](storage::Result<std::vector<std::optional<std::string>>> r) mutable {
                 auto& e = *self;
                 if (!r) {
                   bump(e.m_.store_errors);
                   e.p_.log->warn("lockrules: status of {} dropped: {}", broker::log_text(lockno),
                                  broker::log_text(r.message));
                   return done();
                 }
                 std::optional<std::string> previous = r.value.empty() ? std::nullopt : r.value[0];
                 if (previous && *previous == value) {
                   bump(e.m_.status_unchanged);
                   return done();
                 }
                 e.p_.kv->hset(Db::lock, monitor_key, {{lockno, value}},
                               [self, lockno, previous, status, ts_ms, done = std::move(done)](storage::Status s) {
                                 if (!s) {
                                   bump(self->m_.store_errors);
                                   self->p_.log->warn("lockrules: monitor update of {} failed: {}",
                                                      broker::log_text(lockno), broker::log_text(s.message));
                                 } else if (status) {
                                   self->record(lockno, previous, *status, ts_ms);
                                 }
                                 done();
                               });
               });
}

void RuleEngine::record(const std::string& lockno, std::optional<std::string> previous, LockStatus status,
                        std::int64_t ts_ms) {
  storage::HistoryEvent event;
  event.lockno = lockno;
  event.event = event_for(previous, status);
  event.ts_ms = ts_ms;
  p_.log->debug("lockrules: {} {} -> {}: {}", broker::log_text(lockno), broker::log_text(previous.value_or("(none)")),
                status_text(status), storage::event_code(event.event));
  // The spool keeps append order, so the next status of this lock may start before this
  // acknowledgement without reordering its history.
  auto self = shared_from_this();
  p_.history->append(std::move(event), [self, lockno](storage::Status s) {
    if (s) return bump(self->m_.history_events);
    bump(self->m_.history_failures);
    self->p_.log->error("lockrules: history event of {} lost: {}", broker::log_text(lockno),
                        broker::log_text(s.message));
  });
}

void RuleEngine::window_waiting(const std::string& lockno, char role) {
  const int i = role_index(role);
  const auto now = p_.clock->now();
  bool renewed;
  {
    std::lock_guard lock(windows_mutex_);
    auto& deadline = windows_[lockno][i];
    renewed = deadline && *deadline > now;
    deadline = now + options_.pair_window;
  }
  bump(renewed ? m_.windows_renewed : m_.windows_opened);
  std::weak_ptr<RuleEngine> weak = shared_from_this();
  p_.control->run_after(options_.pair_window, [weak, lockno, i] {
    if (auto self = weak.lock()) self->check_expiry(lockno, i);
  });
}

void RuleEngine::window_paired(const std::string& lockno) {
  std::lock_guard lock(windows_mutex_);
  windows_.erase(lockno);
}

void RuleEngine::check_expiry(const std::string& lockno, int role) {
  std::lock_guard lock(windows_mutex_);
  auto it = windows_.find(lockno);
  if (it == windows_.end()) return;
  auto& deadline = it->second[static_cast<std::size_t>(role)];
  // A renewed window has a later deadline and its own check still to come.
  if (!deadline || *deadline > p_.clock->now()) return;
  deadline.reset();
  bump(m_.windows_expired);
  if (!it->second[0] && !it->second[1]) windows_.erase(it);
}

}  // namespace lockrules
