#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/connection_limiter.hpp"
#include "broker/proxy_protocol.hpp"

namespace spdlog {
class logger;
}

namespace broker {

class IoPool;

// What one listener admits (connection_limiter.hpp): its own cap, and the peers not counted per
// address (limits.address_exempt and the listener's trusted proxies).
struct ListenerLimits {
  std::size_t max_connections = 0;  // 0: only the limiter's cap
  TrustedProxies uncounted;
};

// Accepts TCP connections and spreads them over the workers; what runs on the socket (MQTT over
// TCP, TLS, WebSocket) is the `accepted` callback's business. Each connection is first admitted
// by the limiter: a refused one is closed at once (the listen queue keeps draining), and an
// admitted one comes with its slot, which the callback hands to the transport that owns the
// socket. Out of descriptors (EMFILE, ENFILE), the listener backs off (10 ms doubling to 1 s)
// instead of spinning on a queue it cannot drain. Refusals and failures are logged at most once a
// second per reason, with a count. The callback runs on the accepting thread; it must post the
// connection's start to `worker`.
class Listener {
 public:
  using Accepted = std::function<void(boost::asio::ip::tcp::socket, unsigned worker, ConnectionSlot slot)>;
  Listener(IoPool& pool, std::string name, const boost::asio::ip::tcp::endpoint& bind, Accepted accepted,
           std::shared_ptr<spdlog::logger> log, std::shared_ptr<ConnectionLimiter> limiter, ListenerLimits limits = {});
  void start();
  void stop();
  // TCP keepalive on every socket this listener accepts (they inherit it from the listening
  // socket): the kernel probes a peer idle for `idle` every `interval`, `count` times, then
  // resets the connection. Reaps peers that vanished without a FIN whatever their MQTT keepalive.
  void keep_alive(std::chrono::seconds idle, std::chrono::seconds interval, int count);
  std::uint16_t port() const { return port_; }
  const std::string& name() const { return name_; }

 private:
  void accept();
  void admit(boost::asio::ip::tcp::socket socket, unsigned worker);
  IoPool& pool_;
  std::string name_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::chrono::milliseconds backoff_delay_{0};
  Accepted accepted_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<ConnectionLimiter> limiter_;
  ListenerLimits limits_;
  unsigned index_ = 0;
  std::uint16_t port_ = 0;
};

// How long an acceptor waits after a failed accept: out of descriptors or memory, 10 ms doubling
// to 1 s (`delay` keeps the state; success resets it to zero); anything else (a client that reset
// while queued), no wait.
std::chrono::milliseconds accept_backoff(const boost::system::error_code& ec, std::chrono::milliseconds& delay);

// The one line for refusals that the limiter says are due (Decision::log_count).
void log_refusals(spdlog::logger& log, const std::string& listener, Refusal reason, std::uint64_t count,
                  const std::string& last_address);

// "host:port", "[v6]:port", ":port" or "port"; throws std::invalid_argument naming the problem.
boost::asio::ip::tcp::endpoint parse_endpoint(const std::string& text);

}  // namespace broker
