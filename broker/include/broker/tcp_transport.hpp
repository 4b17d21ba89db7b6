#pragma once
#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "broker/poller.hpp"
#include "broker/transport.hpp"

namespace broker {

// Plain TCP on the worker's Poller instead of Asio's reactor (see poller.hpp for why): the socket
// is a bare descriptor, a read waits for the readable edge and then reads into a per-thread
// scratch buffer, so an idle connection holds no read buffer and no pending operation at all.
// Completions of writes, and of anything after close(), are posted, never run inside the call
// that started them, as with Asio.
class TcpTransport final : public Transport, private Poller::Watcher {
 public:
  // Takes the descriptor out of Asio (its per-socket state goes back to Asio's pool at once).
  TcpTransport(Poller& poller, boost::asio::ip::tcp::socket socket);
  ~TcpTransport() override;

  void async_read(ReadHandler h) override;
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, WriteHandler h) override;
  void close() override;
  std::string remote_address() const override;
  const char* kind() const override { return "tcp"; }

 private:
  struct Write;
  void on_ready(std::uint32_t events) override;
  void read_now();
  void write_now();
  void post_write_done(WriteHandler h, const boost::system::error_code& ec);

  Poller& poller_;
  ReadHandler read_;
  std::unique_ptr<Write> write_;  // only while the socket could not take a write at once
  int fd_ = -1;
  // Set by a readable edge, cleared by a read that came back short (the kernel reports the next
  // arrival as a new edge).
  bool readable_ = false;
};

std::string format_endpoint(const boost::asio::ip::tcp::endpoint& e);

// The per-thread buffer TCP and TLS reads land in; valid until the next read on the thread.
constexpr std::size_t read_scratch_size = 64 * 1024;
char* read_scratch();

}  // namespace broker
