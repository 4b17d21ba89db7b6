#include "lockrules/direct_history.hpp"

namespace lockrules {

namespace {
constexpr std::size_t batch_limit = 256;
}

void DirectHistoryWriter::append(storage::HistoryEvent event, StatusCallback done) {
  {
    std::unique_lock lock(mutex_);
    if (queue_.size() >= max_queued_) {
      ++stats_.rejected;
      lock.unlock();
      if (done) done(storage::Status::failure("history queue full"));
      return;
    }
    static const char* hex = "0123456789abcdef";
    event.uid.resize(32);
    for (std::size_t i = 0; i < 32; i += 16) {
      auto bits = rng_();
      for (std::size_t j = 0; j < 16; ++j, bits >>= 4) event.uid[i + j] = hex[bits & 15];
    }
    ++stats_.accepted;
    ++stats_.pending;
    queue_.push_back({std::move(event), std::move(done)});
    if (in_flight_) return;
    in_flight_ = true;
  }
  write_next();
}

void DirectHistoryWriter::write_next() {
  std::vector<storage::HistoryEvent> events;
  std::vector<StatusCallback> dones;
  std::vector<StatusCallback> flushed;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      in_flight_ = false;
      flushed.swap(flushes_);
    }
    while (!queue_.empty() && events.size() < batch_limit) {
      events.push_back(std::move(queue_.front().event));
      dones.push_back(std::move(queue_.front().done));
      queue_.pop_front();
    }
  }
  for (auto& f : flushed) f(storage::Status::success());
  if (events.empty()) return;
  auto self = shared_from_this();
  const auto n = events.size();
  sql_->append_history(std::move(events), [self, n, dones = std::move(dones)](storage::Status s) {
    {
      std::lock_guard lock(self->mutex_);
      self->stats_.pending -= n;
      if (s) {
        self->stats_.written += n;
      } else {
        ++self->stats_.failures;
      }
    }
    for (auto& d : dones)
      if (d) d(s);
    self->write_next();
  });
}

storage::HistoryStats DirectHistoryWriter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void DirectHistoryWriter::flush(std::chrono::milliseconds, StatusCallback done) {
  {
    std::lock_guard lock(mutex_);
    if (in_flight_) {
      flushes_.push_back(std::move(done));
      return;
    }
  }
  done(storage::Status::success());
}

}  // namespace lockrules
