#pragma once
// Write-behind for lock history: events are appended to a durable spool file in node.data_dir
// and acknowledged once there; a background drain writes them to Sql in order, exactly once,
// retrying with backoff while the database is unreachable. See docs/storage.md.
//
// THREADING: append() and stats() may be called from any thread; callbacks run on the writer's
// own thread.
#include <chrono>
#include <cstdint>
#include <functional>

#include "storage/records.hpp"
#include "storage/result.hpp"

namespace storage {

struct HistoryStats {
  std::uint64_t accepted = 0;  // acknowledged to the spool since start
  std::uint64_t written = 0;   // written to the database since start
  std::uint64_t pending = 0;   // in the spool, not yet written (includes those found at start)
  std::uint64_t rejected = 0;  // refused because the spool was full
  std::uint64_t failures = 0;  // failed database write attempts (each retried)
  // The last database write failed and events wait for the retry: the database is down, or it
  // answers but refuses the rows (an old lockhistory that was not converted). /healthz reports
  // degraded meanwhile.
  bool failing = false;
};

class HistoryWriter {
 public:
  using StatusCallback = std::function<void(Status)>;

  virtual ~HistoryWriter() = default;

  // event.uid is assigned by the spool. The callback (optional) says whether the event reached
  // the spool with the configured persistence.sync policy; failure = spool full or disk error.
  virtual void append(HistoryEvent event, StatusCallback done = {}) = 0;
  virtual HistoryStats stats() const = 0;
  // Calls done once every event accepted before this call is written to the database (or with
  // a failure after the timeout). For tests, benchmarks and orderly shutdown.
  virtual void flush(std::chrono::milliseconds timeout, StatusCallback done) = 0;
};

}  // namespace storage
