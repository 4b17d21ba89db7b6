#include "worker_loop.hpp"

#include <boost/asio/read.hpp>

#include "bench/plan.hpp"
#include "bench/stamp.hpp"

namespace bench {

namespace asio = boost::asio;
using boost::system::error_code;

WorkerLoop::WorkerLoop(const Options& o, const WorkerContext& ctx)
    : o_(o),
      ctx_(ctx),
      tls_(asio::ssl::context::tls_client),
      source_addrs_(o.source_addrs),
      pacer_(io_),
      parent_(io_, ctx.from_parent) {
  // Loopback benchmarks against a test certificate: nothing to verify.
  tls_.set_verify_mode(asio::ssl::verify_none);
  remote_ = asio::ip::tcp::endpoint(asio::ip::make_address(o.host), o.port);
}

std::shared_ptr<Client> WorkerLoop::make_client(ClientObserver& observer, broker::codec::Connect connect) {
  return std::make_shared<Client>(io_, make_link(io_, tls_, o_), observer, std::move(connect));
}

void WorkerLoop::enqueue(std::shared_ptr<Client> client, std::uint64_t index) {
  queue_.emplace_back(std::move(client), index);
  if (!pacing_) {
    pacing_ = true;
    pace_start_ns_ = monotonic_ns();
    tick();
  }
}

void WorkerLoop::settled() {
  if (in_flight_) --in_flight_;
  if (o_.connect_rate <= 0) start_some();
}

void WorkerLoop::start_some() {
  double rate = o_.connect_rate / ctx_.count;
  std::uint64_t allowed = UINT64_MAX;
  if (rate > 0) {
    auto owed = due(rate, static_cast<double>(monotonic_ns() - pace_start_ns_) / 1e9) + 1;
    allowed = owed > started_ ? owed - started_ : 0;
  }
  while (!queue_.empty() && allowed > 0 && in_flight_ < o_.connect_concurrency) {
    auto [client, index] = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    ++started_;
    --allowed;
    // A host address given explicitly by the user (not loopback) leaves source choice to the kernel.
    auto local = remote_.address().is_loopback() ? asio::ip::make_address(source_address(index, source_addrs_))
                                                 : asio::ip::address();
    client->start(remote_, local, o_.connect_timeout);
  }
}

void WorkerLoop::tick() {
  start_some();
  if (queue_.empty()) {
    pacing_ = false;
    return;
  }
  pacer_.expires_after(std::chrono::milliseconds(1));
  pacer_.async_wait([this](const error_code& ec) {
    if (!ec) tick();
  });
}

void WorkerLoop::ready_then(std::function<void()> go, std::function<void()> stop) {
  signal_ready(ctx_);
  asio::async_read(parent_, asio::buffer(&go_byte_, 1),
                   [go = std::move(go), stop = std::move(stop)](const error_code& ec, std::size_t) {
                     if (ec) stop();
                     else go();
                   });
}

void WorkerLoop::after(double seconds, std::function<void()> fn) {
  auto t = std::make_shared<asio::steady_timer>(io_);
  t->expires_after(std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6)));
  t->async_wait([t, fn = std::move(fn)](const error_code& ec) {
    if (!ec) fn();
  });
}

}  // namespace bench

namespace bench {

void WorkerLoop::stop_when_closed(std::vector<std::shared_ptr<Client>> clients, double max_seconds) {
  closing_ = std::move(clients);
  close_deadline_ns_ = monotonic_ns() + static_cast<std::uint64_t>(max_seconds * 1e9);
  poll_closed();
}

// Polled rather than signalled: clients say nothing when a clean close completes, and this runs
// once per worker at the very end, for a few milliseconds.
void WorkerLoop::poll_closed() {
  bool open = false;
  for (auto& c : closing_) open = open || !c->closed();
  if (!open || monotonic_ns() >= close_deadline_ns_) {
    io_.stop();
    return;
  }
  after(0.005, [this] { poll_closed(); });
}

}  // namespace bench
