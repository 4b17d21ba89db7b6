#include "broker/ws_listener.hpp"

#include <type_traits>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "broker/log_text.hpp"
#include "broker/server.hpp"
#include "broker/ws_handshake.hpp"
#include "broker/ws_transport.hpp"

namespace broker {

namespace {

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using boost::asio::ip::tcp;

constexpr std::size_t max_request_header = 8192;

// One upgrade in progress: [TLS handshake,] HTTP request, checks, 101. Owned by its pending
// operation and its timer; hands the transport to the broker when done.
template <class NextLayer>
class WsUpgrade : public std::enable_shared_from_this<WsUpgrade<NextLayer>> {
  static constexpr bool secure = !std::is_same_v<NextLayer, tcp::socket>;

 public:
  WsUpgrade(Server& server, unsigned worker, std::unique_ptr<WsTransport<NextLayer>> transport,
            std::shared_ptr<const WsOptions> options, std::shared_ptr<const TlsContext> tls)
      : server_(server),
        worker_(worker),
        transport_(std::move(transport)),
        timer_(transport_->stream().get_executor()),
        options_(std::move(options)),
        tls_(std::move(tls)),
        buffer_(max_request_header) {
    parser_.header_limit(max_request_header);
    parser_.body_limit(0);
  }

  void start() {
    timer_.expires_after(options_->handshake_timeout);
    timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) {
      // A wait that expired just as the upgrade completed still runs: the transport is gone then.
      if (ec || !self->transport_) return;
      if (!self->done_) self->log("timed out");
      self->done_ = true;
      self->transport_->close();
    });
    if constexpr (secure) {
      transport_->stream().next_layer().async_handshake(
          boost::asio::ssl::stream_base::server,
          [self = this->shared_from_this()](const boost::system::error_code& ec) { self->on_tls(ec); });
    } else {
      read_request();
    }
  }

 private:
  void on_tls(const boost::system::error_code& ec) {
    if (done_) return;
    if (ec) return fail("tls: " + ec.message());
    if (tls_->options().cn_as_username) {
      auto cn = peer_common_name(transport_->stream().next_layer().native_handle());
      if (!cn) return fail("no client certificate CN to use as username");
      transport_->set_certificate_username(std::move(cn));
    }
    read_request();
  }

  void read_request() {
    http::async_read(
        transport_->stream().next_layer(), buffer_, parser_,
        [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) { self->on_request(ec); });
  }

  void on_request(const boost::system::error_code& ec) {
    if (done_) return;
    if (ec == http::error::end_of_stream) return fail("closed before sending a request");
    if (ec) return refuse(http::status::bad_request, "malformed request: " + ec.message());
    auto& req = parser_.get();
    boost::system::error_code e;
    auto peer = boost::beast::get_lowest_layer(transport_->stream()).remote_endpoint(e);
    if (e) return fail(e.message());
    auto decision = decide_upgrade(req, options_->path, peer, options_->trusted);
    if (decision.refuse) return refuse(*decision.refuse, decision.reason);
    // Behind a trusted proxy the client it names is the one counted per address.
    if (decision.forwarded && !server_.admit_forwarded(*transport_, transport_->kind(), *decision.forwarded))
      return refuse(http::status::service_unavailable, {});  // logged by the limiter, once a second
    transport_->set_remote_address(std::move(decision.client));
    if (!decision.echo.empty()) {
      auto echo = [p = std::move(decision.echo)](websocket::response_type& res) {
        res.set(http::field::sec_websocket_protocol, p);
      };
      transport_->stream().set_option(websocket::stream_base::decorator(std::move(echo)));
    }
    transport_->stream().async_accept(
        req, [self = this->shared_from_this()](const boost::system::error_code& ec) { self->on_accepted(ec); });
  }

  void on_accepted(const boost::system::error_code& ec) {
    if (done_) return;
    // Beast has answered a bad key or version with its own 400.
    if (ec) return fail("upgrade refused: " + ec.message());
    done_ = true;
    timer_.cancel();
    server_.start_connection(worker_, std::move(transport_));
  }

  // Answers with `status` and closes; the timer still bounds a client that does not read. An
  // empty `why` is not logged (refusals the limiter logs itself).
  void refuse(http::status status, const std::string& why) {
    if (!why.empty()) log(why);
    done_ = true;
    response_.emplace(status, 11);
    response_->set(http::field::connection, "close");
    response_->set(http::field::content_type, "text/plain");
    if (status == http::status::upgrade_required) response_->set(http::field::upgrade, "websocket");
    response_->body() = std::string(http::obsolete_reason(status)) + "\n";
    response_->prepare_payload();
    http::async_write(transport_->stream().next_layer(), *response_,
                      [self = this->shared_from_this()](const boost::system::error_code&, std::size_t) {
                        self->timer_.cancel();
                        self->transport_->close();
                      });
  }

  void fail(const std::string& why) {
    log(why);
    done_ = true;
    timer_.cancel();
    transport_->close();
  }

  void log(const std::string& why) {
    server_.broker().log().info("{} upgrade failed addr={} reason={}", transport_->kind(),
                                log_text(transport_->remote_address()), why);
  }

  Server& server_;
  unsigned worker_;
  std::unique_ptr<WsTransport<NextLayer>> transport_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<const WsOptions> options_;
  std::shared_ptr<const TlsContext> tls_;
  boost::beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  std::optional<http::response<http::string_body>> response_;
  bool done_ = false;
};

template <class NextLayer>
void start_upgrade(Server& server, unsigned worker, tcp::socket socket, ConnectionSlot slot,
                   const std::shared_ptr<const WsOptions>& options, const std::shared_ptr<TlsContext>& tls) {
  auto transport = std::make_unique<WsTransport<NextLayer>>(std::move(socket), tls ? tls->current() : nullptr,
                                                            options->max_message_size);
  transport->slot() = std::move(slot);
  auto upgrade = std::make_shared<WsUpgrade<NextLayer>>(server, worker, std::move(transport), options, tls);
  boost::asio::post(server.pool().context(worker), [upgrade] { upgrade->start(); });
}

}  // namespace

Listener::Accepted ws_acceptor(Server& server, WsOptions options, std::shared_ptr<TlsContext> tls) {
  auto shared = std::make_shared<const WsOptions>(std::move(options));
  return [&server, shared, tls](tcp::socket socket, unsigned worker, ConnectionSlot slot) {
    if (tls)
      start_upgrade<boost::asio::ssl::stream<tcp::socket>>(server, worker, std::move(socket), std::move(slot), shared,
                                                           tls);
    else start_upgrade<tcp::socket>(server, worker, std::move(socket), std::move(slot), shared, tls);
  };
}

}  // namespace broker
