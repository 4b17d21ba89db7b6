#pragma once
// The journal file (docs/storage.md): a 12-byte header, "SAKURAPJ" then u32 format version, then
// frames of u32 payload length, u32 CRC-32 of the payload, payload = one encoded record
// (journal_codec.hpp), all little endian.
//
// scan_journal() tells a torn tail (a crash cut the last write: nothing valid follows the first
// bad frame) from damage in the middle (a valid frame follows a bad one), which the journal
// treats differently: the first is cut off, the second moves the file aside.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "broker/persistence.hpp"

namespace storage::detail {

constexpr std::uint32_t kJournalVersion = 1;
constexpr std::size_t kJournalHeaderSize = 12;
constexpr std::size_t kFrameHeaderSize = 8;
// MQTT's largest packet plus room for the record's other fields: any longer length is damage.
constexpr std::uint32_t kMaxRecordSize = 268435455u + 65536u;

std::string journal_header();
// Appends one framed record.
void append_frame(const broker::persist::Record& record, std::string& out);

struct JournalScan {
  enum class Outcome {
    ok,              // every byte is whole records (or the file is empty)
    torn_tail,       // records up to valid_end, then a cut-off or damaged last write
    corrupt,         // a bad frame at valid_end with valid frames after it
    bad_header,      // not a journal at all
    future_version,  // a journal written by a newer format than this build reads
  };
  Outcome outcome = Outcome::ok;
  std::size_t valid_end = 0;  // bytes of header and whole records before the damage
  std::size_t records = 0;    // whole records passed to the callback
  std::uint32_t version = 0;  // as found in the header (future_version)
  std::string detail;         // what was wrong, for the log
};

// Calls `on_record` for each whole record, in order, up to the first damage.
JournalScan scan_journal(std::string_view data, const std::function<void(broker::persist::Record&&)>& on_record);

}  // namespace storage::detail
