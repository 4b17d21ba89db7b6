#pragma once
// A HistoryWriter straight over Sql, for as long as storage::open() returns no spool-backed one
// (storage's write-behind spool is the real thing: durable, retried). This one keeps order and
// batches, but an event is lost, and reported lost to its callback, if the database refuses it.
//
// THREADING: append/stats/flush from any thread. One batch is in flight at a time, which is what
// keeps order on a multi-connection MariaDB pool; a mutex guards the queue and counters and is
// never held across an Sql call or a callback.
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "storage/history_writer.hpp"
#include "storage/sql.hpp"

namespace lockrules {

class DirectHistoryWriter final : public storage::HistoryWriter,
                                  public std::enable_shared_from_this<DirectHistoryWriter> {
 public:
  explicit DirectHistoryWriter(std::shared_ptr<storage::Sql> sql, std::size_t max_queued = 100000)
      : sql_(std::move(sql)), max_queued_(max_queued) {}

  void append(storage::HistoryEvent event, StatusCallback done = {}) override;
  storage::HistoryStats stats() const override;
  // Answers once everything appended before has been attempted; the timeout is not enforced.
  void flush(std::chrono::milliseconds timeout, StatusCallback done) override;

 private:
  struct Item {
    storage::HistoryEvent event;
    StatusCallback done;
  };
  void write_next();  // called with nothing in flight, mutex not held

  std::shared_ptr<storage::Sql> sql_;
  std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::deque<Item> queue_;
  bool in_flight_ = false;
  std::vector<StatusCallback> flushes_;
  storage::HistoryStats stats_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace lockrules
