#include "auth/hash_pool.hpp"

namespace auth {

HashPool::HashPool(unsigned threads, std::size_t max_queued) : max_queued_(max_queued) {
  for (unsigned i = 0; i < (threads ? threads : 1); ++i) threads_.emplace_back([this] { run(); });
}

HashPool::~HashPool() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    // The last owner may be released by a task on one of our own threads: never join oneself.
    if (t.get_id() == std::this_thread::get_id())
      t.detach();
    else
      t.join();
  }
  // Each dropped task owns a login's `done`; destroying them here (not under the lock) is fine:
  // the broker's connect timeout refuses those logins.
}

bool HashPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void HashPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace auth
