#include "journal_format.hpp"

#include "byte_order.hpp"
#include "storage/journal_codec.hpp"

namespace storage::detail {
namespace {

constexpr std::string_view kMagic = "SAKURAPJ";

struct Frame {
  enum class Kind { whole, short_data, bad } kind = Kind::bad;
  std::size_t size = 0;  // header + payload, when whole
  std::string_view payload;
  std::string why;
};

Frame read_frame(std::string_view data, std::size_t off) {
  Frame f;
  if (data.size() - off < kFrameHeaderSize) {
    f.kind = Frame::Kind::short_data;
    f.why = "a partial frame header";
    return f;
  }
  auto* p = reinterpret_cast<const unsigned char*>(data.data() + off);
  auto len = static_cast<std::uint32_t>(get_le(p, 4));
  auto sum = static_cast<std::uint32_t>(get_le(p + 4, 4));
  if (len == 0 || len > kMaxRecordSize) {
    f.why = "an impossible record length " + std::to_string(len);
    return f;
  }
  if (data.size() - off - kFrameHeaderSize < len) {
    f.kind = Frame::Kind::short_data;
    f.why = "a record running past the end of the file";
    return f;
  }
  f.payload = data.substr(off + kFrameHeaderSize, len);
  if (crc(f.payload) != sum) {
    f.why = "a CRC mismatch";
    return f;
  }
  f.kind = Frame::Kind::whole;
  f.size = kFrameHeaderSize + len;
  return f;
}

// Whether any whole, decodable frame starts after `from`: tells damage in the middle (one does)
// from a torn last write (none does). Only runs on a damaged file, so a byte-by-byte search is
// affordable; the length check rejects most offsets before any CRC is computed.
bool valid_frame_after(std::string_view data, std::size_t from) {
  for (std::size_t off = from + 1; off + kFrameHeaderSize < data.size(); ++off) {
    Frame f = read_frame(data, off);
    if (f.kind == Frame::Kind::whole && decode_record(f.payload).record) return true;
  }
  return false;
}

}  // namespace

std::string journal_header() {
  std::string h(kMagic);
  put_u32(h, kJournalVersion);
  return h;
}

void append_frame(const broker::persist::Record& record, std::string& out) {
  std::size_t start = out.size();
  out.append(kFrameHeaderSize, '\0');
  encode_record(record, out);
  std::string_view payload(out.data() + start + kFrameHeaderSize, out.size() - start - kFrameHeaderSize);
  std::string head;
  put_u32(head, static_cast<std::uint32_t>(payload.size()));
  put_u32(head, crc(payload));
  out.replace(start, kFrameHeaderSize, head);
}

JournalScan scan_journal(std::string_view data, const std::function<void(broker::persist::Record&&)>& on_record) {
  using Outcome = JournalScan::Outcome;
  JournalScan scan;
  if (data.empty()) return scan;
  if (data.size() < kJournalHeaderSize) {
    // A crash while the header of a new file was being written leaves a prefix of it.
    bool prefix = journal_header().compare(0, data.size(), data) == 0;
    scan.outcome = prefix ? Outcome::torn_tail : Outcome::bad_header;
    scan.detail = prefix ? "a partial header" : "no journal header";
    return scan;
  }
  if (data.substr(0, kMagic.size()) != kMagic) {
    scan.outcome = Outcome::bad_header;
    scan.detail = "no journal header";
    return scan;
  }
  scan.version =
      static_cast<std::uint32_t>(get_le(reinterpret_cast<const unsigned char*>(data.data() + kMagic.size()), 4));
  if (scan.version != kJournalVersion) {
    scan.outcome = scan.version > kJournalVersion ? Outcome::future_version : Outcome::bad_header;
    scan.detail = "format version " + std::to_string(scan.version);
    return scan;
  }
  std::size_t off = kJournalHeaderSize;
  while (off < data.size()) {
    Frame f = read_frame(data, off);
    std::string why = f.why;
    if (f.kind == Frame::Kind::whole) {
      auto decoded = decode_record(f.payload);
      if (decoded.record) {
        on_record(std::move(*decoded.record));
        ++scan.records;
        off += f.size;
        continue;
      }
      // A whole frame with a right CRC that does not decode was written wrong, not torn.
      scan.outcome = Outcome::corrupt;
      scan.valid_end = off;
      scan.detail = "an undecodable record (" + decoded.error + ")";
      return scan;
    }
    scan.valid_end = off;
    scan.outcome = valid_frame_after(data, off) ? Outcome::corrupt : Outcome::torn_tail;
    scan.detail = why;
    return scan;
  }
  scan.valid_end = off;
  return scan;
}

}  // namespace storage::detail
