#pragma once
// A client's MQTT session: subscriptions, QoS 1/2 messages in flight both ways, and the queue of
// messages waiting for the client. It outlives its connection when clean_session is 0.
//
// THREADING: a session is owned by one worker at a time (`owner`). Only code running on that
// worker touches anything below the "owner-only" line; everything else reaches the session with
// Broker::run_on_owner(). `client_id` and `clean` never change; `owner` is atomic and changes
// only on the current owner's thread (at takeover), after which that thread stops touching it.
// `online` is written by the owner and read by the routing thread (the store limit), a hint only.
//
// PERSISTENCE: a persistent session given a store (set_store, before it is shared) appends what
// happens to its QoS 1/2 deliveries there (sent, released, completed, dropped) and its incoming
// QoS 2 ids; the broker appends the rest (creation, subscriptions, enqueues). A delivery is in the
// store when its message has a persist_id and its QoS is 1 or 2: the broker enqueued it there.
//
// PACING: what the session sends on its own (the in-flight window again after a reconnect, the
// queue, new QoS 1/2 messages) goes out only while the connection's unwritten bytes stay under
// half of max_write_queue_bytes (one message always goes when nothing waits); the rest waits here
// and resume() sends more as writes complete. So a backlog larger than the write cap (8 x 1 MB
// unacknowledged, or a full offline queue) never makes the session close its own connection.
// Live QoS 0 still goes straight to the connection, where the write cap cuts a slow consumer off.
//
// A sink may close (and detach) inside any send: every loop that sends re-checks sink_ and
// pending_ after each one.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/message.hpp"
#include "broker/persisted_state.hpp"
#include "common/clock.hpp"

namespace broker {

struct BrokerOptions;

// The connection side of an attached session (implemented by Connection).
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  virtual void send_publish(const MessagePtr& m, std::uint8_t qos, bool retain, bool dup, std::uint16_t packet_id) = 0;
  virtual void send_pubrel(std::uint16_t packet_id) = 0;
  // Bytes handed to the connection and not yet written: the session paces its QoS 1/2 traffic
  // and its queue by it (see Session, PACING).
  virtual std::size_t write_backlog() const = 0;
  // Closes the connection because another one took the session over (no will).
  virtual void taken_over() = 0;
};

class Session {
 public:
  Session(std::string client_id, bool clean, unsigned owner);

  // Ordered so the small fields share words: every session of an idle fleet carries them.
  const std::string client_id;
  const bool clean;
  std::atomic<bool> online{false};
  std::atomic<unsigned> owner;

  // The username that created the session (nullopt: a client without one). Read and written only
  // under the broker's sessions lock (Broker::open_session). `owner_known` is false for a session
  // restored from a journal that predates SessionOwned: the first user to resume it claims it.
  std::optional<std::string> owner_user;
  bool owner_known = true;

  void set_store(Persistence* store) { store_ = store; }
  Persistence* store() const { return store_; }

  // ---- owner-only ----
  SessionSink* sink() const { return sink_; }
  // Attaches a connection and sends it what it missed: in-flight messages again (DUP, or PUBREL
  // for QoS 2 already received), then the queue up to the in-flight window.
  void attach(SessionSink* sink, const BrokerOptions& opt);
  // The connection wrote what it had: send what pacing held back.
  void resume(const BrokerOptions& opt);
  // `unix_ms` is `now` on the wall clock, what the store keeps for expiry across a restart.
  void detach(common::Clock::time_point now, std::int64_t unix_ms);
  // Rebuilds what the store held (at start, before any worker runs); `body` finds a message.
  void restore(const PersistedState::Session& saved, const std::function<MessagePtr(persist::MessageId)>& body,
               common::Clock::time_point detached_at);
  common::Clock::time_point detached_at() const { return detached_at_; }

  // A message for this session at the delivery QoS (already downgraded to the subscription's).
  // False when the session's limits refused it (queue full, or QoS 0 while offline): the caller
  // counts those as dropped.
  bool deliver(const MessagePtr& m, std::uint8_t qos, bool retain, const BrokerOptions& opt);

