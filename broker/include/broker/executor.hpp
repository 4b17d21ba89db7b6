#pragma once
#include <functional>

namespace broker {

// One broker worker: a thread with its own event loop. Connections and the sessions attached to
// them are pinned to one worker; all cross-thread work is a post() to the owning worker.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void post(std::function<void()> fn) = 0;
};

}  // namespace broker
