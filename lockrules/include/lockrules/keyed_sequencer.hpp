#pragma once
// Runs asynchronous tasks one at a time per key, in submission order, and different keys
// concurrently: two status reports of one lock are compared and recorded in the order they
// arrived, while a slow store for one lock never delays another.
//
// A task receives a `done` it must call exactly once, from any thread, possibly before it
// returns. The next task of that key then starts on the thread that called `done`; tasks must
// therefore not block (they start store calls and return).
//
// THREADING: submit() and keys() are safe from any thread. One mutex guards the queues and
// is never held while a task runs. A key with nothing queued or running holds no memory.
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace lockrules {

class KeyedSequencer {
 public:
  using Done = std::function<void()>;
  using Task = std::function<void(Done)>;

  // A key with `max_per_key` tasks waiting (not counting the running one) refuses more.
  explicit KeyedSequencer(std::size_t max_per_key) : max_per_key_(max_per_key) {}
  KeyedSequencer(const KeyedSequencer&) = delete;
  KeyedSequencer& operator=(const KeyedSequencer&) = delete;

  // False (and `task` dropped) when the key's queue is full. The sequencer must outlive every
  // `done` it hands out.
  bool submit(const std::string& key, Task task);
  std::size_t keys() const;  // keys with a task queued or running

 private:
  void run(const std::string& key);

  mutable std::mutex mutex_;
  // A key is present exactly while one thread is running its tasks (see run()).
  std::unordered_map<std::string, std::deque<Task>> queues_;
  std::size_t max_per_key_;
};

}  // namespace lockrules
