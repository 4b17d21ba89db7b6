#pragma once
// The on-disk spool of lock events waiting for the database (format in docs/storage.md):
//   history.spool        append-only records: u32 length, u32 crc32(payload), payload
//                        payload = u64 seq, i64 ts_ms, u8 event, lockno bytes (little endian)
//   history.spool.state  "node <16 hex>\ncommitted <seq>\n", replaced atomically (rename)
// An event's uid is node id + seq in hex, so a replay after a crash is recognised by the
// database. A torn last record (crash mid-write) fails its length or CRC and is cut off; a
// failed write (disk full) is cut off at once, so no torn record ever precedes a whole one.
//
// THREADING: not thread-safe; the HistoryWriter's thread owns it.
#include <cstdint>
#include <deque>
#include <string>

#include "storage/config.hpp"
#include "storage/records.hpp"

namespace storage::detail {

struct SpooledEvent {
  std::uint64_t seq = 0;
  HistoryEvent event;
};

class HistorySpool {
 public:
  // Opens or creates the spool in `dir` and recovers the events not yet committed.
  // Throws std::runtime_error when the files cannot be read or written.
  HistorySpool(const std::string& dir, SyncPolicy sync);
  ~HistorySpool();
  HistorySpool(const HistorySpool&) = delete;
  HistorySpool& operator=(const HistorySpool&) = delete;

  // Events found at open that are newer than the committed cursor, in order.
  std::deque<SpooledEvent> take_recovered() { return std::move(recovered_); }

  // Writes one record (write(2); the data is then safe from a crash of this process) and, with
  // sync=always, does NOT fsync: call sync() once for a group of appends.
  SpooledEvent append(HistoryEvent event);
  // fdatasync of the spool file: the appends so far survive a power loss.
  void sync();
  bool dirty() const { return dirty_; }
  // Everything up to `seq` is in the database. When nothing newer is spooled, the file is
  // emptied so it never grows without bound.
  void committed(std::uint64_t seq, bool nothing_pending);

  std::uint64_t bytes() const { return size_; }

 private:
  void recover();
  void write_state();
  // Truncates the file to size_ (its last whole record) and moves the offset there.
  bool cut_back();

  std::string dir_;
  std::string path_;
  std::string state_path_;
  SyncPolicy sync_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string node_;  // 16 hex digits, fixed for the life of the data dir
  std::uint64_t committed_ = 0;
  std::uint64_t next_seq_ = 1;
  bool dirty_ = false;
  bool torn_ = false;  // a failed write may have left part of a record after size_
  std::deque<SpooledEvent> recovered_;
};

}  // namespace storage::detail
