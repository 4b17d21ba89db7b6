#pragma once
// MQTT over TLS (port 8883). The transport is built around the accepted socket with the listener's
// current TLS context; tls_listener.hpp runs the handshake before handing it to the broker.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "broker/transport.hpp"

namespace broker {

class TlsTransport final : public Transport {
 public:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  TlsTransport(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> ctx);

  void async_read(ReadHandler h) override;
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) override;
  void close() override;
  std::string remote_address() const override { return address_; }
  const char* kind() const override { return "tls"; }
  std::optional<std::string> certificate_username() const override { return username_; }

  Stream& stream() { return stream_; }
  void set_certificate_username(std::optional<std::string> u) { username_ = std::move(u); }

 private:
  // The connection keeps the context its SSL object was made from; a reload swaps the listener's
  // context, never this one.
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  Stream stream_;
  std::string address_;
  std::optional<std::string> username_;
  // Decrypted bytes land here; allocated at the first read. (A per-thread scratch buffer as TCP
  // uses is not safe: SSL may fill it before the completion handler is queued.)
  std::unique_ptr<char[]> buffer_;
};

// Size of the per-connection read buffer of TLS and WebSocket transports.
constexpr std::size_t stream_read_buffer = 4096;

}  // namespace broker
