#include "lockrules/control_guard.hpp"

namespace lockrules {

void ControlGuard::publish(broker::MessagePtr message) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (target_) target_->publish(std::move(message));
}

void ControlGuard::publish_now(broker::MessagePtr message, std::function<void(std::vector<std::string>)> done) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (target_) target_->publish_now(std::move(message), std::move(done));
}

void ControlGuard::disconnect_user(const std::string& username) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (target_) target_->disconnect_user(username);
}

void ControlGuard::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (target_) target_->run_after(delay, std::move(fn));
}

void ControlGuard::close() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  target_ = nullptr;
}

}  // namespace lockrules
