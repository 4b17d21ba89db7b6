#include "broker/tcp_transport.hpp"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

namespace broker {

namespace {
boost::system::error_code last_error() { return {errno, boost::system::system_category()}; }
}  // namespace

char* read_scratch() {
  thread_local std::unique_ptr<char[]> buffer(new char[read_scratch_size]);
  return buffer.get();
}

// What is left of a write the socket could not take at once.
struct TcpTransport::Write {
  std::vector<boost::asio::const_buffer> buffers;
  std::size_t next = 0;  // first buffer not completely written; it may be trimmed
  WriteHandler handler;
};

namespace {

// Writes buffers[next..count) until done or EAGAIN, advancing `next` and trimming the buffer at
// `next` by what of it went out. Returns true when everything is written; false with `ec` clear
// when the socket is full.
bool write_some(int fd, boost::asio::const_buffer* buffers, std::size_t count, std::size_t& next,
                boost::system::error_code& ec) {
  ec.clear();
  while (next < count) {
    iovec iov[64];
    std::size_t n_iov = std::min<std::size_t>(count - next, 64);
    for (std::size_t i = 0; i < n_iov; ++i) {
      iov[i].iov_base = const_cast<void*>(buffers[next + i].data());
      iov[i].iov_len = buffers[next + i].size();
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n_iov;
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) ec = last_error();
      return false;
    }
    auto left = static_cast<std::size_t>(n);
    while (next < count && left >= buffers[next].size()) left -= buffers[next++].size();
    if (left) buffers[next] += left;
  }
  return true;
}

}  // namespace

TcpTransport::TcpTransport(Poller& poller, boost::asio::ip::tcp::socket socket) : poller_(poller) {
  boost::system::error_code ec;
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  fd_ = socket.release(ec);
  if (ec) return;  // reads then fail at once and the connection closes
  int on = 1;
  if (::ioctl(fd_, FIONBIO, &on) < 0) ec = last_error();
  else poller_.add(fd_, this, ec);
  if (ec) {
    ::close(fd_);
    fd_ = -1;
  }
}

TcpTransport::~TcpTransport() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpTransport::async_read(ReadHandler h) {
  if (fd_ >= 0 && !readable_) {
    read_ = std::move(h);  // the readable edge calls read_now()
    return;
  }
  // Bytes may be waiting (or the socket is closed): read from a fresh handler rather than from
  // inside the caller. The posted handler keeps the connection, and so this transport, alive.
  boost::asio::post(poller_.io(), [this, h = std::move(h)]() mutable {
    read_ = std::move(h);
    read_now();
  });
}

void TcpTransport::read_now() {
  boost::system::error_code ec;
  ssize_t n = 0;
  if (fd_ < 0) {
    ec = boost::asio::error::operation_aborted;
  } else {
    do n = ::recv(fd_, read_scratch(), read_scratch_size, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      readable_ = false;  // a spurious edge: wait for the next one
      return;
    }
    if (n < 0) ec = last_error();
    if (n == 0) ec = boost::asio::error::eof;
    if (n >= 0 && static_cast<std::size_t>(n) < read_scratch_size) readable_ = false;
  }
  auto h = std::move(read_);
  read_ = nullptr;
  // May destroy this transport (the handler held the last reference to its connection).
  h(ec, ec ? std::string_view() : std::string_view(read_scratch(), static_cast<std::size_t>(n)));
}

void TcpTransport::async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) {
  if (fd_ < 0) return post_write_done(std::move(h), boost::asio::error::operation_aborted);
  // Usually the socket takes everything at once, straight from the caller's list (a small local
  // copy: write_some trims it); only a full socket makes this transport keep the rest.
  thread_local std::vector<boost::asio::const_buffer> scratch;
  scratch.assign(buffers.begin(), buffers.end());
  std::size_t next = 0;
  boost::system::error_code ec;
  if (write_some(fd_, scratch.data(), scratch.size(), next, ec) || ec) return post_write_done(std::move(h), ec);
  write_ = std::make_unique<Write>();
  write_->buffers.assign(scratch.begin() + static_cast<std::ptrdiff_t>(next), scratch.end());
  write_->handler = std::move(h);  // the writable edge calls write_now()
}

void TcpTransport::write_now() {
  boost::system::error_code ec;
  auto& w = *write_;
  if (!write_some(fd_, w.buffers.data(), w.buffers.size(), w.next, ec) && !ec) return;
  auto done = std::move(write_);
  post_write_done(std::move(done->handler), ec);
}

void TcpTransport::post_write_done(WriteHandler h, const boost::system::error_code& ec) {
  boost::asio::post(poller_.io(), [h = std::move(h), ec] { h(ec); });
}

void TcpTransport::on_ready(std::uint32_t events) {
  if (fd_ < 0) return;
  bool failed = events & (EPOLLERR | EPOLLHUP);
  // The write side first: it only posts, while the read handler may destroy this transport.
  if (write_ && (failed || (events & EPOLLOUT))) write_now();
  if (failed || (events & (EPOLLIN | EPOLLRDHUP))) {
    readable_ = true;
    if (read_) read_now();
  }
}

void TcpTransport::close() {
  if (fd_ < 0) return;
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);  // leaves the epoll set with it
  fd_ = -1;
  if (read_) {
    boost::asio::post(poller_.io(), [h = std::move(read_)] { h(boost::asio::error::operation_aborted, {}); });
    read_ = nullptr;
  }
  if (write_) {
    auto w = std::move(write_);
    post_write_done(std::move(w->handler), boost::asio::error::operation_aborted);
  }
}

std::string format_endpoint(const boost::asio::ip::tcp::endpoint& e) {
  auto addr = e.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
  if (addr.is_v6()) return fmt::format("[{}]:{}", addr.to_string(), e.port());
  return fmt::format("{}:{}", addr.to_string(), e.port());
}

std::string TcpTransport::remote_address() const {
  boost::asio::ip::tcp::endpoint e;
  socklen_t len = static_cast<socklen_t>(e.capacity());
  if (fd_ < 0 || ::getpeername(fd_, e.data(), &len) < 0) return "unknown";
  e.resize(len);
  return format_endpoint(e);
}

}  // namespace broker
