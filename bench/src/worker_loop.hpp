#pragma once
// What every scenario needs inside a worker process: the io_context it runs on, the broker's
// address, clients made for the chosen transport, connection starts paced to a rate with a cap on
// how many are mid-handshake, and the parent's "go" signal.
//
// Threading: everything here runs on the worker's one io_context thread.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/options.hpp"
#include "client.hpp"
#include "workers.hpp"

namespace bench {

class WorkerLoop {
 public:
  WorkerLoop(const Options& o, const WorkerContext& ctx);

  boost::asio::io_context& io() { return io_; }
  const Options& options() const { return o_; }
  const WorkerContext& context() const { return ctx_; }

  std::shared_ptr<Client> make_client(ClientObserver& observer, broker::codec::Connect connect);

  // Queues `client` to start from the source address for run-wide connection number `index`.
  void enqueue(std::shared_ptr<Client> client, std::uint64_t index);
  // Each queued client must report here once, when it is connected or has failed.
  void settled();
  std::uint64_t started() const { return started_; }

  // Tells the parent this worker is ready; runs `go` when the parent says so, `stop` if it is gone.
  void ready_then(std::function<void()> go, std::function<void()> stop);

  // Runs `fn` after `seconds` (used for the hold, duration and drain deadlines).
  void after(double seconds, std::function<void()> fn);

  // Ends io().run() once every client in `clients` has closed (their DISCONNECTs written), or
  // after `max_seconds` whatever is still open, cancelling any timer still armed.
  void stop_when_closed(std::vector<std::shared_ptr<Client>> clients, double max_seconds);

 private:
  void tick();
  void start_some();
  void poll_closed();

  const Options& o_;
  WorkerContext ctx_;
  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::endpoint remote_;
  std::uint32_t source_addrs_;
  std::deque<std::pair<std::shared_ptr<Client>, std::uint64_t>> queue_;
  boost::asio::steady_timer pacer_;
  bool pacing_ = false;
  std::uint64_t pace_start_ns_ = 0;
  std::uint64_t started_ = 0;
  std::uint64_t in_flight_ = 0;
  boost::asio::posix::stream_descriptor parent_;
  char go_byte_ = 0;
  std::vector<std::shared_ptr<Client>> closing_;
  std::uint64_t close_deadline_ns_ = 0;
};

}  // namespace bench
