#pragma once
#include <boost/asio/ip/tcp.hpp>

#include "broker/transport.hpp"

namespace broker {

// Plain TCP. Reads wait for readability and then read into a per-thread scratch buffer, so an
// idle connection holds no read buffer at all (the largest part of per-connection memory in a
// classic async_read_some design).
class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(boost::asio::ip::tcp::socket socket);
  void async_read(ReadHandler h) override;
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) override;
  void close() override;
  std::string remote_address() const override;
  const char* kind() const override { return "tcp"; }

  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  boost::asio::ip::tcp::socket socket_;
};

std::string format_endpoint(const boost::asio::ip::tcp::endpoint& e);

// The per-thread buffer TCP and TLS reads land in; valid until the next read on the thread.
constexpr std::size_t read_scratch_size = 64 * 1024;
char* read_scratch();

}  // namespace broker
