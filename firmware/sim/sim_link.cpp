#include "sim_link.hpp"

#include <openssl/ssl.h>

namespace locksim {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

SimLink::SimLink(asio::io_context& io, asio::ssl::context* tls, LinkOwner& owner, firmware::Link which)
    : resolver_(io), socket_(io), linger_(io), owner_(&owner), which_(which) {
  if (tls) tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls);
}

void SimLink::open(const std::string& host, std::uint16_t port) {
  host_ = host;
  resolver_.async_resolve(host, std::to_string(port),
                          [self = shared_from_this()](const error_code& ec, tcp::resolver::results_type r) {
                            if (ec) return self->fail("resolve: " + ec.message());
                            if (!self->owner_) return;
                            asio::async_connect(self->socket_, r, [self](const error_code& ec, const tcp::endpoint&) {
                              if (ec) return self->fail("connect: " + ec.message());
                              self->on_connected();
                            });
                          });
}

void SimLink::on_connected() {
  if (!owner_) return shut();
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  if (!tls_) {
    up_ = true;
    owner_->link_up(which_);
    read();
    write();
    return;
  }
  // SNI and host name checking use the name the lock was given, as a device would. SNI carries
  // names only (RFC 6066), so an IP literal is checked against the certificate but not sent.
  error_code not_ip;
  asio::ip::make_address(host_, not_ip);
  if (not_ip) SSL_set_tlsext_host_name(tls_->native_handle(), host_.c_str());
  tls_->set_verify_callback(asio::ssl::host_name_verification(host_));
  tls_->async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](const error_code& ec) {
    if (ec) return self->fail("tls: " + ec.message());
    if (!self->owner_) return self->shut();
    self->up_ = true;
    self->owner_->link_up(self->which_);
    self->read();
    self->write();
  });
}

void SimLink::read() {
  with_stream([this](auto& stream) {
    stream.async_read_some(asio::buffer(rx_), [self = shared_from_this()](const error_code& ec, std::size_t n) {
      if (ec) return self->fail(ec == asio::error::eof ? "closed by peer" : ec.message());
      if (!self->owner_) return;
      self->owner_->link_bytes(self->which_, self->rx_.data(), n);
      self->read();
    });
  });
}

bool SimLink::send(const std::uint8_t* data, std::size_t size) {
  if (!owner_ || queued_ + size > max_queued) return false;
  queue_.emplace_back(reinterpret_cast<const char*>(data), size);
  queued_ += size;
  write();
  return true;
}

void SimLink::write() {
  if (writing_ || !up_ || queue_.empty()) return;
  writing_ = true;
  with_stream([this](auto& stream) {
    asio::async_write(stream, asio::buffer(queue_.front()),
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->fail(ec.message());
                        self->queued_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                        if (self->closing_ && self->queue_.empty()) return self->shut();
                        self->write();
                      });
  });
}

void SimLink::close() {
  owner_ = nullptr;
  closing_ = true;
  if (!writing_ && (queue_.empty() || !up_)) return shut();
  linger_.expires_after(std::chrono::seconds(1));
  linger_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->shut();
  });
}

void SimLink::abort(const std::string& why) {
  if (why.empty()) owner_ = nullptr;
  error_code ignored;
  socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  fail(why);
}

void SimLink::fail(const std::string& why) {
  LinkOwner* owner = owner_;
  owner_ = nullptr;
  shut();
  if (owner) owner->link_down(which_, why);
}

void SimLink::shut() {
  error_code ignored;
  resolver_.cancel();
  linger_.cancel();
  // No TLS close_notify exchange: waiting for the peer's could hang, and a lock losing its link
  // does not get to say goodbye either.
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace locksim
