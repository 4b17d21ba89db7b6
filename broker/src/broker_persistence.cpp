// The broker's side of persistence (persistence.hpp): what routing appends, the store limit, and
// the restore at start. Session-level records (sends, acknowledgements) are in session.cpp.
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"

namespace broker {

namespace {
// $SYS and other broker-made topics are rebuilt by the broker itself; keeping them would only
// restore stale figures.
bool persistable(const std::string& topic) { return topic.empty() || topic[0] != '$'; }
}  // namespace

void Broker::store_body(const MessagePtr& m) {
  if (m->persist_id == 0) m->persist_id = next_message_id_.fetch_add(1, std::memory_order_relaxed);
  persistence_->append(persist::MessageStored{m->persist_id, m});
}

bool Broker::persist_retain(const MessagePtr& m, RetainedStore::Update result) {
  if (!persistable(m->topic)) return false;
  if (persistence_->failing() && result != RetainedStore::Update::rejected_limit) {
    // Nothing new is stored while the store cannot write. Forgetting the topic there keeps a
    // restart from bringing back the value this one replaced; memory serves it until then.
    persistence_->append(persist::RetainCleared{m->topic});
    return false;
  }
  switch (result) {
    case RetainedStore::Update::stored:
      store_body(m);
      persistence_->append(persist::RetainSet{m->topic, m->persist_id});
      return true;
    case RetainedStore::Update::cleared: persistence_->append(persist::RetainCleared{m->topic}); return true;
    case RetainedStore::Update::rejected_limit: return false;
  }
  return false;
}

bool Broker::persist_route(const MessagePtr& m, std::vector<Match>& matches) {
  if (!persistable(m->topic)) return false;
  bool appended = false;
  // While the store cannot write, a message is not stored at all: offline sessions are refused
  // it, connected ones get it from memory (with no id, their sends record nothing), and the
  // publisher's acknowledgement waits for nothing.
  const bool failing = persistence_->failing();
  auto keep = matches.begin();
  for (auto& match : matches) {
    auto& s = *match.session;
    auto qos = std::min(m->qos, match.qos);
    if (qos > 0 && s.store()) {
      const bool offline = !s.online.load(std::memory_order_relaxed);
      if (failing) {
        if (offline) {
          refuse_while_failing(s);
          continue;
        }
      } else {
        // The store limit stops growth where it happens: messages piling up for sessions nobody
        // reads. A connected session's deliveries drain at once and still go through.
        if (offline && over_store_limit()) continue;
        if (!appended) {
          // A retained body was appended when it was retained, but may since have been replaced
          // there and dropped by the store: appending it again is harmless (same id, ignored).
          if (m->persist_id == 0 || m->retain) store_body(m);
          appended = true;
        }
        persistence_->append(persist::Enqueued{s.client_id, m->persist_id, qos, false});
      }
    }
    if (&*keep != &match) *keep = std::move(match);
    ++keep;
  }
  matches.erase(keep, matches.end());
  return appended;
}

bool Broker::persist_delivery(Session& s, const MessagePtr& m, std::uint8_t qos, bool retain) {
  // A body without an id was never stored (a $ topic), and it is too late to name it now: other
  // workers may be reading this message.
  if (!persistence_ || qos == 0 || !s.store() || m->persist_id == 0) return false;
  if (persistence_->failing()) return false;  // sent from memory; its records find no enqueue
  persistence_->append(persist::MessageStored{m->persist_id, m});
  persistence_->append(persist::Enqueued{s.client_id, m->persist_id, qos, retain});
  return true;
}

bool Broker::over_store_limit() {
  if (persistence_->stored_bytes() < options_.persistence_max_bytes) return false;
  stats_.add(current_worker(), Stat::persistence_dropped);
  std::uint64_t held_back = 0;
  if (store_limit_log_.due(clock_.now(), held_back))
    log_->warn(
        "persistence store at {} bytes, over persistence.max_bytes={}: messages for offline "
        "persistent sessions are dropped ({} so far)",
        persistence_->stored_bytes(), options_.persistence_max_bytes, stats_.get(Stat::persistence_dropped));
  return true;
}

void Broker::refuse_while_failing(const Session& s) {
  stats_.add(current_worker(), Stat::persistence_refused);
  std::uint64_t held_back = 0;
  if (store_failing_log_.due(clock_.now(), held_back))
    log_->warn(
        "persistence store cannot write: a message for offline persistent session {} was "
        "refused, {} more since the last line ({} so far)",
        s.client_id, held_back, stats_.get(Stat::persistence_refused));
}

void Broker::restore(const PersistedState& state) {
  auto now = clock_.now();
  auto wall_ms = clock_.unix_ms();
  auto next = state.max_message_id + 1;
  if (next_message_id_.load() < next) next_message_id_.store(next);
  // The store's bodies take their ids with them, so a delivery restored here and acknowledged
  // later names the same body. Nothing else runs yet, so writing persist_id races with nothing.
  auto body = [&state](persist::MessageId id) -> MessagePtr {
    auto it = state.messages.find(id);
    if (it == state.messages.end() || !it->second.message) return nullptr;
    it->second.message->persist_id = id;
    return it->second.message;
  };

  std::size_t subscriptions = 0, expired = 0, refused = 0;
  unsigned next_owner = 0;
  for (auto& [client_id, saved] : state.sessions) {
    // A session still attached when the broker stopped (or crashed) counts as detached now, and
    // the store is told so that a second restart does not start its expiry over.
    auto detached_ms = saved.detached_unix_ms;
    if (detached_ms == 0) {
      detached_ms = wall_ms;
      if (persistence_) persistence_->append(persist::SessionDetached{client_id, wall_ms});
    }
    auto away = std::chrono::milliseconds(std::max<std::int64_t>(0, wall_ms - detached_ms));
    if (away > options_.session_expiry) {  // expired while the broker was down
      if (persistence_) persistence_->append(persist::SessionEnded{client_id});
      ++expired;
      continue;
    }
    auto s = std::make_shared<Session>(client_id, false, next_owner++ % workers_.size());
    s->set_store(persistence_.get());
    s->owner_known = saved.owner_known;
    s->owner_user = saved.owner;
    s->restore(saved, body, now - away);
    // Checked as a SUBSCRIBE is: a journal an older build wrote may hold filters deeper, longer
    // or more than today's limits allow, and rebuilding them blindly would cost what the limits
    // exist to prevent. The store is told, so it forgets them too.
    for (auto& [filter, qos] : saved.subscriptions) {
      if (within_limits(filter, options_.topics) &&
          s->add_subscription(filter, qos, options_.max_subscriptions_per_client, options_.max_subscription_bytes)) {
        tree_.subscribe(filter, s, qos);
        ++subscriptions;
      } else {
        ++refused;
        if (persistence_) persistence_->append(persist::Unsubscribed{client_id, filter});
      }
    }
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(s->client_id, s);  // restored into an empty broker: no id is there yet
  }
  std::size_t retained = 0;
  for (auto& [topic, id] : state.retained) {
    auto m = body(id);
    if (!m) continue;
    if (retained_.update(m) == RetainedStore::Update::stored) {
      ++retained;
    } else {
      ++refused;
      if (persistence_) persistence_->append(persist::RetainCleared{topic});
    }
  }
  if (refused > 0)
    log_->warn(
        "restore: {} stored subscriptions or retained messages are over today's limits "
        "(limits.max_topic_levels, max_topic_length, max_subscriptions, "
        "max_subscription_bytes, max_retained, max_retained_payload) and were dropped",
        refused);
  log_->info(
      "restored sessions={} (expired while stopped={}) subscriptions={} messages queued or "
      "in flight={} retained={} stored bytes={}",
      state.sessions.size() - expired, expired, subscriptions, state.queued_count(), retained, state.stored_bytes());
}

}  // namespace broker
