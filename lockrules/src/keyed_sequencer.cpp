#include "lockrules/keyed_sequencer.hpp"

#include <atomic>
#include <memory>

namespace lockrules {

bool KeyedSequencer::submit(const std::string& key, Task task) {
  {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = queues_.try_emplace(key);
    if (!fresh) {
      // Someone is running this key's tasks and will pick this one up.
      if (it->second.size() >= max_per_key_) return false;
      it->second.push_back(std::move(task));
      return true;
    }
    it->second.push_back(std::move(task));
  }
  run(key);
  return true;
}

std::size_t KeyedSequencer::keys() const {
  std::lock_guard lock(mutex_);
  return queues_.size();
}

void KeyedSequencer::run(const std::string& key) {
  for (;;) {
    Task task;
    {
      std::lock_guard lock(mutex_);
      auto it = queues_.find(key);
      if (it->second.empty()) {
        queues_.erase(it);  // nobody runs this key any more; the next submit starts afresh
        return;
      }
      task = std::move(it->second.front());
      it->second.pop_front();
    }
    // A task may finish inline (a cached answer) or later on another thread. Whichever of
    // "task returned" and "done called" happens second continues the queue: a loop instead of
    // recursion when inline, so a long queue of quick tasks cannot overflow the stack.
    enum : int { started, finished, returned };
    auto state = std::make_shared<std::atomic<int>>(started);
    task([this, key, state] {
      if (state->exchange(finished) == returned) run(key);
    });
    if (state->exchange(returned) == started) return;
  }
}

}  // namespace lockrules