  // Acknowledgements from the client. Unknown ids are ignored (a resend after reconnect may ack a
  // message twice). Each freed in-flight slot takes the next queued message.
  void on_puback(std::uint16_t id, const BrokerOptions& opt);
  void on_pubrec(std::uint16_t id);
  void on_pubcomp(std::uint16_t id, const BrokerOptions& opt);

  // QoS 2 from the client: true the first time an id is seen (route it), false for a duplicate.
  bool begin_incoming_qos2(std::uint16_t id);
  // True when this appended a record to the store (the PUBCOMP then waits for it).
  bool end_incoming_qos2(std::uint16_t id);

  // Subscriptions as the session knows them; the SubscriptionTree has the routing copy.
  // Returns false when the filter is new and the session already holds `max` of them, or they
  // would then hold more than `max_bytes` (SubscriptionTree::footprint of each).
  bool add_subscription(const std::string& filter, std::uint8_t qos, std::size_t max, std::size_t max_bytes);
  bool remove_subscription(const std::string& filter);
  const std::vector<std::pair<std::string, std::uint8_t>>& subscriptions() const { return subs_; }
  std::size_t subscription_bytes() const { return subscription_bytes_; }
  // Ends the session for good (takeover by a clean session, expiry): drops queued state.
  void clear();
  bool dead() const { return dead_; }
  void mark_dead() { dead_ = true; }

  std::size_t inflight_count() const { return pending_ ? pending_->inflight.size() : 0; }
  std::size_t queued_count() const { return pending_ ? pending_->queue.size() : 0; }

 private:
  struct Outgoing {
    MessagePtr message;
    std::uint16_t packet_id;
    std::uint8_t qos;
    bool retain;
    bool released;   // QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP
    bool persisted;  // in the store: its acknowledgements are recorded
  };
  struct Queued {
    MessagePtr message;
    std::uint8_t qos;
    bool retain;
  };

  // Messages on their way, either direction. Allocated when the first one appears and freed when
  // the last is done, so an idle session (the fleet's usual state) carries only a null pointer.
  struct Pending {
    std::vector<Outgoing> inflight;  // in send order; at most max_inflight entries
    // inflight[resend_next..] have not been sent again on the current connection yet.
    std::size_t resend_next = 0;
    std::deque<Queued> queue;
    std::size_t queued_bytes = 0;
    std::vector<std::uint16_t> incoming_qos2;  // ids received at QoS 2, awaiting PUBREL
    bool empty() const { return inflight.empty() && queue.empty() && incoming_qos2.empty(); }
  };

  Pending& pending();
  void release_if_idle();
  std::uint16_t next_packet_id();
  void send_new(const MessagePtr& m, std::uint8_t qos, bool retain);
  bool persisted(const MessagePtr& m, std::uint8_t qos) const { return store_ && qos > 0 && m->persist_id != 0; }
  // True when `bytes` more may go to the sink now (PACING).
  bool room_for(std::size_t bytes, const BrokerOptions& opt) const;
  bool resend_done() const { return !pending_ || pending_->resend_next >= pending_->inflight.size(); }
  void drain_queue(const BrokerOptions& opt);
  bool enqueue(const MessagePtr& m, std::uint8_t qos, bool retain, const BrokerOptions& opt);
  // Removes the first in-flight message `matches` accepts and refills the window.
  template <typename Pred>
  bool complete_inflight(Pred matches, const BrokerOptions& opt);

  SessionSink* sink_ = nullptr;
  Persistence* store_ = nullptr;
  std::unique_ptr<Pending> pending_;
  std::vector<std::pair<std::string, std::uint8_t>> subs_;
  common::Clock::time_point detached_at_{};
  std::uint16_t last_packet_id_ = 0;
  bool dead_ = false;
  std::uint32_t subscription_bytes_ = 0;  // in the word last_packet_id_ and dead_ leave half empty
};

}  // namespace broker
