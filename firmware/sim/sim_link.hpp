#pragma once
// One network connection of a simulated lock: resolve, connect, optional TLS handshake, a read
// loop, and a single writer with a byte cap. The pending Asio operations own the link
// (shared_from_this); the owning lock drops its pointer on close, and a closed link never calls
// its owner again, which is the "no on_link_down after link_close" promise of firmware::Platform.
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "firmware/platform.hpp"

namespace locksim {

class LinkOwner {
 public:
  virtual void link_up(firmware::Link link) = 0;
  virtual void link_bytes(firmware::Link link, const std::uint8_t* data, std::size_t size) = 0;
  virtual void link_down(firmware::Link link, const std::string& why) = 0;

 protected:
  ~LinkOwner() = default;
};

class SimLink : public std::enable_shared_from_this<SimLink> {
 public:
  // More unsent bytes than this and send() refuses: the core treats the link as broken.
  static constexpr std::size_t max_queued = 256 * 1024;

  // `tls` null: plain TCP. The context must outlive the link.
  SimLink(boost::asio::io_context& io, boost::asio::ssl::context* tls, LinkOwner& owner, firmware::Link which);

  void open(const std::string& host, std::uint16_t port);
  bool send(const std::uint8_t* data, std::size_t size);
  // Sends what is queued, then closes; gives up on a peer that does not read within a second.
  void close();
  // Resets the connection at once (RST, nothing flushed). With a non-empty `why` the owner hears
  // of it as a link failure; with an empty one the owner is detached first and hears nothing.
  void abort(const std::string& why);

 private:
  template <typename F>
  void with_stream(F&& f) {
    if (tls_) f(*tls_);
    else f(socket_);
  }
  void on_connected();
  void read();
  void write();
  void fail(const std::string& why);
  void shut();

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer linger_;
  LinkOwner* owner_;  // null once closed by the core or failed
  firmware::Link which_;
  std::string host_;
  std::deque<std::string> queue_;
  std::size_t queued_ = 0;
  bool up_ = false;
  bool writing_ = false;
  bool closing_ = false;
  std::array<std::uint8_t, 4096> rx_;
};

}  // namespace locksim
