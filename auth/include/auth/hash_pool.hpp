#pragma once
// A few threads for password checks that cost milliseconds of CPU (bcrypt, pbkdf2), so they never
// run on a broker I/O thread or on the store's callback thread. The queue is bounded: when full,
// post() refuses and the caller fails the login (code 5) instead of piling up work an attacker
// can create faster than we can hash.
//
// THREADING: post() from any thread; tasks run on the pool's threads. The destructor drops
// queued tasks and joins.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace auth {

class HashPool {
 public:
  HashPool(unsigned threads, std::size_t max_queued);
  ~HashPool();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

  bool post(std::function<void()> task);

 private:
  // Shared with the threads, so a thread that outlives the pool (the pool's last owner was
  // released by one of its own tasks, and a thread cannot join itself) still finds it.
  struct State {
    std::size_t max_queued;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> queue;
    bool stopping = false;
  };
  static void run(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace auth
