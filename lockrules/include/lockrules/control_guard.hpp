#pragma once
// A BrokerControl that can be cut off. Store callbacks may arrive after the broker has stopped
// (they run on the store's threads); once close() has returned, nothing reaches the broker.
//
// THREADING: every method is safe from any thread. Calls hold a mutex for the duration of the
// forwarded call, which only posts work and returns.
#include <mutex>

#include "broker/hooks.hpp"

namespace lockrules {

class ControlGuard final : public broker::BrokerControl {
 public:
  explicit ControlGuard(broker::BrokerControl& target) : target_(&target) {}

  void publish(broker::MessagePtr message) override;
  // Once closed, `done` never runs: nobody is left to tell.
  void publish_now(broker::MessagePtr message, std::function<void(std::vector<std::string>)> done) override;
  void disconnect_user(const std::string& username) override;
  void run_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void close();

 private:
  std::recursive_mutex mutex_;     // a forwarded call may call back in (publish_now answered inline)
  broker::BrokerControl* target_;  // null once closed
};

}  // namespace lockrules
