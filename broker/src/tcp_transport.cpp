#include "broker/tcp_transport.hpp"

#include <array>

#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace broker {

char* read_scratch() {
  thread_local std::unique_ptr<char[]> buffer(new char[read_scratch_size]);
  return buffer.get();
}

TcpTransport::TcpTransport(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);
}

void TcpTransport::async_read(ReadHandler h) {
  socket_.async_wait(boost::asio::ip::tcp::socket::wait_read,
                     [this, h = std::move(h)](const boost::system::error_code& ec) mutable {
                       if (ec) return h(ec, {});
                       boost::system::error_code rec;
                       auto n = socket_.read_some(boost::asio::buffer(read_scratch(), read_scratch_size), rec);
                       if (rec == boost::asio::error::would_block || rec == boost::asio::error::try_again)
                         return async_read(std::move(h));  // spurious wake-up
                       h(rec, std::string_view(read_scratch(), n));
                     });
}

void TcpTransport::async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) {
  boost::asio::async_write(socket_, buffers,
                           [h = std::move(h)](const boost::system::error_code& ec, std::size_t) { h(ec); });
}

void TcpTransport::close() {
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

std::string format_endpoint(const boost::asio::ip::tcp::endpoint& e) {
  auto addr = e.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
  if (addr.is_v6()) return fmt::format("[{}]:{}", addr.to_string(), e.port());
  return fmt::format("{}:{}", addr.to_string(), e.port());
}

std::string TcpTransport::remote_address() const {
  boost::system::error_code ec;
  auto e = socket_.remote_endpoint(ec);
  return ec ? std::string("unknown") : format_endpoint(e);
}

}  // namespace broker
