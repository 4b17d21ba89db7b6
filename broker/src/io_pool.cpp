#include "broker/io_pool.hpp"

#include <pthread.h>

#include <boost/asio/post.hpp>

#include "broker/broker.hpp"

namespace broker {

IoPool::IoPool(unsigned workers, PlacementOptions placement) : placement_(placement) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) workers_.push_back(std::make_unique<Worker>());
}

IoPool::~IoPool() { stop(); }

std::vector<Executor*> IoPool::executors() {
  std::vector<Executor*> out;
  for (auto& w : workers_) out.push_back(w.get());
  return out;
}

namespace {
std::chrono::nanoseconds cpu_time(clockid_t clock) {
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) return std::chrono::nanoseconds(0);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}
}  // namespace

unsigned IoPool::next() {
  if (placement_.placement == Placement::spread || size() == 1) {
    auto i = next_;
    next_ = (next_ + 1) % size();
    return i;
  }
  sample_load();
  // The lowest-numbered worker with room; when none has, the least busy.
  unsigned least = 0;
  for (unsigned i = 0; i < size(); ++i) {
    auto b = busy(i);
    if (b < placement_.pack_below) return i;
    if (b < busy(least)) least = i;
  }
  return least;
}

double IoPool::busy(unsigned i) const { return workers_.at(i)->busy.load(std::memory_order_relaxed); }

void IoPool::sample_load() {
  std::lock_guard<std::mutex> lock(sample_mutex_);
  if (!sampling_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - sampled_at_ >= placement_.sample_every) sample_locked(now);
}

void IoPool::sample_locked(std::chrono::steady_clock::time_point now) {
  // The first call (from start()) only takes the baseline.
  auto baseline = sampled_at_ == std::chrono::steady_clock::time_point{};
  auto wall = std::chrono::duration<double>(now - sampled_at_).count();
  for (auto& w : workers_) {
    auto cpu = cpu_time(w->cpu_clock);
    if (!baseline && wall > 0)
      w->busy.store(std::chrono::duration<double>(cpu - w->cpu_at_sample).count() / wall, std::memory_order_relaxed);
    w->cpu_at_sample = cpu;
  }
  sampled_at_ = now;
}

void IoPool::start() {
  for (unsigned i = 0; i < workers_.size(); ++i) {
    threads_.emplace_back([this, i] {
      Broker::set_current_worker(static_cast<int>(i));
      workers_[i]->io.run();
    });
  }
  std::lock_guard<std::mutex> lock(sample_mutex_);
  for (unsigned i = 0; i < workers_.size(); ++i)
    sampling_ =
        ::pthread_getcpuclockid(threads_[i].native_handle(), &workers_[i]->cpu_clock) == 0 && (i == 0 || sampling_);
  // The first sample only sets the baseline: every worker counts as idle until the next.
  if (sampling_) sample_locked(std::chrono::steady_clock::now());
}

void IoPool::stop() {
  {
    std::lock_guard<std::mutex> lock(sample_mutex_);
    sampling_ = false;  // the threads' clocks die with them
    sampled_at_ = {};
  }
  for (auto& w : workers_) {
    w->guard.reset();
    boost::asio::post(w->io, [&poller = w->poller] { poller.cancel(); });
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void IoPool::Worker::post(std::function<void()> fn) { boost::asio::post(io, std::move(fn)); }

}  // namespace broker
