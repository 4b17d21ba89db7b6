#include "broker/session.hpp"

#include <algorithm>

#include "broker/options.hpp"

namespace broker {

Session::Session(std::string id, bool clean_session, unsigned owner_worker)
    : client_id(std::move(id)), clean(clean_session), owner(owner_worker) {}

void Session::attach(SessionSink* sink, const BrokerOptions& opt) {
  sink_ = sink;
  for (auto& o : inflight_) {
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
  while (true) {
    last_packet_id_ = static_cast<std::uint16_t>(last_packet_id_ == 65535 ? 1 : last_packet_id_ + 1);
    auto id = last_packet_id_;
    if (std::none_of(inflight_.begin(), inflight_.end(),
                     [id](const Outgoing& o) { return o.packet_id == id; }))
      return id;
  }
}

void Session::send_new(const MessagePtr& m, std::uint8_t qos, bool retain) {
  auto id = next_packet_id();
  inflight_.push_back({m, id, qos, retain, false});
  sink_->send_publish(m, qos, retain, false, id);
}

void Session::enqueue(const MessagePtr& m, std::uint8_t qos, bool retain, const BrokerOptions& opt) {
  auto size = m->topic.size() + m->payload.size();
  if (queued_count() >= opt.max_queued_messages || queued_bytes_ + size > opt.max_queued_bytes) {
    ++dropped_;
    return;
  }
  if (!queue_) queue_ = std::make_unique<std::deque<Queued>>();
  queue_->push_back({m, qos, retain});
  queued_bytes_ += size;
}

void Session::deliver(const MessagePtr& m, std::uint8_t qos, bool retain, const BrokerOptions& opt) {
  if (dead_) return;
  if (sink_) {
    if (qos == 0) {
      sink_->send_publish(m, 0, retain, false, 0);
      return;
    }
    if (inflight_.size() < opt.max_inflight && queued_count() == 0) {
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
  if (!queue_) return;
  while (sink_ && !queue_->empty()) {
    auto& q = queue_->front();
    if (q.qos > 0 && inflight_.size() >= opt.max_inflight) break;
    auto item = std::move(q);
    queue_->pop_front();
    queued_bytes_ -= item.message->topic.size() + item.message->payload.size();
    if (item.qos == 0)
      sink_->send_publish(item.message, 0, item.retain, false, 0);
    else
      send_new(item.message, item.qos, item.retain);
  }
  if (queue_->empty()) queue_.reset();
}

void Session::erase_inflight(std::uint16_t id) {
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [id](const Outgoing& o) { return o.packet_id == id; });
  if (it != inflight_.end()) inflight_.erase(it);
  if (inflight_.empty()) inflight_.shrink_to_fit();
}

void Session::on_puback(std::uint16_t id, const BrokerOptions& opt) {
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [id](const Outgoing& o) { return o.packet_id == id && o.qos == 1; });
  if (it == inflight_.end()) return;
  erase_inflight(id);
  drain_queue(opt);
}

void Session::on_pubrec(std::uint16_t id) {
  for (auto& o : inflight_) {
    if (o.packet_id == id && o.qos == 2) {
      o.released = true;
      o.message.reset();  // the payload is delivered; only the id is left to complete
      break;
    }
  }
  // PUBREL is sent even for an unknown id so a client retrying after our restart can finish.
  if (sink_) sink_->send_pubrel(id);
}

void Session::on_pubcomp(std::uint16_t id, const BrokerOptions& opt) {
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [id](const Outgoing& o) { return o.packet_id == id && o.released; });
  if (it == inflight_.end()) return;
  erase_inflight(id);
  drain_queue(opt);
}

bool Session::begin_incoming_qos2(std::uint16_t id) {
  if (std::find(incoming_qos2_.begin(), incoming_qos2_.end(), id) != incoming_qos2_.end())
    return false;
  incoming_qos2_.push_back(id);
  return true;
}

void Session::end_incoming_qos2(std::uint16_t id) {
  auto it = std::find(incoming_qos2_.begin(), incoming_qos2_.end(), id);
  if (it != incoming_qos2_.end()) {
    *it = incoming_qos2_.back();
    incoming_qos2_.pop_back();
  }
  if (incoming_qos2_.empty()) incoming_qos2_.shrink_to_fit();
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
  inflight_.clear();
  queue_.reset();
  queued_bytes_ = 0;
  incoming_qos2_.clear();
  subs_.clear();
}

}  // namespace broker
