#include "broker/tls_listener.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/log_text.hpp"
#include "broker/server.hpp"
#include "broker/tls_transport.hpp"

namespace broker {

namespace {

// Owned by its pending handshake or timer; hands the transport to the broker when done.
class TlsHandshake : public std::enable_shared_from_this<TlsHandshake> {
 public:
  TlsHandshake(Server& server, unsigned worker, std::unique_ptr<TlsTransport> transport,
               std::shared_ptr<const TlsContext> tls)
      : server_(server),
        worker_(worker),
        transport_(std::move(transport)),
        timer_(transport_->get_executor()),
        tls_(std::move(tls)) {}

  void start() {
    timer_.expires_after(tls_->options().handshake_timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->done_) return;
      self->done_ = true;
      self->log("timed out");
      self->transport_->close();
    });
    transport_->async_handshake([self = shared_from_this()](const boost::system::error_code& ec) { self->finish(ec); });
  }

 private:
  void finish(const boost::system::error_code& ec) {
    if (done_) return;  // the timer closed it and said so
    done_ = true;
    timer_.cancel();
    if (ec) {
      log(ec.message());
      return transport_->close();
    }
    if (tls_->options().cn_as_username) {
      auto cn = peer_common_name(transport_->native_handle());
      if (!cn) {
        log("no client certificate CN to use as username");
        return transport_->close();
      }
      transport_->set_certificate_username(std::move(cn));
    }
    server_.start_connection(worker_, std::move(transport_));
  }

  void log(const std::string& why) {
    server_.broker().log().info("tls handshake failed addr={} reason={}", log_text(transport_->remote_address()), why);
  }

  Server& server_;
  unsigned worker_;
  std::unique_ptr<TlsTransport> transport_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<const TlsContext> tls_;
  bool done_ = false;
};

}  // namespace

Listener::Accepted tls_acceptor(Server& server, std::shared_ptr<TlsContext> tls) {
  return [&server, tls](boost::asio::ip::tcp::socket socket, unsigned worker, ConnectionSlot slot) {
    auto transport = std::make_unique<TlsTransport>(std::move(socket), tls->current());
    transport->slot() = std::move(slot);
    auto handshake = std::make_shared<TlsHandshake>(server, worker, std::move(transport), tls);
    boost::asio::post(server.pool().context(worker), [handshake] { handshake->start(); });
  };
}

}  // namespace broker
