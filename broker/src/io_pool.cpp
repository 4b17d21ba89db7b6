#include "broker/io_pool.hpp"

#include <boost/asio/post.hpp>

#include "broker/broker.hpp"

namespace broker {

IoPool::IoPool(unsigned workers) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) workers_.push_back(std::make_unique<Worker>());
}

IoPool::~IoPool() { stop(); }

std::vector<Executor*> IoPool::executors() {
  std::vector<Executor*> out;
  for (auto& w : workers_) out.push_back(w.get());
  return out;
}

unsigned IoPool::next() {
  auto i = next_;
  next_ = (next_ + 1) % size();
  return i;
}

void IoPool::start() {
  for (unsigned i = 0; i < workers_.size(); ++i) {
    threads_.emplace_back([this, i] {
      Broker::set_current_worker(static_cast<int>(i));
      workers_[i]->io.run();
    });
  }
}

void IoPool::stop() {
  for (auto& w : workers_) w->guard.reset();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void IoPool::Worker::post(std::function<void()> fn) { boost::asio::post(io, std::move(fn)); }

}  // namespace broker
