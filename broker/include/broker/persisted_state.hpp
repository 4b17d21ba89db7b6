#pragma once
// What the persistence records (persistence.hpp) add up to: the state a restarted broker
// restores, and what a store compacts its log down to. Replaying any prefix of a valid record
// sequence gives a consistent state, so a store whose tail was torn by a crash loads the state as
// of its last whole record.
//
// Tolerant by design: a record naming a session or packet id the state does not hold is ignored
// (a delivery routed to a session while it was being ended, an acknowledgement repeated after a
// reconnect), never an error, because those races are legal in the live broker.
//
// Not thread-safe: one owner (the store's writer thread, or the broker at start).
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/persistence.hpp"

namespace broker {

struct PersistedState {
  struct Outgoing {
    persist::MessageId id = 0;  // 0 once released (QoS 2 waiting for PUBCOMP needs no body)
    std::uint8_t qos = 1;
    bool retain = false;
    std::uint16_t packet_id = 0;  // 0: still queued
    bool released = false;
  };
  struct Session {
    std::vector<std::pair<std::string, std::uint8_t>> subscriptions;  // in subscribe order
    // In flight first, in send order, then queued, oldest first: the order to resend and drain.
    std::deque<Outgoing> outgoing;
    std::vector<std::uint16_t> incoming_qos2;
    std::int64_t detached_unix_ms = 0;  // 0: a connection was attached at the last record
    bool owner_known = false;           // false: a journal older than SessionOwned
    std::optional<std::string> owner;
  };
  struct Body {
    MessagePtr message;
    std::uint32_t refs = 0;
    bool stale = false;  // unreferenced at the last drop_unreferenced(true)
  };

  std::unordered_map<std::string, Session> sessions;
  std::unordered_map<persist::MessageId, Body> messages;
  std::map<std::string, persist::MessageId> retained;  // topic -> body
  persist::MessageId max_message_id = 0;

  void apply(const persist::Record& record);
  // Forgets bodies nothing refers to: a body whose enqueue was ignored (its session ended
  // meanwhile) or never reached the store. At load, all of them. A live store compacting between
  // two records of one route (the body is appended just before its enqueues) passes only_stale:
  // then a body goes only when it was already unreferenced at the previous call.
  void drop_unreferenced(bool only_stale = false);

  // Records that rebuild this state from nothing, bodies before their first reference.
  void for_each_record(const std::function<void(const persist::Record&)>& fn) const;

  // Topic and payload bytes of the bodies held.
  std::uint64_t stored_bytes() const { return stored_bytes_; }
  std::size_t queued_count() const;

 private:
  void ref(persist::MessageId id);
  void unref(persist::MessageId id);
  void end_session(const std::string& client_id);
  std::uint64_t stored_bytes_ = 0;
};

}  // namespace broker
