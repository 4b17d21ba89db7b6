#pragma once
// The broker's threads: one io_context per worker, each run by one thread, so a connection's
// handlers never run concurrently and need no locks. Cross-worker work is only ever post()ed.
#include <time.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/executor.hpp"
#include "broker/poller.hpp"

namespace broker {

// Where an accepted connection goes. Design note: a connection stays on its worker for life, and
// a message between connections of two workers costs a wake-up of the other thread (measured on
// the 2-core machine: 20k msg/s fan-in cost 11.9 us of broker CPU per message spread over two
// workers, 4.6 us on one). So `pack` fills the lowest-numbered worker while its thread used less
// than `pack_below` of a core over the last sample, and only then spreads to the least busy one;
// `spread` is plain round robin. Both only decide at accept time: nothing moves later.
enum class Placement { pack, spread };

struct PlacementOptions {
  Placement placement = Placement::pack;
  double pack_below = 0.5;  // share of one core
  // Shortest window a load sample covers: accepts in a burst reuse the last one.
  std::chrono::milliseconds sample_every{100};
};

class IoPool {
 public:
  explicit IoPool(unsigned workers, PlacementOptions placement = {});
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()); }
  boost::asio::io_context& context(unsigned i) { return workers_.at(i)->io; }
  Executor* executor(unsigned i) { return workers_.at(i).get(); }
  // The epoll set plain TCP connections of worker i are watched in (destroyed before the context).
  Poller& poller(unsigned i) { return workers_.at(i)->poller; }
  std::vector<Executor*> executors();
  // The worker for the next accepted connection (see Placement).
  unsigned next();
  // Share of one core worker i's thread used over the last sample (0 before start()).
  double busy(unsigned i) const;
  // Takes a load sample if the last one is older than sample_every; next() calls it too, and the
  // server calls it each second so an accept after a quiet hour does not see the hour's average.
  void sample_load();

  void start();
  // Lets the loops finish their queued work and joins the threads.
  void stop();

 private:
  struct Worker final : Executor {
    boost::asio::io_context io{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
    Poller poller{io};
    void post(std::function<void()> fn) override;
    // Load sampling: the thread's CPU clock, its reading at the last sample, and the result.
    clockid_t cpu_clock{};
    std::chrono::nanoseconds cpu_at_sample{0};
    std::atomic<double> busy{0};
  };
  void sample_locked(std::chrono::steady_clock::time_point now);

  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  PlacementOptions placement_;
  std::mutex sample_mutex_;
  std::chrono::steady_clock::time_point sampled_at_{};
  bool sampling_ = false;  // clocks known (after start)
  unsigned next_ = 0;
};

}  // namespace broker
