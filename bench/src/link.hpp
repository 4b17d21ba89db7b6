#pragma once
// A byte pipe to the broker: plain TCP, TLS, or WebSocket over either. The MQTT client above it
// sees only MQTT bytes; the WebSocket framing and the TLS record layer stay in here.
//
// Threading: one io_context thread per worker process; a Link is used only from that thread.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bench/options.hpp"

namespace bench {

class Link {
 public:
  using Done = std::function<void(const boost::system::error_code&)>;
  using Received = std::function<void(const boost::system::error_code&, std::string_view)>;

  virtual ~Link() = default;
  // Connects from `local` (port chosen by the kernel) and completes the TLS and WebSocket
  // handshakes the transport needs.
  virtual void open(const boost::asio::ip::tcp::endpoint& remote, const boost::asio::ip::address& local, Done done) = 0;
  // `bytes` must stay alive and unchanged until `done` runs; one write at a time.
  virtual void write(std::string_view bytes, Done done) = 0;
  // Delivers the next MQTT bytes that arrived; the view lives until the handler returns.
  virtual void read(Received received) = 0;
  virtual void close() = 0;
};

// `tls` must outlive every link made with it; it is used for tls and wss only.
std::unique_ptr<Link> make_link(boost::asio::io_context& io, boost::asio::ssl::context& tls, const Options& o);

}  // namespace bench
