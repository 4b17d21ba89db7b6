#include "broker/proxy_protocol_listener.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/server.hpp"
#include "broker/tcp_transport.hpp"

namespace broker {

namespace {

using boost::asio::ip::tcp;

// TCP with the address the proxy reported instead of the proxy's own.
class ProxiedTransport final : public Transport {
 public:
  ProxiedTransport(std::unique_ptr<TcpTransport> inner, std::string address)
      : inner_(std::move(inner)), address_(std::move(address)) {}
  void async_read(ReadHandler h) override { inner_->async_read(std::move(h)); }
  void async_write(const std::vector<boost::asio::const_buffer>& b, WriteHandler h) override {
    inner_->async_write(b, std::move(h));
  }
  void close() override { inner_->close(); }
  std::string remote_address() const override { return address_; }
  const char* kind() const override { return inner_->kind(); }

 private:
  std::unique_ptr<TcpTransport> inner_;
  std::string address_;
};

// Reads the header without ever reading past it: each wake-up peeks at what has arrived and
// consumes only bytes known to belong to the header, so the MQTT bytes behind it stay in the
// socket for the connection. Owned by its pending wait; gone once it hands the socket over.
class ProxyHeaderReader : public std::enable_shared_from_this<ProxyHeaderReader> {
 public:
  ProxyHeaderReader(Server& server, unsigned worker, tcp::socket socket, ConnectionSlot slot,
                    std::shared_ptr<const ProxyProtocolOptions> options)
      : server_(server),
        worker_(worker),
        slot_(std::move(slot)),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        options_(std::move(options)) {}

  void start() {
    boost::system::error_code ec;
    auto peer = socket_.remote_endpoint(ec);
    if (ec) return;  // already gone
    peer_ = peer;
    trusted_ = options_->trusted.contains(peer.address());
    socket_.non_blocking(true, ec);
    timer_.expires_after(options_->timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      if (e || !self->socket_.is_open()) return;  // done: handed over or already failed
      self->fail("timed out waiting for the first bytes or the PROXY header");
    });
    wait();
  }

 private:
  void wait() {
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;  // closed by the timer
      self->on_readable();
    });
  }

  void on_readable() {
    char peeked[max_proxy_header];
    boost::system::error_code ec;
    auto n =
        socket_.receive(boost::asio::buffer(peeked, max_proxy_header - header_.size()), tcp::socket::message_peek, ec);
    if (ec == boost::asio::error::would_block) return wait();
    if (ec || n == 0) return fail(ec ? ec.message() : "closed before sending anything");
    std::string_view fresh(peeked, n);
    if (header_.empty() && !starts_like_proxy_header(fresh)) return hand_over(peer_);
    if (!trusted_) return fail("PROXY header from a peer that is not a trusted proxy");
    std::string seen = header_ + std::string(fresh);
    auto h = parse_proxy_header(seen);
    if (h.status == ProxyHeader::Status::malformed) return fail(h.error);
    // need_more: everything seen so far is header; complete: only its remaining part is.
    std::size_t take = h.status == ProxyHeader::Status::complete ? h.length - header_.size() : n;
    std::size_t got = socket_.receive(boost::asio::buffer(peeked, take), 0, ec);
    if (ec || got != take) return fail(ec ? ec.message() : "short read of a peeked header");
    if (h.status == ProxyHeader::Status::need_more) {
      header_.append(peeked, got);
      return wait();
    }
    hand_over(h.source.value_or(peer_));
  }

  void hand_over(const tcp::endpoint& client) {
    timer_.cancel();
    auto tcp_transport = std::make_unique<TcpTransport>(server_.pool().poller(worker_), std::move(socket_));
    tcp_transport->slot() = std::move(slot_);
    if (client.address() != peer_.address() && !server_.admit_forwarded(*tcp_transport, "tcp", client.address()))
      return;  // over its address's cap or rate: the transport closes the socket as it goes
    if (client == peer_) server_.start_connection(worker_, std::move(tcp_transport));
    else
      server_.start_connection(worker_,
                               std::make_unique<ProxiedTransport>(std::move(tcp_transport), format_endpoint(client)));
  }

  void fail(const std::string& why) {
    timer_.cancel();
    server_.broker().log().info("proxy protocol: closed addr={} reason={}", format_endpoint(peer_), why);
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  Server& server_;
  unsigned worker_;
  ConnectionSlot slot_;  // before socket_: given back once the socket is closed
  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<const ProxyProtocolOptions> options_;
  tcp::endpoint peer_;
  std::string header_;
  bool trusted_ = false;
};

}  // namespace

Listener::Accepted proxy_protocol_acceptor(Server& server, ProxyProtocolOptions options) {
  auto shared = std::make_shared<const ProxyProtocolOptions>(std::move(options));
  return [&server, shared](tcp::socket socket, unsigned worker, ConnectionSlot slot) {
    auto reader = std::make_shared<ProxyHeaderReader>(server, worker, std::move(socket), std::move(slot), shared);
    boost::asio::post(server.pool().context(worker), [reader] { reader->start(); });
  };
}

}  // namespace broker
