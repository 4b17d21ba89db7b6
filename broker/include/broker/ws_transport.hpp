#pragma once
// MQTT over WebSocket (8083) and over WebSocket in TLS (8084), on Boost.Beast's websocket stream.
// Incoming: the payload of binary messages is one byte stream, however it is split into frames;
// the Connection frames MQTT packets out of it as it does for TCP. A text frame ends the
// connection. Outgoing: each write (one or several coalesced MQTT packets) is one binary frame.
// Ping, pong and the closing handshake are answered by Beast while a read is pending, which the
// Connection always has except while authenticating.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "broker/transport.hpp"

namespace broker {

template <class NextLayer>
class WsTransport final : public Transport {
 public:
  using Stream = boost::beast::websocket::stream<NextLayer>;
  // `ctx` is the TLS context for WSS (kept for the connection's life), null for plain WebSocket.
  WsTransport(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> ctx,
              std::size_t max_message_size);

  void async_read(ReadHandler h) override;
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) override;
  void close() override;
  std::string remote_address() const override { return address_; }
  const char* kind() const override;
  std::optional<std::string> certificate_username() const override { return username_; }

  Stream& stream() { return ws_; }
  // The client behind a trusted proxy, found during the upgrade.
  void set_remote_address(std::string a) { address_ = std::move(a); }
  void set_certificate_username(std::optional<std::string> u) { username_ = std::move(u); }

 private:
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  Stream ws_;
  std::string address_;
  std::optional<std::string> username_;
  std::unique_ptr<char[]> buffer_;  // allocated at the first read
};

using PlainWsTransport = WsTransport<boost::asio::ip::tcp::socket>;
using SecureWsTransport = WsTransport<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>;

}  // namespace broker
