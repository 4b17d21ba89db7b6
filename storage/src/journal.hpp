#pragma once
// The journal behind open_journal() (storage/journal.hpp).
//
// THREADING: append() and barrier() from any thread only touch the queue under mu_. Everything
// else (the file, state_, the sync clock) belongs to the writer thread, or to load() before that
// thread starts and close() after it stopped. stored_bytes_ and failing_ are read across.
// Barrier callbacks run on the writer thread: they must not call close() or drop the last
// reference to the journal (it joins that thread).
//
// Group commit: the writer swaps the whole queue out, applies and encodes it into one buffer,
// writes it with one write(), syncs when the policy asks, then runs the batch's barrier
// callbacks in order. While it syncs, the next batch gathers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/persisted_state.hpp"
#include "storage/journal.hpp"

namespace storage::detail {

class Journal final : public broker::Persistence {
 public:
  Journal(JournalConfig cfg, std::shared_ptr<spdlog::logger> log);
  ~Journal() override;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  broker::PersistedState load() override;
  void append(broker::persist::Record record) override;
  void barrier(std::function<void()> done) override;
  std::uint64_t stored_bytes() const override { return stored_bytes_.load(); }
  bool failing() const override { return failing_.load(std::memory_order_relaxed); }
  void close() override;

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  void write_batch(std::vector<broker::persist::Record>& batch);
  void sync();
  void maybe_compact();
  // Writes state_ as a fresh journal beside the old one and renames it over: compaction, the
  // rewrite at start, and the recovery from a failed write or sync (the state in memory is
  // whole even when the file is not). False (logged) when it could not.
  bool rewrite();
  // A write or sync failed (errno says why): cut the file back to its last whole batch and
  // fail over to memory. While failing_, records are applied to state_ only and barriers wait in
  // held_; recover() (at most once a second) rewrites state_ and ends it.
  void fail(const char* what);
  bool recover();
  std::string describe(const broker::PersistedState& state) const;

  const JournalConfig cfg_;
  const std::shared_ptr<spdlog::logger> log_;
  std::string dir_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<broker::persist::Record> queue_;
  std::vector<std::function<void()>> barriers_;
  bool stopping_ = false;
  bool closed_ = false;

  int fd_ = -1;
  broker::PersistedState state_;
  std::string buffer_;
  std::uint64_t file_size_ = 0;
  std::uint64_t live_size_ = 0;  // size of the last rewrite: the journal of the live state
  bool dirty_ = false;           // written since the last fdatasync
  Clock::time_point last_sync_ = Clock::now();
  std::atomic<std::uint64_t> stored_bytes_{0};
  std::atomic<bool> failing_{false};         // written by the writer thread, read by the broker
  std::vector<std::function<void()>> held_;  // barriers of records appended while failing
  Clock::time_point failed_at_, next_retry_;

  std::mutex close_mu_;
  std::thread writer_;
};

}  // namespace storage::detail
