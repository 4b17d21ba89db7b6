#include "auth/hash_pool.hpp"

namespace auth {

HashPool::HashPool(unsigned threads, std::size_t max_queued) : state_(std::make_shared<State>()) {
  state_->max_queued = max_queued;
  for (unsigned i = 0; i < (threads ? threads : 1); ++i)
    threads_.emplace_back([state = state_] { run(state); });
}

HashPool::~HashPool() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    dropped.swap(state_->queue);
  }
  state_->wake.notify_all();
  for (auto& t : threads_) {
    if (t.get_id() == std::this_thread::get_id())
      t.detach();  // we are inside this thread's task: it ends when the task returns
    else
      t.join();
  }
  // Each dropped task owns a login's `done`; destroying them here (not under the lock) is fine:
  // the broker's connect timeout refuses those logins.
}

bool HashPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping || state_->queue.size() >= state_->max_queued) return false;
    state_->queue.push_back(std::move(task));
  }
  state_->wake.notify_one();
  return true;
}

void HashPool::run(const std::shared_ptr<State>& state) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(state->mutex);
      state->wake.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
      if (state->stopping) return;
      task = std::move(state->queue.front());
      state->queue.pop_front();
    }
    task();
  }
}

}  // namespace auth
