#pragma once
// The running broker: worker threads, the Broker, its listeners and its periodic duties (keepalive
// sweep, session expiry, $SYS). app/ builds one from the configuration and plugs hooks in before
// start(); other transports (TLS, WebSocket) add listeners through add_listener().
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.hpp"
#include "broker/io_pool.hpp"
#include "broker/listener.hpp"
#include "broker/transport.hpp"

namespace broker {

struct ServerOptions {
  unsigned threads = 0;  // 0: one per core
  PlacementOptions placement;
  BrokerOptions broker;
  // TCP keepalive of accepted sockets (limits.tcp_keepalive; 0 disables): probes start after this
  // long idle, every tcp_keepalive_interval, and a peer silent for tcp_keepalive_count of them is
  // reset. 2 min + 4 x 15 s: a vanished lock is gone in 3 minutes whatever it asked for.
  std::chrono::seconds tcp_keepalive{120};
  std::chrono::seconds tcp_keepalive_interval{15};
  int tcp_keepalive_count = 4;
  // Admission of new connections over all MQTT listeners (connection_limiter.hpp).
  ConnectionLimits connections;
  std::string version = "0.1.0";
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<spdlog::logger> log);
  ~Server();

  Broker& broker() { return *broker_; }
  IoPool& pool() { return pool_; }
  ConnectionLimiter& limiter() { return *limiter_; }

  // MQTT over plain TCP on `bind`.
  void add_tcp_listener(const std::string& name, const boost::asio::ip::tcp::endpoint& bind,
                        ListenerLimits limits = {});
  void add_listener(const std::string& name, const boost::asio::ip::tcp::endpoint& bind, Listener::Accepted accepted,
                    ListenerLimits limits = {});
  // Starts a Connection over `transport` on `worker` (for listeners of other transports).
  void start_connection(unsigned worker, std::unique_ptr<Transport> transport);
  // A proxied connection's real client, once its listener read it: counted under that address
  // from now on. False (and a log line at most once a second) when that address is over its cap
  // or rate; the caller then closes the connection.
  bool admit_forwarded(Transport& transport, const std::string& listener, const boost::asio::ip::address& client);

  void start();
  // Stops accepting, closes every connection (no wills), and joins the threads.
  void stop();
  std::vector<std::pair<std::string, std::uint16_t>> ports() const;

 private:
  void schedule_sweep(unsigned worker);
  void schedule_sys();
  void publish_sys();

  ServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  // Before pool_: connections still held by the loops give their slots back as pool_ goes.
  std::shared_ptr<ConnectionLimiter> limiter_;
  IoPool pool_;
  common::SteadyClock clock_;
  std::unique_ptr<Broker> broker_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::shared_ptr<std::function<void()>>> sweeps_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
};

}  // namespace broker
