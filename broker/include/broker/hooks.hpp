#pragma once
// The interfaces through which the broker asks the rest of Sakura (auth/, lockrules/, ...) for
// decisions and tells it what happened. broker/ never includes those modules; app/ plugs them in.
//
// Threading: every hook below is called on the I/O thread that owns the client's connection. No
// hook may block: a hook that needs Redis, SQL or the network starts that work and returns, and
// completes through its callback (which may then run on any thread; the broker posts back).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/codec/packet.hpp"
#include "broker/message.hpp"

namespace broker {

// Who a client is, fixed once its CONNECT has been accepted.
struct ClientInfo {
  std::string client_id;
  std::optional<std::string> username;
  std::string address;        // the peer as "ip:port" (the real client behind a trusted proxy)
  const char* listener = "";  // "tcp", "ws", "tls", "wss" (a literal: no per-client copy)
  std::uint8_t protocol_level = codec::protocol_v311;
  bool superuser = false;
};

// A client's publish/subscribe permissions, decided at CONNECT and kept with the connection so
// the hot path asks no store. Implementations must be immutable (shared across threads).
// Revoking a user goes through BrokerControl::disconnect_user, which drops the connection and so
// its Acl with it: a cached decision never outlives a revocation.
class Acl {
 public:
  virtual ~Acl() = default;
  virtual bool allow_publish(std::string_view topic) const = 0;
  // `filter` is the SUBSCRIBE filter as sent; its own wildcards are compared literally.
  virtual bool allow_subscribe(std::string_view filter) const = 0;
};

// Optional, beside the Acl: rules about a topic that no ACL row can express, such as which
// account a topic belongs to or which topics may never be retained. Asked for every PUBLISH and
// will a client sends, after its Acl allowed it (superusers too), before the observers and the
// routing; never for BrokerControl::publish, which is the broker's own voice.
//
// Threading: the publisher's I/O thread, on every publish. Must not block and must answer at
// once (compare the topic, no store); shared across threads, so const and lock-free.
enum class PublishVerdict : std::uint8_t {
  allow,
  allow_unretained,  // routed as a live message: neither stored as retained nor sent with retain
  deny,              // dropped like an ACL denial: still acknowledged at QoS 1/2, counted
};

class PublishGuard {
 public:
  virtual ~PublishGuard() = default;
  virtual PublishVerdict check(const ClientInfo& from, std::string_view topic, bool retain) const = 0;
};

struct AuthRequest {
  ClientInfo client;  // superuser not yet known
  std::optional<std::string> password;
};

struct AuthResult {
  codec::ConnectReturn code = codec::ConnectReturn::not_authorized;
  bool superuser = false;
  // Null with code accepted means "allow everything" (a superuser, or an open deployment).
  std::shared_ptr<const Acl> acl;
  // The account owns this client id outright (the authenticator pins the id to it): a session
  // under the id that another username holds is ended instead of refusing this login, so a
  // client that squatted the id cannot keep its owner out.
  bool owns_client_id = false;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Required. I/O thread of the connection; must not block. Calls `done` exactly once, from any
  // thread. The broker applies its own connect timeout and refuses with code 5 when it expires.
  virtual void authenticate(const AuthRequest& request, std::function<void(AuthResult)> done) = 0;
};

enum class DisconnectReason {
  client_disconnect,  // DISCONNECT received: no will
  taken_over,         // same client id connected again: no will
  revoked,            // credentials withdrawn (BrokerControl::disconnect_user)
  keepalive_timeout,
  connect_timeout,  // no CONNECT in time
  connect_refused,  // CONNACK with a non-zero return code was sent
  protocol_error,   // malformed or forbidden packet
  slow_consumer,    // write queue over its byte cap
  network_error,    // peer closed or reset
  shutdown,
};

const char* to_string(DisconnectReason r);

// Optional notifications. I/O thread of the client concerned; must not block.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_connected(const ClientInfo&) {}
  virtual void on_disconnected(const ClientInfo&, DisconnectReason) {}
  // A message a client published (the will included), after ACL, before routing. Lock rules
  // hang here instead of subscribing to "/#": no extra client, no copy of the message.
  virtual void on_publish(const ClientInfo& from, const MessagePtr& message) {
    (void)from;
    (void)message;
  }
};

// What plugins may ask of the broker. Every method is safe from any thread.
class BrokerControl {
 public:
  virtual ~BrokerControl() = default;
  // Routes a message as if a superuser client had published it (retain handled).
  virtual void publish(MessagePtr message) = 0;
  // Delivers `message` only to the subscribers with a connection attached now, at QoS 0: never
  // queued for an offline session, never stored or retained, never resent after a reconnect. For
  // a command that is valid only now (a lock's `unlock`). Returns at once; `done(reached)` runs
  // once, later (never inside this call), on a broker I/O thread, with the client ids it was handed to (written to
  // their connections; whether it left the machine is not known at QoS 0). Must not block.
  virtual void publish_now(MessagePtr message, std::function<void(std::vector<std::string> reached)> done) = 0;
  // Disconnects every client logged in as `username` and ends its persistent sessions (in the
  // store too); their wills are published, as for any close that is not a DISCONNECT (a revoked
  // lock then reads as offline). Returns at once.
  virtual void disconnect_user(const std::string& username) = 0;
  // Runs `fn` on a broker I/O thread after `delay`. For work that must not block, like all work.
  virtual void run_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

}  // namespace broker
