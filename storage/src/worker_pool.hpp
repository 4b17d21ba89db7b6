#pragma once
// A few threads, each owning one session object (a database connection) that never leaves its
// thread; tasks are taken from one shared queue. Blocking database calls happen here, never on
// an Asio I/O thread. On destruction the queued tasks still run, then the threads join.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace storage::detail {

template <class Session>
class WorkerPool {
 public:
  using Task = std::function<void(Session&)>;
  // Called once on each worker thread to create that thread's session.
  using Factory = std::function<std::unique_ptr<Session>()>;

  WorkerPool(int threads, Factory make) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, make] { run(make()); });
  }

  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(Task task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void run(std::unique_ptr<Session> session) {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task(*session);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace storage::detail
