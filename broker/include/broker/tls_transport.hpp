#pragma once
// MQTT over TLS (port 8883), with OpenSSL driven directly on the non-blocking socket rather than
// through asio::ssl::stream. The reason is memory: asio's stream keeps two 17 KiB staging buffers
// and a BIO pair with two more per connection, about 70 KiB for every idle lock; here an idle
// connection holds only OpenSSL's SSL object (its record buffers are released while idle), and
// decrypted bytes go to the per-thread scratch buffer the way TCP's do.
//
// tls_listener.hpp runs the handshake (with a deadline) before handing the transport to the
// broker. All calls on one worker thread, as for every transport.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "broker/transport.hpp"

namespace broker {

class TlsTransport final : public Transport {
 public:
  using HandshakeHandler = std::function<void(const boost::system::error_code&)>;
  TlsTransport(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> ctx);
  ~TlsTransport() override;

  void async_handshake(HandshakeHandler h);
  void async_read(ReadHandler h) override;
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) override;
  void close() override;
  std::string remote_address() const override { return address_; }
  const char* kind() const override { return "tls"; }
  std::optional<std::string> certificate_username() const override { return username_; }

  SSL* native_handle() { return ssl_; }
  boost::asio::ip::tcp::socket::executor_type get_executor() { return socket_.get_executor(); }
  void set_certificate_username(std::optional<std::string> u) { username_ = std::move(u); }

 private:
  enum class Step { done, want_read, want_write, failed };
  Step step(int ret, boost::system::error_code& ec);
  void retry(Step s, std::function<void()> again, const std::function<void(const boost::system::error_code&)>& fail,
             const boost::system::error_code& ec);
  void do_handshake(std::shared_ptr<HandshakeHandler> h);
  void do_read(std::shared_ptr<ReadHandler> h);
  void do_write(std::shared_ptr<WriteHandler> h);

  // The connection keeps the context its SSL object was made from; a reload swaps the listener's
  // context, never this one.
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
  std::string address_;
  std::optional<std::string> username_;
  // The write in progress: small scatter-gather pieces are joined so a PUBLISH is one TLS record,
  // not four. Empty between writes.
  std::string out_;
  std::size_t out_done_ = 0;
};

}  // namespace broker
