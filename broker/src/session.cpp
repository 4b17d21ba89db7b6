#include "broker/session.hpp"

#include <algorithm>

#include "broker/options.hpp"
#include "broker/subscription_tree.hpp"

namespace broker {

Session::Session(std::string id, bool clean_session, unsigned owner_worker)
    : client_id(std::move(id)), clean(clean_session), owner(owner_worker) {}

Session::Pending& Session::pending() {
  if (!pending_) pending_ = std::make_unique<Pending>();
  return *pending_;
}

void Session::release_if_idle() {
  if (pending_ && pending_->empty()) pending_.reset();
}

void Session::attach(SessionSink* sink, const BrokerOptions& opt) {
  sink_ = sink;
  online.store(true, std::memory_order_relaxed);
  if (store_) store_->append(persist::SessionAttached{client_id});
  if (pending_) pending_->resend_next = 0;  // the whole window goes again on this connection
  resume(opt);
}

void Session::resume(const BrokerOptions& opt) {
  // In-flight messages again first (DUP, or PUBREL for QoS 2 already received), in their order.
  while (sink_ && pending_ && pending_->resend_next < pending_->inflight.size()) {
    // A copy: the send may close the connection, and a clean session then clears pending_.
    Outgoing o = pending_->inflight[pending_->resend_next];
    if (!room_for(o.released ? 4 : o.message->topic.size() + o.message->payload.size(), opt)) return;
    ++pending_->resend_next;
    if (o.released) sink_->send_pubrel(o.packet_id);
    else sink_->send_publish(o.message, o.qos, o.retain, /*dup=*/true, o.packet_id);
  }
  drain_queue(opt);
}

bool Session::room_for(std::size_t bytes, const BrokerOptions& opt) const {
  auto backlog = sink_->write_backlog();
  return backlog == 0 || backlog + bytes <= opt.max_write_queue_bytes / 2;
}

void Session::detach(common::Clock::time_point now, std::int64_t unix_ms) {
  sink_ = nullptr;
  online.store(false, std::memory_order_relaxed);
  detached_at_ = now;
  if (store_ && !dead_) store_->append(persist::SessionDetached{client_id, unix_ms});
}

void Session::restore(const PersistedState::Session& saved, const std::function<MessagePtr(persist::MessageId)>& body,
                      common::Clock::time_point detached_at) {
  detached_at_ = detached_at;
  // The subscriptions come back one by one through Broker::restore, checked against today's
  // limits (an older build may have stored deeper or more).
  for (auto& o : saved.outgoing) {
    auto m = body(o.id);
    if (o.packet_id != 0) {
      if (!m && !o.released) continue;  // a body the store lost: nothing to resend
      pending().inflight.push_back({o.released ? nullptr : m, o.packet_id, o.qos, o.retain, o.released, true});
      last_packet_id_ = std::max(last_packet_id_, o.packet_id);
    } else if (m) {
      pending().queue.push_back({m, o.qos, o.retain});
      pending_->queued_bytes += m->topic.size() + m->payload.size();
    }
  }
  for (auto id : saved.incoming_qos2) pending().incoming_qos2.push_back(id);
  release_if_idle();
}

std::uint16_t Session::next_packet_id() {
  // Skip ids still in flight; the window is far smaller than 65535, so this terminates quickly.
  auto& inflight = pending().inflight;
  while (true) {
    last_packet_id_ = static_cast<std::uint16_t>(last_packet_id_ == 65535 ? 1 : last_packet_id_ + 1);
    auto id = last_packet_id_;
    if (std::none_of(inflight.begin(), inflight.end(), [id](const Outgoing& o) { return o.packet_id == id; }))
      return id;
  }
}

void Session::send_new(const MessagePtr& m, std::uint8_t qos, bool retain) {
  auto id = next_packet_id();
  bool in_store = persisted(m, qos);
  pending_->inflight.push_back({m, id, qos, retain, false, in_store});
  pending_->resend_next = pending_->inflight.size();  // only called once the resends are done
  if (in_store) store_->append(persist::Sent{client_id, m->persist_id, id});
  sink_->send_publish(m, qos, retain, false, id);
}

bool Session::enqueue(const MessagePtr& m, std::uint8_t qos, bool retain, const BrokerOptions& opt) {
  auto size = m->topic.size() + m->payload.size();
  auto& p = pending();
  if (p.queue.size() >= opt.max_queued_messages || p.queued_bytes + size > opt.max_queued_bytes) {
    if (persisted(m, qos)) store_->append(persist::Dropped{client_id, m->persist_id});
    release_if_idle();
    return false;
  }
  p.queue.push_back({m, qos, retain});
  p.queued_bytes += size;
  return true;
}

bool Session::deliver(const MessagePtr& m, std::uint8_t qos, bool retain, const BrokerOptions& opt) {
  if (dead_) {
    // Enqueued in the store by a route that raced with the end of this session: take it out
    // again in case a new session of the same id has been created there since.
    if (persisted(m, qos)) store_->append(persist::Dropped{client_id, m->persist_id});
    return true;  // the session is gone, not full
  }
  if (sink_) {
    if (qos == 0) {
      sink_->send_publish(m, 0, retain, false, 0);
      return true;
    }
    if (inflight_count() < opt.max_inflight && queued_count() == 0 && resend_done() &&
        room_for(m->topic.size() + m->payload.size(), opt)) {
      pending();
      send_new(m, qos, retain);
      return true;
    }
    return enqueue(m, qos, retain, opt);
  }
  if (qos == 0 && !opt.queue_qos0_offline) return false;
  return enqueue(m, qos, retain, opt);
}

void Session::drain_queue(const BrokerOptions& opt) {
  if (!resend_done()) return;  // new ids only after the old window went out again
  while (sink_ && pending_ && !pending_->queue.empty()) {
    auto& q = pending_->queue.front();
    if (q.qos > 0 && pending_->inflight.size() >= opt.max_inflight) break;
    auto size = q.message->topic.size() + q.message->payload.size();
    if (!room_for(size, opt)) break;
    auto item = std::move(q);
    pending_->queue.pop_front();
    pending_->queued_bytes -= size;
    if (item.qos == 0) sink_->send_publish(item.message, 0, item.retain, false, 0);
    else send_new(item.message, item.qos, item.retain);
  }
  release_if_idle();
}

template <typename Pred>
bool Session::complete_inflight(Pred matches, const BrokerOptions& opt) {
  if (!pending_) return false;
  auto& inflight = pending_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(), matches);
  if (it == inflight.end()) return false;
  if (it->persisted) store_->append(persist::Completed{client_id, it->packet_id});
  // An ack may come for a message not sent again yet (the client had it from the last connection).
  if (static_cast<std::size_t>(it - inflight.begin()) < pending_->resend_next) --pending_->resend_next;
  inflight.erase(it);
  resume(opt);  // the freed slot takes the next queued message
  return true;
}

