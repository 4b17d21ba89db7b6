#pragma once
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace spdlog {
class logger;
}

namespace broker {

class IoPool;

// Accepts TCP connections and spreads them over the workers round-robin; what runs on the
// socket (MQTT over TCP, TLS, WebSocket) is the `accepted` callback's business. The callback runs
// on the accepting thread; it must post the connection's start to `worker`.
class Listener {
 public:
  using Accepted = std::function<void(boost::asio::ip::tcp::socket, unsigned worker)>;
  Listener(IoPool& pool, std::string name, const boost::asio::ip::tcp::endpoint& bind,
           Accepted accepted, std::shared_ptr<spdlog::logger> log);
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
  IoPool& pool_;
  std::string name_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  Accepted accepted_;
  std::shared_ptr<spdlog::logger> log_;
  std::uint16_t port_ = 0;
};

// "host:port", "[v6]:port", ":port" or "port"; throws std::invalid_argument naming the problem.
boost::asio::ip::tcp::endpoint parse_endpoint(const std::string& text);

}  // namespace broker
