#include "broker/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "broker/io_pool.hpp"
#include "broker/log_text.hpp"
#include "broker/tcp_transport.hpp"

namespace broker {

Listener::Listener(IoPool& pool, std::string name, const boost::asio::ip::tcp::endpoint& bind, Accepted accepted,
                   std::shared_ptr<spdlog::logger> log, std::shared_ptr<ConnectionLimiter> limiter,
                   ListenerLimits limits)
    : pool_(pool),
      name_(std::move(name)),
      acceptor_(pool.context(0)),
      backoff_(pool.context(0)),
      accepted_(std::move(accepted)),
      log_(std::move(log)),
      limiter_(std::move(limiter)),
      limits_(std::move(limits)) {
  index_ = limiter_->add_listener(name_, limits_.max_connections);
  acceptor_.open(bind.protocol());
  acceptor_.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(bind);
  acceptor_.listen(4096);
  port_ = acceptor_.local_endpoint().port();
}

void Listener::start() { accept(); }

void Listener::keep_alive(std::chrono::seconds idle, std::chrono::seconds interval, int count) {
  int fd = acceptor_.native_handle();
  int on = idle.count() > 0 ? 1 : 0;
  int idle_s = static_cast<int>(idle.count()), interval_s = static_cast<int>(interval.count());
  if (::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
      (on && (::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s) != 0 ||
              ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s) != 0 ||
              ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count) != 0)))
    log_->warn("{} listener: TCP keepalive not set: {}", name_, std::strerror(errno));
}

void Listener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void Listener::accept() {
  auto worker = pool_.next();
  acceptor_.async_accept(
      pool_.context(worker), [this, worker](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted) return;
        if (ec) {
          if (auto n = limiter_->accept_failed(index_))
            log_->warn("{} listener: accept failed {} time(s) in the last second: {}", name_, n, ec.message());
          auto wait = accept_backoff(ec, backoff_delay_);
          if (wait.count() == 0) return accept();
          backoff_.expires_after(wait);
          backoff_.async_wait([this](const boost::system::error_code& e) {
            if (!e) accept();
          });
          return;
        }
        backoff_delay_ = std::chrono::milliseconds(0);
        admit(std::move(socket), worker);
        accept();
      });
}

void Listener::admit(boost::asio::ip::tcp::socket socket, unsigned worker) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // reset while queued: the socket closes here
  auto d = limiter_->admit(index_, peer.address(), !limits_.uncounted.contains(peer.address()));
  if (d.refused) {
    if (d.log_count) log_refusals(*log_, name_, *d.refused, d.log_count, format_endpoint(peer));
    socket.close(ec);
    return;
  }
  accepted_(std::move(socket), worker, std::move(d.slot));
}

std::chrono::milliseconds accept_backoff(const boost::system::error_code& ec, std::chrono::milliseconds& delay) {
  using namespace std::chrono_literals;
  namespace err = boost::asio::error;
  bool exhausted = ec == err::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
                   ec == err::no_buffer_space || ec == err::no_memory;
  if (!exhausted) return 0ms;
  delay = delay.count() == 0 ? 10ms : std::min<std::chrono::milliseconds>(delay * 2, 1000ms);
  return delay;
}

void log_refusals(spdlog::logger& log, const std::string& listener, Refusal reason, std::uint64_t count,
                  const std::string& last_address) {
  log.warn("{} listener: refused {} connection(s) in the last second: {} (last from {})", listener, count,
           to_string(reason), log_text(last_address));
}

boost::asio::ip::tcp::endpoint parse_endpoint(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument("expected [address]:port, got '" + text + "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      port = text;
    } else {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
    }
  }
  if (host.empty()) host = "0.0.0.0";
  unsigned long p;
  try {
    std::size_t used = 0;
    p = std::stoul(port, &used);
    if (used != port.size() || p > 65535) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw std::invalid_argument("invalid port in '" + text + "'");
  }
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) throw std::invalid_argument("invalid address in '" + text + "' (use a numeric IP)");
  return {addr, static_cast<std::uint16_t>(p)};
}

}  // namespace broker