void Session::on_puback(std::uint16_t id, const BrokerOptions& opt) {
  complete_inflight([id](const Outgoing& o) { return o.packet_id == id && o.qos == 1; }, opt);
}

void Session::on_pubrec(std::uint16_t id) {
  if (pending_) {
    for (auto& o : pending_->inflight) {
      if (o.packet_id == id && o.qos == 2) {
        if (o.persisted && !o.released) store_->append(persist::Released{client_id, id});
        o.released = true;
        o.message.reset();  // the payload is delivered; only the id is left to complete
        break;
      }
    }
  }
  // PUBREL is sent even for an unknown id so a client retrying after our restart can finish.
  if (sink_) sink_->send_pubrel(id);
}

void Session::on_pubcomp(std::uint16_t id, const BrokerOptions& opt) {
  complete_inflight([id](const Outgoing& o) { return o.packet_id == id && o.released; }, opt);
}

bool Session::begin_incoming_qos2(std::uint16_t id) {
  auto& ids = pending().incoming_qos2;
  if (std::find(ids.begin(), ids.end(), id) != ids.end()) return false;
  ids.push_back(id);
  if (store_) store_->append(persist::IncomingQos2{client_id, id});
  return true;
}

bool Session::end_incoming_qos2(std::uint16_t id) {
  if (!pending_) return false;
  auto& ids = pending_->incoming_qos2;
  auto it = std::find(ids.begin(), ids.end(), id);
  bool appended = false;
  if (it != ids.end()) {
    *it = ids.back();
    ids.pop_back();
    if (store_) {
      store_->append(persist::IncomingQos2Done{client_id, id});
      appended = true;
    }
  }
  release_if_idle();
  return appended;
}

bool Session::add_subscription(const std::string& filter, std::uint8_t qos, std::size_t max, std::size_t max_bytes) {
  for (auto& s : subs_) {
    if (s.first == filter) {
      s.second = qos;
      return true;
    }
  }
  auto bytes = SubscriptionTree::footprint(filter);
  max_bytes = std::min<std::size_t>(max_bytes, UINT32_MAX);  // what subscription_bytes_ holds
  if (subs_.size() >= max || subscription_bytes_ + bytes > max_bytes) return false;
  subs_.emplace_back(filter, qos);
  subscription_bytes_ += static_cast<std::uint32_t>(bytes);
  return true;
}

bool Session::remove_subscription(const std::string& filter) {
  auto it = std::find_if(subs_.begin(), subs_.end(), [&](auto& s) { return s.first == filter; });
  if (it == subs_.end()) return false;
  subscription_bytes_ -= static_cast<std::uint32_t>(SubscriptionTree::footprint(filter));
  subs_.erase(it);
  return true;
}

void Session::clear() {
  pending_.reset();
  subs_.clear();
  subscription_bytes_ = 0;
}

}  // namespace broker
