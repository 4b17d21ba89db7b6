#pragma once
// The HTTP/1.1 server: an acceptor and keep-alive sessions on a private io_context. Each session
// reads one request (header, then the body under the limit its route allows), hands it to the
// handler, writes the answer and reads the next; one request at a time per connection.
//
// Timeouts are own timers that cancel the socket instead of Beast's stream expiry, so a slow or
// oversized request still gets a JSON 408/413 before the connection closes.
//
// THREADING: sessions run on strands of the server's io_context; Reply may be called from any
// thread and posts back. The server state is shared with sessions so late storage callbacks
// after stop() find it alive and drop their answers instead of touching a dead io_context.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/connection_limiter.hpp"
#include "broker/proxy_protocol.hpp"
#include "exchange.hpp"

namespace spdlog {
class logger;
}

namespace http::detail {

class Session;

struct ServerSettings {
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  broker::TrustedProxies trusted_proxies;
  std::shared_ptr<broker::ConnectionLimiter> connections;  // null: no limits
  std::string listener_name = "http";                      // in the limiter's figures and refusal log lines
  broker::TrustedProxies uncounted;
  // Decided on the header alone, before any of the body is read: an answer that ends the request
  // there (unknown route, wrong method, missing admin token), or nullopt and the body limit its
  // route allows. A refused request's body is never read; its connection closes after the answer.
  // With a sink, the body goes there in chunks and the request reaches the handler without it.
  struct Admission {
    std::optional<Response> refuse;
    std::uint64_t body_limit = 0;
    std::shared_ptr<BodySink> sink;
  };
  std::function<Admission(const Request&)> admit;
  std::function<void(Exchange, Reply)> handler;
  std::function<void(unsigned status)> on_response;  // counters
};

struct ServerState {
  boost::asio::io_context io;
  ServerSettings settings;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<bool> stopped{false};
  std::mutex sessions_mutex;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;
};

class Server {
 public:
  Server(ServerSettings settings, std::shared_ptr<spdlog::logger> log);
  ~Server();
  // Runs `threads` threads; accepts on `bind` when there is one (without, the io_context still
  // serves work posted to it).
  void start(const std::optional<boost::asio::ip::tcp::endpoint>& bind, unsigned threads);
  void stop();
  std::uint16_t port() const { return port_; }
  boost::asio::io_context& io() { return state_->io; }

 private:
  void accept();

  void admit(boost::asio::ip::tcp::socket socket);

  std::shared_ptr<ServerState> state_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::chrono::milliseconds backoff_delay_{0};
  unsigned limiter_index_ = 0;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
};

}  // namespace http::detail
