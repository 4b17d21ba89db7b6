#include "history_spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "byte_order.hpp"
#include "file_io.hpp"

namespace storage::detail {
namespace {

constexpr std::uint32_t kMaxRecord = 4096;  // a lockno is 11 bytes; anything this big is garbage
constexpr std::uint64_t kCompactAbove = 1 << 20;

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error("history spool: " + what + " " + path + ": " + std::strerror(errno));
}

std::string hex16(std::uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = digits[v & 15];
  return s;
}

}  // namespace

HistorySpool::HistorySpool(const std::string& dir, SyncPolicy sync)
    : dir_(dir), path_(dir + "/history.spool"), state_path_(dir + "/history.spool.state"), sync_(sync) {
  std::ifstream state(state_path_);
  std::string key;
  while (state >> key) {
    if (key == "node") state >> node_;
    else if (key == "committed") state >> committed_;
  }
  if (node_.size() != 16) {
    node_ = hex16(std::random_device{}() * 0x100000000ull + std::random_device{}());
    write_state();
  }
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("open", path_);
  recover();
}

HistorySpool::~HistorySpool() {
  if (fd_ >= 0) {
    if (dirty_ && sync_ != SyncPolicy::none) ::fdatasync(fd_);
    ::close(fd_);
  }
}

void HistorySpool::recover() {
  std::vector<unsigned char> data;
  {
    std::ifstream in(path_, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  size_t off = 0;
  next_seq_ = committed_ + 1;
  while (off + 8 <= data.size()) {
    auto len = static_cast<std::uint32_t>(get_le(&data[off], 4));
    auto sum = static_cast<std::uint32_t>(get_le(&data[off + 4], 4));
    if (len < 17 || len > kMaxRecord || off + 8 + len > data.size()) break;
    std::string payload(reinterpret_cast<const char*>(&data[off + 8]), len);
    if (crc(payload) != sum) break;
    auto* p = reinterpret_cast<const unsigned char*>(payload.data());
    SpooledEvent e;
    e.seq = get_le(p, 8);
    e.event.ts_ms = static_cast<std::int64_t>(get_le(p + 8, 8));
    e.event.event = static_cast<LockEvent>(p[16] & 3);
    e.event.lockno = payload.substr(17);
    e.event.uid = node_ + hex16(e.seq);
    if (e.seq >= next_seq_) next_seq_ = e.seq + 1;
    if (e.seq > committed_) recovered_.push_back(std::move(e));
    off += 8 + len;
  }
  // Whatever follows the last whole record was never acknowledged: cut it off.
  if (off != data.size() && ::ftruncate(fd_, static_cast<off_t>(off)) != 0) fail("truncate", path_);
  size_ = off;
  if (::lseek(fd_, static_cast<off_t>(off), SEEK_SET) < 0) fail("seek", path_);
}

SpooledEvent HistorySpool::append(HistoryEvent event) {
  SpooledEvent e{next_seq_, std::move(event)};
  e.event.uid = node_ + hex16(e.seq);
  std::string payload;
  put_u64(payload, e.seq);
  put_u64(payload, static_cast<std::uint64_t>(e.event.ts_ms));
  payload += static_cast<char>(e.event.event);
  payload += e.event.lockno.substr(0, kMaxRecord - 17);
  std::string record;
  put_u32(record, static_cast<std::uint32_t>(payload.size()));
  put_u32(record, crc(payload));
  record += payload;
  // ENOSPC or EFBIG may leave part of a record behind. Recovery stops at the first torn record,
  // so a whole one written after it (once the disk has room again) would be lost at the next
  // start although it was acknowledged: the spool is cut back to its last whole record before
  // anything else is written, and no append goes ahead until that cut has worked.
  if (torn_ && !cut_back()) fail("truncate after a failed write of", path_);
  if (!write_all(fd_, record)) {
    int saved = errno;
    torn_ = true;
    cut_back();
    errno = saved;
    fail("write", path_);
  }
  ++next_seq_;
  size_ += record.size();
  dirty_ = true;
  return e;
}

bool HistorySpool::cut_back() {
  if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 || ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET) < 0)
    return false;
  torn_ = false;
  return true;
}

void HistorySpool::sync() {
  if (!dirty_) return;
  if (::fdatasync(fd_) != 0) fail("fdatasync", path_);
  dirty_ = false;
}

void HistorySpool::committed(std::uint64_t seq, bool nothing_pending) {
  committed_ = seq;
  write_state();
  if (nothing_pending && size_ > kCompactAbove) {
    // The state file already says all of it is committed, so a crash between the two steps
    // only replays records that the database recognises by uid.
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0) fail("truncate", path_);
    size_ = 0;
  }
}

// The cursor is advisory for correctness (replays are deduplicated by uid) but keeps restarts
// cheap, so it is replaced atomically and fsynced only under sync=always.
void HistorySpool::write_state() {
  std::string tmp = state_path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("open", tmp);
  std::ostringstream text;
  text << "node " << node_ << "\ncommitted " << committed_ << "\n";
  if (!write_all(fd, text.str())) fail("write", tmp);
  if (sync_ == SyncPolicy::always) ::fdatasync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), state_path_.c_str()) != 0) fail("rename", state_path_);
}

}  // namespace storage::detail
