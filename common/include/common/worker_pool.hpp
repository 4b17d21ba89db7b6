#pragma once
// A few threads for work that must not run on an I/O thread: blocking database calls (storage/)
// and password hashes that cost milliseconds of CPU (auth/). Tasks are taken from one shared
// queue. Each thread may own a context made on that thread that never leaves it (a database
// connection); with Context = void tasks take no argument.
//
// The queue may be bounded: when it is full, post() refuses and the caller answers "busy" at
// once instead of piling up work an attacker can create faster than it is done.
//
// On destruction, AtStop says what happens to tasks still queued: run_queued lets the threads
// finish them (writes already accepted complete, and what they post meanwhile, such as the next
// step of a chain), drop_queued destroys them unrun (a login's answer is no longer wanted) and
// post() refuses from then on.
//
// THREADING: post() from any thread; tasks run on the pool's threads. The queue lives in state
// shared with the threads: when the pool's last owner lets go from inside one of its own tasks,
// the pool is destroyed on one of its threads, which cannot join itself; that thread is detached
// and finishes on the shared state, the other threads are joined, and the tasks still queued are
// dropped whatever AtStop says, since they may point into the owner being destroyed.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace common {

enum class AtStop { run_queued, drop_queued };

struct PoolOptions {
  unsigned threads = 1;        // 0 is taken as 1: a pool without threads would never answer
  std::size_t max_queued = 0;  // tasks waiting (not running) before post() refuses; 0 = no bound
  AtStop at_stop = AtStop::drop_queued;
};

template <class Context = void>
class WorkerPool {
  struct Nothing {};
  using Slot = std::conditional_t<std::is_void_v<Context>, Nothing, Context>;

 public:
  using Task = std::conditional_t<std::is_void_v<Context>, std::function<void()>, std::function<void(Slot&)>>;
  // Called once on each pool thread to make that thread's context.
  using Factory = std::function<std::unique_ptr<Slot>()>;

  explicit WorkerPool(
      PoolOptions options, Factory make = [] { return std::make_unique<Slot>(); })
      : state_(std::make_shared<State>()) {
    state_->max_queued = options.max_queued;
    state_->at_stop = options.at_stop;
    for (unsigned i = 0; i < (options.threads ? options.threads : 1); ++i)
      threads_.emplace_back([state = state_, make] { run(*state, make()); });
  }

  ~WorkerPool() {
    bool inside = false;
    for (auto& t : threads_) inside = inside || t.get_id() == std::this_thread::get_id();
    std::deque<Task> dropped;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->stopping = true;
      if (inside || state_->at_stop == AtStop::drop_queued) {
        state_->abandoned = true;
        dropped.swap(state_->queue);
      }
    }
    state_->wake.notify_all();
    for (auto& t : threads_) {
      if (t.get_id() == std::this_thread::get_id())
        t.detach();  // inside this thread's task: it ends when the task returns
      else t.join();
    }
    // `dropped` is destroyed here, outside the lock: a task's captures may run code when freed.
  }

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool stopped taking work; the task is then destroyed unrun.
  bool post(Task task) {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      if (state_->abandoned || (state_->max_queued && state_->queue.size() >= state_->max_queued)) return false;
      state_->queue.push_back(std::move(task));
    }
    state_->wake.notify_one();
    return true;
  }

 private:
  struct State {
    std::size_t max_queued = 0;
    AtStop at_stop = AtStop::drop_queued;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Task> queue;
    bool stopping = false;
    bool abandoned = false;  // queued tasks are dropped, not run
  };

  static void run(State& state, std::unique_ptr<Slot> context) {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(state.mutex);
        state.wake.wait(lock, [&] { return state.stopping || !state.queue.empty(); });
        if (state.abandoned || state.queue.empty()) {
          auto dropped = std::move(state.queue);
          lock.unlock();
          return;  // `dropped` dies here, outside the lock
        }
        task = std::move(state.queue.front());
        state.queue.pop_front();
      }
      if constexpr (std::is_void_v<Context>) task();
      else task(*context);
    }
  }

  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace common
