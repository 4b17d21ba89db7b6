#pragma once
// HistoryWriter over HistorySpool and Sql. Its own thread (a private io_context) does the file
// I/O, the fsync policy, and drains the spool to Sql in batches, in order, one batch in flight;
// a failed batch is retried with backoff and, being idempotent by uid, can never double-write.
//
// THREADING: public methods post to the private io_context; counters are atomics.
#include <memory>
#include <string>

#include "storage/config.hpp"
#include "storage/history_writer.hpp"
#include "storage/sql.hpp"

namespace spdlog {
class logger;
}

namespace storage::detail {

class SpooledHistoryWriter final : public HistoryWriter {
 public:
  // Opens the spool in `dir` (throws std::runtime_error if unusable) and starts draining what a
  // previous run left behind.
  SpooledHistoryWriter(const std::string& dir, SyncPolicy sync, std::size_t limit, std::shared_ptr<Sql> sql,
                       std::shared_ptr<spdlog::logger> log);
  // Stops the thread; events not yet written stay in the spool for the next start.
  ~SpooledHistoryWriter() override;

  void append(HistoryEvent event, StatusCallback done) override;
  HistoryStats stats() const override;
  void flush(std::chrono::milliseconds timeout, StatusCallback done) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace storage::detail
