#include "broker/persisted_state.hpp"

#include <algorithm>
#include <type_traits>

namespace broker {

using namespace persist;

namespace {
template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

std::uint64_t body_size(const MessagePtr& m) { return m ? m->topic.size() + m->payload.size() : 0; }
}  // namespace

void PersistedState::ref(MessageId id) {
  auto it = messages.find(id);
  if (it != messages.end()) {
    ++it->second.refs;
    it->second.stale = false;
  }
}

void PersistedState::unref(MessageId id) {
  auto it = messages.find(id);
  if (it == messages.end() || it->second.refs == 0) return;
  if (--it->second.refs == 0) {
    stored_bytes_ -= body_size(it->second.message);
    messages.erase(it);
  }
}

void PersistedState::end_session(const std::string& client_id) {
  auto it = sessions.find(client_id);
  if (it == sessions.end()) return;
  for (auto& o : it->second.outgoing) unref(o.id);
  sessions.erase(it);
}

void PersistedState::apply(const Record& record) {
  // Records naming a session the state does not hold are dropped: see the header.
  auto session = [this](const std::string& id) -> Session* {
    auto it = sessions.find(id);
    return it == sessions.end() ? nullptr : &it->second;
  };
  std::visit(
      Overloaded{
          [&](const SessionCreated& r) {
            end_session(r.client_id);
            sessions.emplace(r.client_id, Session{});
          },
          [&](const SessionEnded& r) { end_session(r.client_id); },
          [&](const SessionOwned& r) {
            if (auto* s = session(r.client_id)) {
              s->owner_known = true;
              s->owner = r.named ? std::optional<std::string>(r.username) : std::nullopt;
            }
          },
          [&](const SessionAttached& r) {
            if (auto* s = session(r.client_id)) s->detached_unix_ms = 0;
          },
          [&](const SessionDetached& r) {
            if (auto* s = session(r.client_id)) s->detached_unix_ms = r.unix_ms;
          },
          [&](const Subscribed& r) {
            auto* s = session(r.client_id);
            if (!s) return;
            for (auto& sub : s->subscriptions) {
              if (sub.first == r.filter) {
                sub.second = r.qos;
                return;
              }
            }
            s->subscriptions.emplace_back(r.filter, r.qos);
          },
          [&](const Unsubscribed& r) {
            auto* s = session(r.client_id);
            if (!s) return;
            auto& subs = s->subscriptions;
            subs.erase(std::remove_if(subs.begin(), subs.end(), [&](auto& sub) { return sub.first == r.filter; }),
                       subs.end());
          },
          [&](const MessageStored& r) {
            max_message_id = std::max(max_message_id, r.id);
            if (!r.message || messages.count(r.id)) return;
            messages.emplace(r.id, Body{r.message, 0, false});
            stored_bytes_ += body_size(r.message);
          },
          [&](const Enqueued& r) {
            auto* s = session(r.client_id);
            if (!s || !messages.count(r.id)) return;
            s->outgoing.push_back({r.id, r.qos, r.retain, 0, false});
            ref(r.id);
          },
          [&](const Sent& r) {
            auto* s = session(r.client_id);
            if (!s || r.packet_id == 0) return;
            auto& out = s->outgoing;
            auto first_queued =
                std::find_if(out.begin(), out.end(), [](const Outgoing& o) { return o.packet_id == 0; });
            auto it = std::find_if(first_queued, out.end(),
                                   [&](const Outgoing& o) { return o.packet_id == 0 && o.id == r.id; });
            if (it == out.end()) return;
            it->packet_id = r.packet_id;
            // In flight goes before every queued entry; usually it already is the first queued.
            std::rotate(first_queued, it, it + 1);
          },
          [&](const Released& r) {
            auto* s = session(r.client_id);
            if (!s) return;
            for (auto& o : s->outgoing) {
              if (o.packet_id == r.packet_id && o.qos == 2) {
                o.released = true;
                return;
              }
            }
          },
          [&](const Completed& r) {
            auto* s = session(r.client_id);
            if (!s || r.packet_id == 0) return;
            auto& out = s->outgoing;
            auto it =
                std::find_if(out.begin(), out.end(), [&](const Outgoing& o) { return o.packet_id == r.packet_id; });
            if (it == out.end()) return;
            auto id = it->id;
            out.erase(it);
            unref(id);
          },
          [&](const Dropped& r) {
            auto* s = session(r.client_id);
            if (!s) return;
            auto& out = s->outgoing;
            auto it = std::find_if(out.begin(), out.end(),
                                   [&](const Outgoing& o) { return o.packet_id == 0 && o.id == r.id; });
            if (it == out.end()) return;
            out.erase(it);
            unref(r.id);
          },
          [&](const IncomingQos2& r) {
            auto* s = session(r.client_id);
            if (!s) return;
            auto& ids = s->incoming_qos2;
            if (std::find(ids.begin(), ids.end(), r.packet_id) == ids.end()) ids.push_back(r.packet_id);
          },
          [&](const IncomingQos2Done& r) {
            auto* s = session(r.client_id);
            if (!s) return;
            auto& ids = s->incoming_qos2;
            ids.erase(std::remove(ids.begin(), ids.end(), r.packet_id), ids.end());
          },
          [&](const RetainSet& r) {
            if (!messages.count(r.id)) return;
            auto it = retained.find(r.topic);
            if (it != retained.end()) {
              auto old = it->second;
              it->second = r.id;
              ref(r.id);
              unref(old);
            } else {
              retained.emplace(r.topic, r.id);
              ref(r.id);
            }
          },
          [&](const RetainCleared& r) {
            auto it = retained.find(r.topic);
            if (it == retained.end()) return;
            auto id = it->second;
            retained.erase(it);
            unref(id);
          },
      },
      record);
}

void PersistedState::drop_unreferenced(bool only_stale) {
  for (auto it = messages.begin(); it != messages.end();) {
    auto& body = it->second;
    if (body.refs == 0 && (!only_stale || body.stale)) {
      stored_bytes_ -= body_size(body.message);
      it = messages.erase(it);
      continue;
    }
    if (body.refs == 0) body.stale = true;
    ++it;
  }
}

void PersistedState::for_each_record(const std::function<void(const Record&)>& fn) const {
  // Every body first (unreferenced ones too: an enqueue for them may still be on its way, see
  // drop_unreferenced), then what refers to them.
  for (auto& [id, body] : messages) fn(MessageStored{id, body.message});
  // The highest id may belong to a body already gone; a bodiless record keeps the numbering
  // above it, so ids stay unique across compactions and restarts.
  if (max_message_id && !messages.count(max_message_id)) fn(MessageStored{max_message_id, nullptr});
  for (auto& [client_id, s] : sessions) {
    fn(SessionCreated{client_id});
    if (s.owner_known) fn(SessionOwned{client_id, s.owner.value_or(""), s.owner.has_value()});
    for (auto& [filter, qos] : s.subscriptions) fn(Subscribed{client_id, filter, qos});
    for (auto& o : s.outgoing) {
      fn(Enqueued{client_id, o.id, o.qos, o.retain});
      if (o.packet_id) fn(Sent{client_id, o.id, o.packet_id});
      if (o.released) fn(Released{client_id, o.packet_id});
    }
    for (auto id : s.incoming_qos2) fn(IncomingQos2{client_id, id});
    if (s.detached_unix_ms) fn(SessionDetached{client_id, s.detached_unix_ms});
  }
  for (auto& [topic, id] : retained) fn(RetainSet{topic, id});
}

std::size_t PersistedState::queued_count() const {
  std::size_t n = 0;
  for (auto& [id, s] : sessions) n += s.outgoing.size();
  return n;
}

}  // namespace broker
