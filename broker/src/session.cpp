#include "broker/session.hpp"

#include <algorithm>

#include "broker/options.hpp"

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
  if (!pending_) return;
  for (auto& o : pending_->inflight) {
    if (o.released)
      sink_->send_pubrel(o.packet_id);
    else
      sink_->send_publish(o.message, o.qos, o.retain, /*dup=*/true, o.packet_id);
  }
  drain_queue(opt);
}

void Session::detach(Clock::time_point now) {
  sink_ = nullptr;
  detached_at_ = now;
}

std::uint16_t Session::next_packet_id() {
  // Skip ids still in flight; the window is far smaller than 65535, so this terminates quickly.
  auto& inflight = pending().inflight;
  while (true) {
    last_packet_id_ = static_cast<std::uint16_t>(last_packet_id_ == 65535 ? 1 : last_packet_id_ + 1);
    auto id = last_packet_id_;
    if (std::none_of(inflight.begin(), inflight.end(),
                     [id](const Outgoing& o) { return o.packet_id == id; }))
      return id;
  }
}

void Session::send_new(const MessagePtr& m, std::uint8_t qos, bool retain) {
  auto id = next_packet_id();
  pending_->inflight.push_back({m, id, qos, retain, false});
  sink_->send_publish(m, qos, retain, false, id);
}

void Session::enqueue(const MessagePtr& m, std::uint8_t qos, bool retain, const BrokerOptions& opt) {
  auto size = m->topic.size() + m->payload.size();
  auto& p = pending();
  if (p.queue.size() >= opt.max_queued_messages || p.queued_bytes + size > opt.max_queued_bytes) {
    ++dropped_;
    release_if_idle();
    return;
  }
  p.queue.push_back({m, qos, retain});
  p.queued_bytes += size;
}

void Session::deliver(const MessagePtr& m, std::uint8_t qos, bool retain, const BrokerOptions& opt) {
  if (dead_) return;
  if (sink_) {
    if (qos == 0) {
      sink_->send_publish(m, 0, retain, false, 0);
      return;
    }
    if (inflight_count() < opt.max_inflight && queued_count() == 0) {
      pending();
      send_new(m, qos, retain);
      return;
    }
    enqueue(m, qos, retain, opt);
    return;
  }
  if (qos == 0 && !opt.queue_qos0_offline) {
    ++dropped_;
    return;
  }
  enqueue(m, qos, retain, opt);
}

void Session::drain_queue(const BrokerOptions& opt) {
  if (!pending_) return;
  auto& queue = pending_->queue;
  while (sink_ && !queue.empty()) {
    auto& q = queue.front();
    if (q.qos > 0 && pending_->inflight.size() >= opt.max_inflight) break;
    auto item = std::move(q);
    queue.pop_front();
    pending_->queued_bytes -= item.message->topic.size() + item.message->payload.size();
    if (item.qos == 0)
      sink_->send_publish(item.message, 0, item.retain, false, 0);
    else
      send_new(item.message, item.qos, item.retain);
  }
  release_if_idle();
}

template <typename Pred>
bool Session::complete_inflight(Pred matches, const BrokerOptions& opt) {
  if (!pending_) return false;
  auto& inflight = pending_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(), matches);
  if (it == inflight.end()) return false;
  inflight.erase(it);
  drain_queue(opt);  // the freed slot takes the next queued message
  return true;
}

void Session::on_puback(std::uint16_t id, const BrokerOptions& opt) {
  complete_inflight([id](const Outgoing& o) { return o.packet_id == id && o.qos == 1; }, opt);
}

void Session::on_pubrec(std::uint16_t id) {
  if (pending_) {
    for (auto& o : pending_->inflight) {
      if (o.packet_id == id && o.qos == 2) {
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
  return true;
}

void Session::end_incoming_qos2(std::uint16_t id) {
  if (!pending_) return;
  auto& ids = pending_->incoming_qos2;
  auto it = std::find(ids.begin(), ids.end(), id);
  if (it != ids.end()) {
    *it = ids.back();
    ids.pop_back();
  }
  release_if_idle();
}

bool Session::add_subscription(const std::string& filter, std::uint8_t qos, std::size_t max) {
  for (auto& s : subs_) {
    if (s.first == filter) {
      s.second = qos;
      return true;
    }
  }
  if (subs_.size() >= max) return false;
  subs_.emplace_back(filter, qos);
  return true;
}

bool Session::remove_subscription(const std::string& filter) {
  auto it = std::find_if(subs_.begin(), subs_.end(), [&](auto& s) { return s.first == filter; });
  if (it == subs_.end()) return false;
  subs_.erase(it);
  return true;
}

void Session::clear() {
  pending_.reset();
  subs_.clear();
}

}  // namespace broker
