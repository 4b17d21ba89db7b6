#pragma once
// The broker's threads: one io_context per worker, each run by one thread, so a connection's
// handlers never run concurrently and need no locks. Cross-worker work is only ever post()ed.
#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "broker/executor.hpp"
#include "broker/poller.hpp"

namespace broker {

class IoPool {
 public:
  explicit IoPool(unsigned workers);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()); }
  boost::asio::io_context& context(unsigned i) { return workers_.at(i)->io; }
  Executor* executor(unsigned i) { return workers_.at(i).get(); }
  // The epoll set plain TCP connections of worker i are watched in (destroyed before the context).
  Poller& poller(unsigned i) { return workers_.at(i)->poller; }
  std::vector<Executor*> executors();
  // Round-robin choice for the next accepted connection.
  unsigned next();

  void start();
  // Lets the loops finish their queued work and joins the threads.
  void stop();

 private:
  struct Worker final : Executor {
    boost::asio::io_context io{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
    Poller poller{io};
    void post(std::function<void()> fn) override;
  };
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  unsigned next_ = 0;
};

}  // namespace broker
