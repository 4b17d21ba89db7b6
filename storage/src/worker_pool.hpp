#pragma once
// A few threads, each owning one session object (a database connection) that never leaves its
// thread; tasks are taken from one shared queue. Blocking database calls happen here, never on
// an Asio I/O thread. On destruction the queued tasks still run, then the threads join.
// The queue lives in state shared with the threads: when the last owner of a store lets go from
// inside one of its own tasks, the pool is destroyed on that worker, which cannot join itself; it
// is detached instead and finishes on the shared state, touching nothing of the destroyed pool.
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

  WorkerPool(int threads, Factory make) : state_(std::make_shared<State>()) {
    for (int i = 0; i < threads; ++i)
      threads_.emplace_back([state = state_, make] { run(*state, make()); });
  }

  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->stopping = true;
    }
    state_->cv.notify_all();
    for (auto& t : threads_) {
      if (t.get_id() != std::this_thread::get_id()) {
        t.join();
        continue;
      }
      // Tasks still queued may point into the owner being destroyed: they are dropped, not run.
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        state_->abandoned = true;
      }
      t.detach();
    }
  }

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(Task task) {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->queue.push_back(std::move(task));
    }
    state_->cv.notify_one();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Task> queue;
    bool stopping = false;
    bool abandoned = false;
  };

  static void run(State& state, std::unique_ptr<Session> session) {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(state.mu);
        state.cv.wait(lock, [&] { return state.stopping || !state.queue.empty(); });
        if (state.abandoned) {
          auto dropped = std::move(state.queue);
          lock.unlock();
          return;  // `dropped` dies here, outside the lock
        }
        if (state.queue.empty()) return;  // stopping and drained
        task = std::move(state.queue.front());
        state.queue.pop_front();
      }
      task(*session);
    }
  }

  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace storage::detail
