#include "broker/ws_transport.hpp"

#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "broker/tcp_transport.hpp"

namespace broker {

namespace websocket = boost::beast::websocket;
using boost::asio::ip::tcp;

namespace {

// Per-connection read buffer, allocated at the first read. (A per-thread scratch buffer as TCP
// uses is not safe here: Beast copies into it before the completion handler is queued.)
constexpr std::size_t stream_read_buffer = 4096;

class WsErrorCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "sakura.ws"; }
  std::string message(int) const override { return "text frame (MQTT needs binary frames)"; }
};

boost::system::error_code text_frame_error() {
  static const WsErrorCategory category;
  return {1, category};
}

template <class Stream>
void configure(Stream& ws, std::size_t max_message_size) {
  ws.binary(true);
  ws.auto_fragment(false);  // one frame per write
  ws.read_message_max(max_message_size);
  // Keepalive is MQTT's business (the broker's sweep); Beast's own timers stay off.
  ws.set_option(websocket::stream_base::timeout{websocket::stream_base::none(), websocket::stream_base::none(), false});
}

std::string peer_of(tcp::socket& s) {
  boost::system::error_code ec;
  auto e = s.remote_endpoint(ec);
  return ec ? std::string("unknown") : format_endpoint(e);
}

}  // namespace

template <>
WsTransport<tcp::socket>::WsTransport(tcp::socket socket, std::shared_ptr<boost::asio::ssl::context>,
                                      std::size_t max_message_size)
    : ws_(std::move(socket)) {
  configure(ws_, max_message_size);
  boost::system::error_code ignored;
  ws_.next_layer().set_option(tcp::no_delay(true), ignored);
  address_ = peer_of(ws_.next_layer());
}

template <>
WsTransport<boost::asio::ssl::stream<tcp::socket>>::WsTransport(tcp::socket socket,
                                                                std::shared_ptr<boost::asio::ssl::context> ctx,
                                                                std::size_t max_message_size)
    : ctx_(std::move(ctx)), ws_(std::move(socket), *ctx_) {
  configure(ws_, max_message_size);
  boost::system::error_code ignored;
  ws_.next_layer().next_layer().set_option(tcp::no_delay(true), ignored);
  address_ = peer_of(ws_.next_layer().next_layer());
}

template <>
const char* WsTransport<tcp::socket>::kind() const {
  return "ws";
}

template <>
const char* WsTransport<boost::asio::ssl::stream<tcp::socket>>::kind() const {
  return "wss";
}

template <class NextLayer>
void WsTransport<NextLayer>::async_read(ReadHandler h) {
  if (!buffer_) buffer_.reset(new char[stream_read_buffer]);
  ws_.async_read_some(boost::asio::buffer(buffer_.get(), stream_read_buffer),
                      [this, h = std::move(h)](boost::system::error_code ec, std::size_t n) {
                        if (!ec && ws_.got_text()) ec = text_frame_error();
                        h(ec, std::string_view(buffer_.get(), ec ? 0 : n));
                      });
}

template <class NextLayer>
void WsTransport<NextLayer>::async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) {
  ws_.async_write(buffers, [h = std::move(h)](const boost::system::error_code& ec, std::size_t) { h(ec); });
}

template <class NextLayer>
void WsTransport<NextLayer>::close() {
  // Abrupt, like TCP: a closing handshake would need I/O outliving the connection object, and a
  // client that sent DISCONNECT or broke the protocol gains nothing from it.
  boost::system::error_code ignored;
  auto& socket = boost::beast::get_lowest_layer(ws_);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

template class WsTransport<tcp::socket>;
template class WsTransport<boost::asio::ssl::stream<tcp::socket>>;

}  // namespace broker
