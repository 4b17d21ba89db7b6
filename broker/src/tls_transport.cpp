#include "broker/tls_transport.hpp"

#include <cerrno>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>

#include "broker/tcp_transport.hpp"

namespace broker {

TlsTransport::TlsTransport(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> ctx)
    : ctx_(std::move(ctx)), socket_(std::move(socket)) {
  boost::system::error_code ec;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  auto peer = socket_.remote_endpoint(ec);
  address_ = ec ? std::string("unknown") : format_endpoint(peer);
  ssl_ = SSL_new(ctx_->native_handle());
  if (!ssl_) throw std::bad_alloc();
  SSL_set_fd(ssl_, socket_.native_handle());
  SSL_set_accept_state(ssl_);
  // out_ never moves during a write, but a partial write must be allowed to report progress.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE);
}

TlsTransport::~TlsTransport() { SSL_free(ssl_); }

TlsTransport::Step TlsTransport::step(int ret, boost::system::error_code& ec) {
  if (ret > 0) return Step::done;
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ: return Step::want_read;
    case SSL_ERROR_WANT_WRITE: return Step::want_write;
    case SSL_ERROR_ZERO_RETURN: ec = boost::asio::error::eof; return Step::failed;
    case SSL_ERROR_SYSCALL:
      ec = errno ? boost::system::error_code(errno, boost::system::system_category())
                 : boost::system::error_code(boost::asio::error::eof);
      return Step::failed;
    default: {
      auto e = ERR_get_error();
      ec = e ? boost::system::error_code(static_cast<int>(e), boost::asio::error::get_ssl_category())
             : boost::system::error_code(boost::asio::ssl::error::unspecified_system_error);
      return Step::failed;
    }
  }
}

// Waits for the socket to be ready as OpenSSL asked, then calls `again`; an error (the socket
// closed) goes to `fail`.
void TlsTransport::retry(Step s, std::function<void()> again,
                         const std::function<void(const boost::system::error_code&)>& fail,
                         const boost::system::error_code& ec) {
  if (s == Step::failed) return fail(ec);
  auto wait = s == Step::want_read ? boost::asio::ip::tcp::socket::wait_read : boost::asio::ip::tcp::socket::wait_write;
  socket_.async_wait(wait, [again = std::move(again), fail](const boost::system::error_code& e) {
    if (e) return fail(e);
    again();
  });
}

void TlsTransport::async_handshake(HandshakeHandler h) {
  do_handshake(std::make_shared<HandshakeHandler>(std::move(h)));
}

void TlsTransport::do_handshake(std::shared_ptr<HandshakeHandler> h) {
  if (!socket_.is_open()) return (*h)(boost::asio::error::operation_aborted);
  ERR_clear_error();
  errno = 0;  // SSL_ERROR_SYSCALL is told apart from EOF by errno
  boost::system::error_code ec;
  auto s = step(SSL_do_handshake(ssl_), ec);
  if (s == Step::done) return (*h)({});
  retry(
      s, [this, h] { do_handshake(h); }, [h](const boost::system::error_code& e) { (*h)(e); }, ec);
}

void TlsTransport::async_read(ReadHandler h) {
  auto shared = std::make_shared<ReadHandler>(std::move(h));
  // Bytes OpenSSL already holds will not make the socket readable: read them now, but
  // from the event loop, never inside the caller.
  if (SSL_has_pending(ssl_)) boost::asio::post(socket_.get_executor(), [this, shared] { do_read(shared); });
  else
    socket_.async_wait(boost::asio::ip::tcp::socket::wait_read, [this, shared](const boost::system::error_code& e) {
      if (e) return (*shared)(e, {});
      do_read(shared);
    });
}

void TlsTransport::do_read(std::shared_ptr<ReadHandler> h) {
  // After close() the descriptor number may already belong to another socket: no SSL call.
  if (!socket_.is_open()) return (*h)(boost::asio::error::operation_aborted, {});
  ERR_clear_error();
  errno = 0;  // SSL_ERROR_SYSCALL is told apart from EOF by errno
  boost::system::error_code ec;
  int n = SSL_read(ssl_, read_scratch(), static_cast<int>(read_scratch_size));
  auto s = step(n, ec);
  if (s == Step::done) return (*h)({}, std::string_view(read_scratch(), static_cast<std::size_t>(n)));
  retry(
      s, [this, h] { do_read(h); }, [h](const boost::system::error_code& e) { (*h)(e, {}); }, ec);
}

void TlsTransport::async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) {
  out_.clear();
  for (auto& b : buffers) out_.append(static_cast<const char*>(b.data()), b.size());
  out_done_ = 0;
  auto shared = std::make_shared<WriteHandler>(std::move(h));
  boost::asio::post(socket_.get_executor(), [this, shared] { do_write(shared); });
}

void TlsTransport::do_write(std::shared_ptr<WriteHandler> h) {
  if (!socket_.is_open()) return (*h)(boost::asio::error::operation_aborted);
  while (out_done_ < out_.size()) {
    ERR_clear_error();
    errno = 0;
    boost::system::error_code ec;
    int n = SSL_write(ssl_, out_.data() + out_done_, static_cast<int>(out_.size() - out_done_));
    auto s = step(n, ec);
    if (s != Step::done)
      return retry(
          s, [this, h] { do_write(h); }, [h](const boost::system::error_code& e) { (*h)(e); }, ec);
    out_done_ += static_cast<std::size_t>(n);
  }
  std::string().swap(out_);  // an idle connection holds no write buffer
  (*h)({});
}

void TlsTransport::close() {
  // No close_notify: MQTT has its own DISCONNECT, and a clean TLS shutdown would need I/O that
  // outlives the connection. Closing the socket ends pending waits with an error.
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace broker
