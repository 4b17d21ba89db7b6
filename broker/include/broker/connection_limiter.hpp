#pragma once
// Admission of new connections, before a byte of them is read: a cap on all connections of the
// limiter (sized under the descriptor limit, so storage, the journal and the HTTP API keep theirs),
// a cap per listener, a cap per client address, and a token bucket of new connections per client
// address. A refused connection is accepted and closed at once, so the listen queue drains and
// other clients still get in; refusals are counted by listener and reason, and the acceptor logs
// them at most once a second with a count.
//
// The address counted is the client's own: a peer that is one of the listener's trusted proxies
// is not counted (it carries many clients), and the client it forwards (a PROXY header, a
// WebSocket X-Forwarded-For) is counted by rebind() once known. IPv6 addresses count by /64, the
// block one subscriber gets, so one host cannot dodge the cap by walking its own prefix.
//
// THREADING: one mutex around small state; admit() runs on the accepting thread, rebind() on the
// worker that read the header, and a ConnectionSlot is released on whichever thread destroys it.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "broker/log_throttle.hpp"
#include "common/clock.hpp"

namespace broker {

enum class Refusal : std::uint8_t {
  max_connections,  // the limiter's cap (limits.max_connections, http.max_connections)
  listener,         // the listener's own cap
  address,          // limits.max_connections_per_address
  rate,             // limits.accept_rate / accept_burst, per address
  descriptors,      // accept failed: out of descriptors or kernel memory (EMFILE, ENFILE, ...)
  count_
};
const char* to_string(Refusal r);

struct ConnectionLimits {
  std::size_t max_connections = 0;  // 0: unlimited
  std::size_t max_per_address = 0;  // 0: unlimited
  double accept_rate = 0;           // new connections a second per address; 0: unlimited
  double accept_burst = 0;          // at once per address (at least 1 when a rate is set)
  // Addresses kept for their bucket after their last connection closed; past it the idle ones
  // are forgotten (a bucket refilled to full carries no state anyway).
  std::size_t max_tracked = 100000;
};

class ConnectionLimiter;

// One admitted connection's share of the counts, given back when the slot is destroyed (the
// transport that holds the socket owns it). Move-only; an empty slot holds nothing.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& o) noexcept { *this = std::move(o); }
  ConnectionSlot& operator=(ConnectionSlot&& o) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { release(); }
  explicit operator bool() const { return limiter_ != nullptr; }
  void release();

 private:
  friend class ConnectionLimiter;
  using Key = std::array<std::uint8_t, 16>;
  std::shared_ptr<ConnectionLimiter> limiter_;
  unsigned listener_ = 0;
  std::optional<Key> address_;
};

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  // `clock` must outlive the limiter; without one it keeps its own steady clock.
  ConnectionLimiter(ConnectionLimits limits, const common::Clock& clock);
  explicit ConnectionLimiter(ConnectionLimits limits);

  // A listener and its own cap (0: only the limiter's); returns its index for admit().
  unsigned add_listener(std::string name, std::size_t max_connections = 0);

  struct Decision {
    ConnectionSlot slot;  // empty when refused
    std::optional<Refusal> refused;
    // Set when a log line is due for this refusal: refusals of this listener and reason since
    // the last line (this one included). At most one line a second per listener and reason.
    std::uint64_t log_count = 0;
  };
  // A new connection from `peer`; `count_address` is false for a trusted proxy's own address.
  Decision admit(unsigned listener, const boost::asio::ip::address& peer, bool count_address);
  // The real client behind a proxy, once known: the slot is counted under `client` from now on,
  // or, when that address is over its cap or rate, refused (the slot is left as it was; the
  // caller closes the connection, which releases it).
  Decision rebind(ConnectionSlot& slot, const boost::asio::ip::address& client);
  // A failed accept (no descriptor): counted; returns the log count as Decision::log_count.
  std::uint64_t accept_failed(unsigned listener);

  struct ListenerFigures {
    std::string name;
    std::size_t connections = 0;
    std::size_t max_connections = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(Refusal::count_)> refused{};
  };
  std::vector<ListenerFigures> figures() const;
  std::size_t connections() const;
  std::size_t tracked_addresses() const;
  const ConnectionLimits& limits() const { return limits_; }

  static ConnectionSlot::Key key_of(const boost::asio::ip::address& a);

 private:
  friend class ConnectionSlot;
  struct Listener {
    Listener(std::string n, std::size_t m) : name(std::move(n)), max(m) {}
    std::string name;
    std::size_t max = 0;
    std::size_t connections = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(Refusal::count_)> refused{};
    std::array<LogThrottle, static_cast<std::size_t>(Refusal::count_)> logs;  // one line a second each
  };
  struct Address {
    std::size_t connections = 0;
    double tokens = 0;
    common::Clock::time_point at;
  };
  struct KeyHash {
    std::size_t operator()(const ConnectionSlot::Key& k) const;
  };

  // Both with mu_ held.
  std::optional<Refusal> check_address(const ConnectionSlot::Key& key, common::Clock::time_point now);
  std::uint64_t refuse(Listener& l, Refusal r, common::Clock::time_point now);
  void release(const ConnectionSlot& slot);
  void forget_idle(common::Clock::time_point now);
  bool idle(const Address& a, common::Clock::time_point now) const;

  common::SteadyClock own_clock_;
  const common::Clock& clock_;
  ConnectionLimits limits_;
  mutable std::mutex mu_;
  std::size_t connections_ = 0;
  std::deque<Listener> listeners_;  // never moved: LogThrottle is atomics
  std::unordered_map<ConnectionSlot::Key, Address, KeyHash> addresses_;
};

}  // namespace broker
