#pragma once
// Persistence of what must survive a restart: persistent (clean session 0) sessions with their
// subscriptions and their QoS 1/2 messages queued or in flight in both directions, and retained
// messages. Clean sessions and QoS 0 stay in memory only.
//
// Design: the broker describes each change to that state as a small Record, at the moment it
// happens, and a Persistence appends it (storage/ implements one as a journal with group
// commit). At start the records are replayed into a PersistedState (persisted_state.hpp), the
// one place that gives records their meaning; storage/ only moves bytes and uses the same
// PersistedState to compact. Nothing is snapshotted on a timer, so nothing that came in between
// two snapshots is lost.
//
// ORDERING: records appended by one thread keep their order, and a record appended before a
// post() to another worker precedes anything the posted task appends. The broker relies on it:
// a message's body and its enqueue for each persistent session are appended on the routing
// thread, before the delivery is handed to the session's owner, which then appends the send and
// the acknowledgement.
#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "broker/message.hpp"

namespace broker {

struct PersistedState;

namespace persist {

// Names a message body in the store, so a message queued for many sessions is stored once.
// Unique within a store: the broker numbers new messages above PersistedState::max_message_id.
using MessageId = std::uint64_t;

// A persistent session is created (a CONNECT with clean session 0 and no session to resume, or
// one replacing a clean session). Replaces whatever the store held under that id.
struct SessionCreated {
  std::string client_id;
};
// Who the session belongs to, right after its SessionCreated: the username that created it
// (`named` false: a client without one). Journals from before it exist have none: the first user
// to resume such a session becomes its owner.
struct SessionOwned {
  std::string client_id;
  std::string username;
  bool named = false;
};
// The session is gone for good: expired, or replaced by a clean session of the same id.
struct SessionEnded {
  std::string client_id;
};
// A connection attached to or left the session. `unix_ms` (wall clock) lets session expiry
// survive a restart.
struct SessionAttached {
  std::string client_id;
};
struct SessionDetached {
  std::string client_id;
  std::int64_t unix_ms = 0;
};
struct Subscribed {
  std::string client_id;
  std::string filter;
  std::uint8_t qos = 0;
};
struct Unsubscribed {
  std::string client_id;
  std::string filter;
};
// A message body, appended once before the first record that refers to it.
struct MessageStored {
  MessageId id = 0;
  MessagePtr message;
};
// A QoS 1/2 delivery appended to the end of the session's outgoing queue.
struct Enqueued {
  std::string client_id;
  MessageId id = 0;
  std::uint8_t qos = 1;
  bool retain = false;
};
// The oldest queued delivery of message `id` went out under `packet_id` (now in flight).
struct Sent {
  std::string client_id;
  MessageId id = 0;
  std::uint16_t packet_id = 0;
};
// PUBREC for an outgoing QoS 2 message: only PUBCOMP is awaited, the body is no longer needed.
struct Released {
  std::string client_id;
  std::uint16_t packet_id = 0;
};
// PUBACK (QoS 1) or PUBCOMP (QoS 2): the in-flight delivery is done.
struct Completed {
  std::string client_id;
  std::uint16_t packet_id = 0;
};
// A queued, never-sent delivery of message `id` was discarded (the oldest one with that id).
struct Dropped {
  std::string client_id;
  MessageId id = 0;
};
// QoS 2 from the client: PUBLISH seen (its message routed), waiting for PUBREL; and PUBREL seen.
struct IncomingQos2 {
  std::string client_id;
  std::uint16_t packet_id = 0;
};
struct IncomingQos2Done {
  std::string client_id;
  std::uint16_t packet_id = 0;
};
// Retained message of `topic` set (the body appended before) or cleared.
struct RetainSet {
  std::string topic;
  MessageId id = 0;
};
struct RetainCleared {
  std::string topic;
};

using Record = std::variant<SessionCreated, SessionEnded, SessionAttached, SessionDetached, Subscribed, Unsubscribed,
                            MessageStored, Enqueued, Sent, Released, Completed, Dropped, IncomingQos2, IncomingQos2Done,
                            RetainSet, RetainCleared, SessionOwned>;  // new kinds last: old journals decode

}  // namespace persist

// Implemented by storage/; the broker holds one (or none: nothing persists).
//
// THREADING: append() and barrier() are called from any worker thread and never block an I/O
// thread (an implementation queues and writes on its own thread). load() and close() are called
// once each, at start before the listeners open and at stop after they closed; they may block.
class Persistence {
 public:
  virtual ~Persistence() = default;

  // The state as last persisted. A damaged store is repaired (a torn tail cut off) or moved aside
  // by the implementation, which logs what it did; it throws std::runtime_error only when it can
  // do neither, and the message says what to do.
  virtual PersistedState load() = 0;

  virtual void append(persist::Record record) = 0;

  // Runs `done` once every record appended before this call (by any thread) is as durable as the
  // sync policy promises: `always`, on disk (fsync); `everysec`, handed to the OS, so it survives
  // a crash of the process and at most the last second is at risk on a power cut; `none`, at
  // once. Callbacks run in call order, on a thread of the implementation's (never inside
  // append()); the broker posts back to its worker. Acknowledgements to publishers wait on this.
  virtual void barrier(std::function<void()> done) = 0;

  // Bytes of message bodies the store holds now (live state, not file size), for the store limit.
  virtual std::uint64_t stored_bytes() const = 0;

  // True while the store cannot write (a full disk, a failing device). It keeps taking records,
  // into memory, and writes them whole once it can again; barriers wait until then. Meanwhile the
  // broker asks it to promise nothing new: deliveries to offline persistent sessions are refused
  // and new messages are routed without being stored (Broker::route). Any thread; cheap.
  virtual bool failing() const { return false; }

  // Clean stop: writes and syncs everything appended, whatever the policy. Idempotent.
  virtual void close() = 0;
};

}  // namespace broker
