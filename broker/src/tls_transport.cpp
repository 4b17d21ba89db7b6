#include "broker/tls_transport.hpp"

#include <boost/asio/write.hpp>

#include "broker/tcp_transport.hpp"

namespace broker {

TlsTransport::TlsTransport(boost::asio::ip::tcp::socket socket,
                           std::shared_ptr<boost::asio::ssl::context> ctx)
    : ctx_(std::move(ctx)), stream_(std::move(socket), *ctx_) {
  boost::system::error_code ec;
  stream_.lowest_layer().set_option(boost::asio::ip::tcp::no_delay(true), ec);
  auto peer = stream_.lowest_layer().remote_endpoint(ec);
  address_ = ec ? std::string("unknown") : format_endpoint(peer);
}

void TlsTransport::async_read(ReadHandler h) {
  if (!buffer_) buffer_.reset(new char[stream_read_buffer]);
  stream_.async_read_some(boost::asio::buffer(buffer_.get(), stream_read_buffer),
                          [this, h = std::move(h)](const boost::system::error_code& ec, std::size_t n) {
                            h(ec, std::string_view(buffer_.get(), n));
                          });
}

void TlsTransport::async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) {
  boost::asio::async_write(stream_, buffers,
                           [h = std::move(h)](const boost::system::error_code& ec, std::size_t) { h(ec); });
}

void TlsTransport::close() {
  // No close_notify: it would need a write that outlives the connection object, and MQTT has its
  // own DISCONNECT. Closing the socket ends pending operations with an error.
  boost::system::error_code ignored;
  stream_.lowest_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
}

}  // namespace broker
